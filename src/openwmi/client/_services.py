"""``Services``: the IWbemServices-style API (snake_case, one method per operation).

Owns the public API over a source of operations (today the embedded object
manager): synchronous, semisynchronous (``WBEM_FLAG_RETURN_IMMEDIATELY`` →
``Enumerator`` / ``CallResult``), asynchronous with sinks and
``cancel_async_call``, all on one call engine. Imports engine, manager
(embedded source), model, errors; never server.

Every method validates its arguments before touching anything, raises a
``WbemError`` subclass on failure, and is safe to call from several threads.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constants import (
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_RETURN_IMMEDIATELY,
    WBEM_FLAG_SEND_STATUS,
)
from ..engine import (
    CallResult,
    Engine,
    Enumerator,
    ObjectSink,
    run_sync,
    start_call_result,
    start_enumerator,
)
from ..errors import HResult, InvalidParameterError, NotFoundError, ShuttingDownError
from ..manager import check_flags
from ..model import CIMClass, CIMInstance, ObjectPath
from ._events import exec_notification_query as _enq
from ._events import exec_notification_query_async as _enqa
from ._local import Enumerate, LocalSource, SingleCall

if TYPE_CHECKING:
    from ..manager import ObjectManager
    from ._aio import AioServices

__all__ = ["Services"]


class Services:
    """A connection to one namespace of an object manager.

    Obtain one with :func:`openwmi.connect`. ``open_namespace`` gives further
    ``Services`` objects sharing the same object manager; ``close()`` on the
    connection that created the manager closes it for all of them.
    """

    def __init__(
        self,
        manager: ObjectManager,
        namespace: str,
        *,
        owner: bool,
        shared: _Shared | None = None,
    ) -> None:
        self._manager = manager
        self._namespace = manager.check_namespace(namespace)
        self._owner = owner
        self._closed = threading.Event()
        self._shared = shared if shared is not None else _Shared(manager)

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def manager(self) -> ObjectManager:
        self._check_open()
        return self._manager

    def close(self) -> None:
        """Release the connection (and the repository, for the connection that owns it)."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._owner:
            self._shared.close()
            self._manager.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise ShuttingDownError("this connection is closed")

    def __repr__(self) -> str:
        return f"<openwmi.Services {self._namespace}>"

    # --- namespaces ----------------------------------------------------------------------
    def open_namespace(self, name: str, flags: int = 0) -> Services:
        """A connection to the child namespace ``name`` (``WBEM_E_INVALID_NAMESPACE``
        if it does not exist)."""
        self._check_open()
        target = self._manager.open_namespace(self._namespace, name, flags)
        return Services(self._manager, target, owner=False, shared=self._shared)

    # --- objects -------------------------------------------------------------------------
    def get_object(self, path: str | ObjectPath | None = None, flags: int = 0) -> Any:
        """GetObject: a class (``"Cls"``), an instance (``'Cls.Key="v"'``, ``"Cls=@"``),
        or an empty class object for an empty path.

        Raises:
            NotFoundError: no such class or instance.
            InvalidClassError: the instance path names an unknown class.
            InvalidObjectPathError: the path is malformed or its keys do not fit.
        """
        self._check_open()
        if flags & WBEM_FLAG_RETURN_IMMEDIATELY:
            check_flags("GetObject", flags)
            mgr, ns, f = (
                self._manager,
                self._namespace,
                flags & ~WBEM_FLAG_RETURN_IMMEDIATELY,
            )
            op = SingleCall(
                "GetObject", lambda ctx: (mgr.get_object(ns, path, f, ctx), None)
            )
            return self._semisync(op, flags)
        return self._manager.get_object(self._namespace, path, flags)

    def _semisync(self, op: SingleCall, flags: int) -> CallResult:
        return start_call_result(
            self._shared.engine(),
            op,
            self._shared.source,
            flags=flags,
            namespace=self._namespace,
        )

    def spawn_instance(self, classname: str, /, **values: Any) -> CIMInstance:
        """A new instance of ``classname`` with class defaults and ``values`` set
        (checked against the class; nothing is written)."""
        self._check_open()
        return self._manager.spawn_instance(self._namespace, classname, **values)

    def put_instance(self, instance: CIMInstance, flags: int = 0) -> str:
        """PutInstance; returns the instance's relative path (``Cls.Key="v"``)."""
        self._check_open()
        if flags & WBEM_FLAG_RETURN_IMMEDIATELY:
            check_flags("PutInstance", flags)
            mgr, ns, f = (
                self._manager,
                self._namespace,
                flags & ~WBEM_FLAG_RETURN_IMMEDIATELY,
            )
            op = SingleCall(
                "PutInstance",
                lambda ctx: (None, mgr.put_instance(ns, instance, f, ctx)),
            )
            return self._semisync(op, flags)  # type: ignore[return-value]  # documented: CallResult in semisync mode
        return self._manager.put_instance(self._namespace, instance, flags)

    def delete_instance(self, path: str | ObjectPath, flags: int = 0) -> None:
        self._check_open()
        self._manager.delete_instance(self._namespace, path, flags)

    def create_instance_enum(
        self, classname: str, flags: int = 0
    ) -> Iterator[CIMInstance] | Enumerator:
        """Instances of ``classname`` and (without WBEM_FLAG_SHALLOW) its subclasses.

        Synchronous mode returns a lazy iterator (objects stream from the
        repository; a provider's async enumeration is collected by the engine).
        With WBEM_FLAG_RETURN_IMMEDIATELY it returns a semisynchronous
        ``Enumerator`` (``next(timeout_ms, count)``…). Validation errors (unknown
        class, bad flags) are raised here, at the call.
        """
        self._check_open()
        check_flags("CreateInstanceEnum", flags)
        if flags & WBEM_FLAG_RETURN_IMMEDIATELY:
            op = self._instance_enum_op(
                classname, flags & ~WBEM_FLAG_RETURN_IMMEDIATELY
            )
            return start_enumerator(
                self._shared.engine(),
                op,
                self._shared.source,
                flags=flags,
                namespace=self._namespace,
            )
        result = self._manager.create_instance_enum(self._namespace, classname, flags)
        if isinstance(result, AsyncIterator):
            op = self._instance_enum_op(classname, flags)
            objects = run_sync(
                self._shared.engine(), op, self._shared.source, flags=flags
            )
            return iter(objects)
        return result

    # --- queries ---------------------------------------------------------------------------
    def exec_query(
        self, query: str, flags: int = 0, language: str = "WQL"
    ) -> Iterator[Any] | Enumerator:
        """ExecQuery (WQL data, schema ``meta_class`` and ASSOCIATORS/REFERENCES OF).

        Synchronous mode validates at once (raising the WMI code) and returns a
        lazy iterator; with WBEM_FLAG_RETURN_IMMEDIATELY an ``Enumerator`` whose
        ``next`` reports evaluation errors (spec §1.1 [OBS]).
        """
        self._check_open()
        check_flags("ExecQuery", flags)
        if flags & WBEM_FLAG_RETURN_IMMEDIATELY:
            op = self._query_op(query, language, flags & ~WBEM_FLAG_RETURN_IMMEDIATELY)
            return start_enumerator(
                self._shared.engine(),
                op,
                self._shared.source,
                flags=flags,
                namespace=self._namespace,
            )
        result = self._manager.exec_query(self._namespace, query, language, flags)
        if isinstance(result, AsyncIterator):
            op = self._query_op(query, language, flags)
            return iter(
                run_sync(self._shared.engine(), op, self._shared.source, flags=flags)
            )
        return result

    def explain(self, query: str, language: str = "WQL") -> str:
        """How ``query`` would run: key lookup, index or scan, per class."""
        self._check_open()
        return self._manager.queries.explain(self._namespace, query, language)

    def exec_query_async(
        self, query: str, sink: ObjectSink, flags: int = 0, language: str = "WQL"
    ) -> None:
        """ExecQueryAsync. Before start: NULL/empty query or language, bad flags,
        NULL sink (raised, sink untouched). After start: syntax, class and
        property errors arrive through the final ``set_status`` (spec §1.3)."""
        self._check_open()
        f = self._async_flags("ExecQuery", flags)
        self._start(self._query_op(query, language, f), sink, flags)

    def _query_op(self, query: Any, language: Any, flags: int) -> Enumerate:
        if language is None or (isinstance(language, str) and not language.strip()):
            raise InvalidParameterError("ExecQuery: the query language is NULL")
        if query is None or (isinstance(query, str) and not query.strip()):
            raise InvalidParameterError("ExecQuery: the query is NULL or empty")
        mgr, ns = self._manager, self._namespace
        return Enumerate(
            "ExecQuery", lambda ctx: mgr.exec_query(ns, query, language, flags, ctx)
        )

    # --- events (spec §6) -------------------------------------------------------------
    def exec_notification_query_async(
        self, query: str, sink: ObjectSink, flags: int = 0, language: str = "WQL"
    ) -> None:
        """ExecNotificationQueryAsync: events arrive through ``indicate`` until
        ``cancel_async_call``; a healthy subscription never gets a success status."""
        _enqa(self, query, sink, flags, language)

    def exec_notification_query(
        self,
        query: str,
        flags: int = WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY,
        language: str = "WQL",
    ) -> Enumerator:
        """ExecNotificationQuery (semisynchronous only: both RETURN_IMMEDIATELY and
        FORWARD_ONLY are required); releasing the enumerator cancels."""
        return _enq(self, query, flags, language)

    def register_event_provider(self, provider: Any, classes: Any = None) -> None:
        """An event provider for this namespace (``provides_events`` names its classes)."""
        self._check_open()
        self._manager.events.register_event_provider(self._namespace, provider, classes)

    # --- classes -------------------------------------------------------------------------
    def put_class(self, cls: CIMClass, flags: int = 0) -> None:
        self._check_open()
        self._manager.put_class(self._namespace, cls, flags)

    def delete_class(self, name: str, flags: int = 0) -> None:
        self._check_open()
        self._manager.delete_class(self._namespace, name, flags)

    def create_class_enum(
        self, superclass: str | None = None, flags: int = 0
    ) -> Iterator[CIMClass]:
        self._check_open()
        return self._manager.create_class_enum(self._namespace, superclass, flags)

    # --- associations ----------------------------------------------------------------------
    def associators(
        self,
        path: str | ObjectPath,
        *,
        assoc_class: str | None = None,
        result_class: str | None = None,
        role: str | None = None,
        result_role: str | None = None,
    ) -> Iterator[CIMInstance]:
        self._check_open()
        return self._manager.associators(
            self._namespace,
            path,
            assoc_class=assoc_class,
            result_class=result_class,
            role=role,
            result_role=result_role,
        )

    def references(
        self,
        path: str | ObjectPath,
        *,
        result_class: str | None = None,
        role: str | None = None,
    ) -> Iterator[CIMInstance]:
        self._check_open()
        return self._manager.references(
            self._namespace, path, result_class=result_class, role=role
        )

    # --- MOF ---------------------------------------------------------------------------
    def compile_mof(self, text: str, *, filename: str = "<string>") -> dict[str, int]:
        """Compile MOF text into this namespace (all or nothing).

        Returns counts of what was compiled. Errors name file:line:column.
        """
        self._check_open()
        if not isinstance(text, str):
            raise InvalidParameterError("compile_mof needs MOF text (str)")
        from ..manager import compile_into

        return compile_into(self._manager, self._namespace, text, filename=filename)

    def compile_mof_file(self, *paths: str | Path) -> dict[str, int]:
        """Compile MOF files (``#pragma include`` resolved beside each file) as one
        all-or-nothing unit."""
        self._check_open()
        from ..manager import compile_files_into

        return compile_files_into(
            self._manager, self._namespace, [Path(p) for p in paths]
        )

    def load_schema(self, directory: str | Path) -> dict[str, int]:
        """Load a DMTF CIM schema the user downloaded and unpacked: the newest
        ``cim_schema_*.mof`` in ``directory`` (its includes resolve below it).

        Raises:
            NotFoundError: no ``cim_schema_*.mof`` in ``directory``.
        """
        self._check_open()
        root = Path(directory)
        candidates = sorted(root.glob("cim_schema_*.mof"), key=_schema_version)
        if not candidates:
            raise NotFoundError(
                f"no cim_schema_*.mof in {root} (unpack the DMTF schema archive there)"
            )
        return self.compile_mof_file(candidates[-1])

    # --- providers ---------------------------------------------------------------------
    def register_provider(self, classname: str, provider: Any) -> None:
        """Serve ``classname`` from an in-process ``provider`` (see openwmi.manager)."""
        self._check_open()
        self._manager.register_provider(self._namespace, classname, provider)

    # --- methods -----------------------------------------------------------------------
    def exec_method(
        self,
        path: str | ObjectPath,
        method: str,
        in_params: dict[str, Any] | CIMInstance | None = None,
        flags: int = 0,
    ) -> Any:
        """ExecMethod: the out-parameters (``__PARAMETERS`` instance with ReturnValue).

        With WBEM_FLAG_RETURN_IMMEDIATELY: a ``CallResult`` (semisynchronous).
        """
        self._check_open()
        check_flags("ExecMethod", flags)
        op = self._method_op(path, method, in_params, flags)
        if flags & WBEM_FLAG_RETURN_IMMEDIATELY:
            return start_call_result(
                self._shared.engine(), op, self._shared.source, flags=flags
            )
        return op.run(None)[0]

    def _method_op(
        self, path: str | ObjectPath | None, method: object, in_params: Any, flags: int
    ) -> SingleCall:
        mgr, ns = self._manager, self._namespace
        if path is None or (isinstance(path, str) and not path.strip()):
            raise InvalidParameterError("ExecMethod: an object path is required")
        if not isinstance(method, str) or not method:
            raise InvalidParameterError("ExecMethod: a method name is required")
        mgr.parse_path(ns, path)
        return SingleCall(
            "ExecMethod",
            lambda ctx: (mgr.exec_method(ns, path, method, in_params, 0, ctx), None),
            detach_on_cancel=True,
        )

    # --- asynchronous calls (spec §1.2) ------------------------------------------------------
    def _start(self, op: Enumerate | SingleCall, sink: ObjectSink, flags: int) -> None:
        if sink is None:
            raise InvalidParameterError(f"{op.name}Async: the sink is NULL")
        self._shared.engine().start(
            op, self._shared.source, sink, flags=flags, namespace=self._namespace
        )

    def _async_flags(self, method: str, flags: int) -> int:
        check_flags(method, flags, asynchronous=True)
        return flags & ~WBEM_FLAG_SEND_STATUS

    def get_object_async(
        self, path: str | ObjectPath | None, sink: ObjectSink, flags: int = 0
    ) -> None:
        """GetObjectAsync: the object arrives through ``indicate``; errors (e.g.
        WBEM_E_NOT_FOUND) through the final ``set_status``."""
        self._check_open()
        f = self._async_flags("GetObject", flags)
        mgr, ns = self._manager, self._namespace
        if isinstance(path, str) and path.strip():
            mgr.parse_path(ns, path)  # a malformed path fails before start
        op = SingleCall(
            "GetObject", lambda ctx: (mgr.get_object(ns, path, f, ctx), None)
        )
        self._start(op, sink, flags)

    def put_instance_async(
        self, instance: CIMInstance, sink: ObjectSink, flags: int = 0
    ) -> None:
        """PutInstanceAsync: the new path is the final ``set_status`` message."""
        self._check_open()
        f = self._async_flags("PutInstance", flags)
        if not isinstance(instance, CIMInstance):
            raise InvalidParameterError("PutInstanceAsync needs a CIMInstance")
        mgr, ns = self._manager, self._namespace
        op = SingleCall(
            "PutInstance", lambda ctx: (None, mgr.put_instance(ns, instance, f, ctx))
        )
        self._start(op, sink, flags)

    def delete_instance_async(
        self, path: str | ObjectPath | None, sink: ObjectSink, flags: int = 0
    ) -> None:
        self._check_open()
        f = self._async_flags("DeleteInstance", flags)
        mgr, ns = self._manager, self._namespace
        if path is None or (isinstance(path, str) and not path.strip()):
            raise InvalidParameterError(
                "DeleteInstanceAsync: an object path is required"
            )
        mgr.parse_path(ns, path)

        def run(ctx: Any) -> tuple[None, None]:
            mgr.delete_instance(ns, path, f, ctx)
            return None, None

        self._start(SingleCall("DeleteInstance", run), sink, flags)

    def put_class_async(self, cls: CIMClass, sink: ObjectSink, flags: int = 0) -> None:
        self._check_open()
        f = self._async_flags("PutClass", flags)
        if not isinstance(cls, CIMClass):
            raise InvalidParameterError("PutClassAsync needs a CIMClass")
        mgr, ns = self._manager, self._namespace

        def run(ctx: Any) -> tuple[None, None]:
            mgr.put_class(ns, cls, f)
            return None, None

        self._start(SingleCall("PutClass", run), sink, flags)

    def delete_class_async(
        self, name: object, sink: ObjectSink, flags: int = 0
    ) -> None:
        self._check_open()
        f = self._async_flags("DeleteClass", flags)
        if not isinstance(name, str) or not name:
            raise InvalidParameterError("DeleteClassAsync: a class name is required")
        mgr, ns = self._manager, self._namespace

        def run(ctx: Any) -> tuple[None, None]:
            mgr.delete_class(ns, name, f)
            return None, None

        self._start(SingleCall("DeleteClass", run), sink, flags)

    def create_instance_enum_async(
        self, classname: str, sink: ObjectSink, flags: int = 0
    ) -> None:
        """CreateInstanceEnumAsync; an unknown class fails before start (spec §1.3)."""
        self._check_open()
        f = self._async_flags("CreateInstanceEnum", flags)
        self._start(self._instance_enum_op(classname, f), sink, flags)

    def create_class_enum_async(
        self, superclass: str | None, sink: ObjectSink, flags: int = 0
    ) -> None:
        self._check_open()
        f = self._async_flags("CreateClassEnum", flags)
        mgr, ns = self._manager, self._namespace
        mgr.create_class_enum(ns, superclass, f)
        op = Enumerate(
            "CreateClassEnum", lambda ctx: mgr.create_class_enum(ns, superclass, f)
        )
        self._start(op, sink, flags)

    def exec_method_async(
        self,
        path: str | ObjectPath,
        method: str,
        in_params: dict[str, Any] | CIMInstance | None,
        sink: ObjectSink,
        flags: int = 0,
    ) -> None:
        """ExecMethodAsync: out-parameters via ``indicate`` before the final status.
        Cancelling detaches the client only; the provider runs to completion."""
        self._check_open()
        self._async_flags("ExecMethod", flags)
        self._start(self._method_op(path, method, in_params, flags), sink, flags)

    def cancel_async_call(self, sink: ObjectSink) -> int:
        """CancelAsyncCall: cancel every live call using ``sink``; WBEM_S_NO_ERROR.

        Raises:
            InvalidParameterError: ``sink`` is None or has no pending call.
            InvalidOperationError: called from inside a sink callback.
        """
        self._check_open()
        self._shared.engine().cancel_async_call(sink)
        return HResult.WBEM_S_NO_ERROR

    def _instance_enum_op(self, classname: str, flags: int) -> Enumerate:
        mgr, ns = self._manager, self._namespace
        mgr.create_instance_enum(ns, classname, flags)  # validates before start
        return Enumerate(
            "CreateInstanceEnum",
            lambda ctx: mgr.create_instance_enum(ns, classname, flags, ctx),
        )

    # --- asyncio -------------------------------------------------------------------------
    @property
    def aio(self) -> AioServices:
        """The asyncio facade: ``async for obj in svc.aio.create_instance_enum(cls)``."""
        from ._aio import AioServices

        self._check_open()
        return AioServices(self)


def _schema_version(path: Path) -> tuple[int, ...]:
    """``cim_schema_2.54.1.mof`` → (2, 54, 1); unparsable parts sort first."""
    core = path.stem.removeprefix("cim_schema_")
    return tuple(int(p) if p.isdigit() else -1 for p in core.split("."))


class _Shared:
    """What a connection and the namespaces opened from it share: the engine
    (started on first asynchronous use) and the local source."""

    def __init__(self, manager: ObjectManager) -> None:
        self.source = LocalSource(manager)
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._closed = False

    def engine(self) -> Engine:
        with self._lock:
            if self._closed:
                raise ShuttingDownError("this connection is closed")
            if self._engine is None:
                self._engine = Engine()
            return self._engine

    def close(self) -> None:
        with self._lock:
            self._closed = True
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
