"""The asyncio facade primitives: ``engine_stream`` and ``engine_call``.

Owns the bridge from the engine (its loop runs on its own thread) into the
CALLER's running loop: a hidden sink with a bounded buffer (backpressure: the
delivering worker waits while the consumer lags), and task cancellation mapped
to ``cancel_async_call`` on that hidden sink. Imports only
openwmi.errors/constants, the engine's modules, asyncio and the stdlib; never
the object manager or the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openwmi.constants import WBEM_STATUS_COMPLETE
from openwmi.errors import (
    HResult,
    InvalidOperationError,
    InvalidParameterError,
    WbemError,
    is_error,
)

from ._sink import error_from_status

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._call import Call
    from ._engine import Engine
    from ._source import Source

__all__ = ["CallOutcome", "EngineStream", "engine_call", "engine_stream"]


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class _StreamSink:
    """Hidden sink: engine workers push, the caller's loop pulls."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        max_buffer: int,
        on_progress: Callable[[int, str | None], object] | None,
    ) -> None:
        self.loop = loop
        self.max_buffer = max_buffer
        self.on_progress = on_progress
        self.cond = threading.Condition()
        self.buf: deque[Any] = deque()
        self.final: tuple[int, str | None, Any] | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False

    def _wake_locked(self) -> None:
        w, self.waiter = self.waiter, None
        if w is not None:
            self.loop.call_soon_threadsafe(_wake, w)

    def indicate(self, objects: list[Any]) -> int:
        with self.cond:
            if self.closed:
                return HResult.WBEM_E_CALL_CANCELLED  # consumer gone: stop the call
            self.buf.extend(objects)
            self._wake_locked()
            while len(self.buf) >= self.max_buffer and not self.closed:
                self.cond.wait()
        return HResult.WBEM_S_NO_ERROR

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        if flags != WBEM_STATUS_COMPLETE:
            if self.on_progress is not None:
                self.loop.call_soon_threadsafe(
                    self.on_progress, hresult & 0xFFFF, message
                )
            return HResult.WBEM_S_NO_ERROR
        with self.cond:
            self.final = (hresult, message, obj)
            self._wake_locked()
        return HResult.WBEM_S_NO_ERROR

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.buf.clear()
            self.cond.notify_all()


def _cancel_hidden(engine: Engine, sink: object, call: Call | None) -> None:
    """Task cancellation = ``cancel_async_call`` on the hidden sink."""
    try:
        engine.cancel_async_call(sink)  # type: ignore[arg-type]  # our hidden sinks
    except InvalidOperationError:
        # Awaited from inside some sink callback: release this call directly.
        if call is not None:
            engine.cancel_call(call)
    except WbemError:
        pass  # it had already ended: nothing to cancel


