"""The asyncio facade of ``Services`` (``svc.aio``).

Owns ``AioServices``: ``async for obj in svc.aio.create_instance_enum(cls)`` and
awaitable single-result calls, on the engine's bridging primitives (bounded
buffer = backpressure; cancelling the awaiting task = ``cancel_async_call``).
Works inside the caller's running loop. Imports engine and the client's own
modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine import EngineStream, engine_call, engine_stream
from ..manager import check_flags
from ._local import Enumerate, SingleCall

if TYPE_CHECKING:
    from ..model import CIMClass, CIMInstance, ObjectPath
    from ._services import Services

__all__ = ["AioServices"]


class AioServices:
    """asyncio forms of the ``Services`` operations (same validation, same engine)."""

    def __init__(self, services: Services) -> None:
        self._svc = services

    def _stream(self, op: Enumerate, flags: int) -> EngineStream:
        shared = self._svc._shared
        return engine_stream(
            shared.engine(),
            op,
            shared.source,
            flags=flags,
            namespace=self._svc.namespace,
        )

    async def _call(self, op: SingleCall, flags: int = 0) -> Any:
        shared = self._svc._shared
        outcome = await engine_call(
            shared.engine(),
            op,
            shared.source,
            flags=flags,
            namespace=self._svc.namespace,
        )
        return outcome

    def create_instance_enum(self, classname: str, flags: int = 0) -> EngineStream:
        """``async for inst in svc.aio.create_instance_enum("Cls")``."""
        check_flags("CreateInstanceEnum", flags)
        return self._stream(self._svc._instance_enum_op(classname, flags), flags)

    def exec_query(
        self, query: str, flags: int = 0, language: str = "WQL"
    ) -> EngineStream:
        """``async for obj in svc.aio.exec_query("SELECT …")``; errors raise at iteration."""
        check_flags("ExecQuery", flags)
        return self._stream(self._svc._query_op(query, language, flags), flags)

    def exec_notification_query(self, query: str, language: str = "WQL") -> Any:
        """``async for event in svc.aio.exec_notification_query("SELECT … FROM __Instance…")``."""
        from ._events import aio_exec_notification_query

        return aio_exec_notification_query(self._svc, query, language)

    def create_class_enum(
        self, superclass: str | None = None, flags: int = 0
    ) -> EngineStream:
        check_flags("CreateClassEnum", flags)
        mgr, ns = self._svc.manager, self._svc.namespace
        mgr.create_class_enum(ns, superclass, flags)
        op = Enumerate(
            "CreateClassEnum", lambda ctx: mgr.create_class_enum(ns, superclass, flags)
        )
        return self._stream(op, flags)

    async def get_object(self, path: str | ObjectPath | None, flags: int = 0) -> Any:
        check_flags("GetObject", flags)
        mgr, ns = self._svc.manager, self._svc.namespace
        op = SingleCall(
            "GetObject", lambda ctx: (mgr.get_object(ns, path, flags, ctx), None)
        )
        outcome = await self._call(op)
        return outcome.objects[0] if outcome.objects else None

    async def put_instance(self, instance: CIMInstance, flags: int = 0) -> str:
        check_flags("PutInstance", flags)
        mgr, ns = self._svc.manager, self._svc.namespace
        op = SingleCall(
            "PutInstance",
            lambda ctx: (None, mgr.put_instance(ns, instance, flags, ctx)),
        )
        outcome = await self._call(op)
        return str(outcome.result_string)

    async def exec_method(
        self,
        path: str | ObjectPath,
        method: str,
        in_params: dict[str, Any] | CIMInstance | None = None,
        flags: int = 0,
    ) -> Any:
        """Await a method; cancelling the task detaches (the provider runs on)."""
        check_flags("ExecMethod", flags)
        op = self._svc._method_op(path, method, in_params, flags)
        outcome = await self._call(op, flags)
        return outcome.objects[0] if outcome.objects else None

    async def put_class(self, cls: CIMClass, flags: int = 0) -> None:
        check_flags("PutClass", flags)
        mgr, ns = self._svc.manager, self._svc.namespace

        def run(ctx: Any) -> tuple[None, None]:
            mgr.put_class(ns, cls, flags)
            return None, None

        await self._call(SingleCall("PutClass", run))