class EngineStream:
    """``async for obj in engine_stream(...)``: a call consumed in the caller's loop.

    The call starts at the first ``__anext__``. Cancelling the task awaiting it
    is ``cancel_async_call`` on the hidden sink; ``aclose()``, leaving
    ``async with`` and garbage collection release (cancel) the call. After the
    last object, a failed operation raises its WbemError.
    """

    def __init__(
        self,
        engine: Engine,
        operation: Any,
        source: Source,
        *,
        flags: int = 0,
        user: Any = None,
        namespace: Any = None,
        max_buffer: int = 1024,
        on_progress: Callable[[int, str | None], object] | None = None,
    ) -> None:
        if max_buffer < 1:
            raise InvalidParameterError("max_buffer must be >= 1")
        self._engine = engine
        self._args = (operation, source, flags, user, namespace)
        self._max_buffer = max_buffer
        self._on_progress = on_progress
        self._sink: _StreamSink | None = None
        self._call: Call | None = None
        self._local: deque[Any] = deque()
        self._finished = False

    @property
    def call(self) -> Call | None:
        """The engine call (None before the first ``__anext__``)."""
        return self._call

    def _start(self) -> _StreamSink:
        loop = asyncio.get_running_loop()
        sink = _StreamSink(loop, self._max_buffer, self._on_progress)
        operation, source, flags, user, namespace = self._args
        self._call = self._engine.start(
            operation,
            source,
            sink,
            flags=flags,
            user=user,
            namespace=namespace,
            sink_timeout=None,
        )
        self._sink = sink
        return sink

    def __aiter__(self) -> EngineStream:
        return self

    async def __anext__(self) -> Any:
        if self._local:
            return self._local.popleft()
        if self._finished:
            raise StopAsyncIteration
        sink = self._sink if self._sink is not None else self._start()
        while True:
            with sink.cond:
                if sink.buf:
                    self._local, sink.buf = sink.buf, deque()
                    sink.cond.notify_all()  # room again: release the producer
                    return self._local.popleft()
                final = sink.final
                if final is None:
                    fut: asyncio.Future[None] = sink.loop.create_future()
                    sink.waiter = fut
            if final is not None:
                self._finished = True
                hresult, message, obj = final
                if is_error(hresult):
                    raise error_from_status(hresult, message, obj)
                raise StopAsyncIteration
            try:
                await fut
            except asyncio.CancelledError:
                self._cancel()
                raise

    def _cancel(self) -> None:
        sink = self._sink
        if sink is None or self._finished:
            return
        self._finished = True
        sink.close()
        _cancel_hidden(self._engine, sink, self._call)

    async def aclose(self) -> None:
        """Release the call (cancel it if it still runs)."""
        self._cancel()

    async def __aenter__(self) -> EngineStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cancel()

    def __del__(self) -> None:
        sink, call = getattr(self, "_sink", None), getattr(self, "_call", None)
        if (
            sink is not None
            and call is not None
            and not getattr(self, "_finished", True)
        ):
            sink.close()
            self._engine.release_soon(call)


def engine_stream(
    engine: Engine,
    operation: Any,
    source: Source,
    *,
    flags: int = 0,
    user: Any = None,
    namespace: Any = None,
    max_buffer: int = 1024,
    on_progress: Callable[[int, str | None], object] | None = None,
) -> EngineStream:
    """An async iterator over a call's objects, with bounded backpressure.

    ``on_progress(percent, message)`` runs in the caller's loop when the call
    has WBEM_FLAG_SEND_STATUS and the producer reports progress.
    """
    return EngineStream(
        engine,
        operation,
        source,
        flags=flags,
        user=user,
        namespace=namespace,
        max_buffer=max_buffer,
        on_progress=on_progress,
    )


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """The result of ``await engine_call(...)``."""

    objects: tuple[Any, ...]
    result_string: str | None
    hresult: int

    @property
    def object(self) -> Any:
        """The single result object (GetObject, ExecMethod out-params) or None."""
        return self.objects[0] if self.objects else None


class _FutureSink:
    def __init__(
        self, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[CallOutcome]
    ) -> None:
        self.loop, self.fut = loop, fut
        self.objects: list[Any] = []

    def indicate(self, objects: list[Any]) -> int:
        self.objects.extend(objects)
        return HResult.WBEM_S_NO_ERROR

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        if flags == WBEM_STATUS_COMPLETE:
            self.loop.call_soon_threadsafe(self._settle, hresult, message, obj)
        return HResult.WBEM_S_NO_ERROR

    def _settle(self, hresult: int, message: str | None, obj: Any) -> None:
        if self.fut.done():
            return
        if is_error(hresult):
            self.fut.set_exception(error_from_status(hresult, message, obj))
        else:
            self.fut.set_result(CallOutcome(tuple(self.objects), message, hresult))


async def engine_call(
    engine: Engine,
    operation: Any,
    source: Source,
    *,
    flags: int = 0,
    user: Any = None,
    namespace: Any = None,
) -> CallOutcome:
    """Await a (single-result) call in the caller's loop.

    Cancelling the awaiting task is ``cancel_async_call`` on the hidden sink
    (for a detach_on_cancel operation the producer still runs to completion).

    Raises:
        WbemError: the operation failed (or could not start).
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[CallOutcome] = loop.create_future()
    sink = _FutureSink(loop, fut)
    engine.start(
        operation,
        source,
        sink,
        flags=flags,
        user=user,
        namespace=namespace,
        sink_timeout=None,
    )
    try:
        return await fut
    except asyncio.CancelledError:
        with contextlib.suppress(WbemError):
            engine.cancel_async_call(sink)
        raise
