"""Semisynchronous and synchronous modes over the same engine (spec §5).

Owns ``Enumerator`` (IEnumWbemClassObject: ``next``/``next_async``/``skip``/
``reset``/``clone``, iteration, release = cancel), ``CallResult``
(IWbemCallResult) and ``run_sync``. Imports only openwmi.errors/constants, the
engine's modules and the stdlib; never the object manager or the wire.

Choices (spec §5.1, design.md decisions 4-6):

* ``next(timeout_ms, count)`` returns ``(hresult, objects)``: WBEM_S_NO_ERROR
  with exactly ``count`` objects; WBEM_S_FALSE with fewer at the end;
  WBEM_S_TIMEDOUT with fewer before the end; ``count == 0`` → WBEM_S_NO_ERROR
  and nothing. When the operation failed, objects delivered before the failure
  are still handed out; once fewer than ``count`` remain, ``next`` returns the
  failure HRESULT (the synchronous code) with the remaining objects (usually
  none), and ``enumerator.error`` holds the WbemError. Iteration raises it.
* ``reset``/``clone`` on a forward-only enumerator raise InvalidOperationError.
* ``next_async`` with nothing left returns WBEM_S_FALSE and leaves the sink
  untouched (decision 5); ``count == 0`` → WBEM_S_FALSE.
* Timeouts are in milliseconds (WBEM_INFINITE, WBEM_NO_WAIT), as in WMI.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Self

from openwmi.constants import (
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_SEND_STATUS,
    WBEM_INFINITE,
    WBEM_NO_WAIT,
    WBEM_STATUS_COMPLETE,
)
from openwmi.errors import (
    HResult,
    InvalidOperationError,
    InvalidParameterError,
    WbemError,
    is_error,
)

from ._sink import CollectingSink, error_from_status

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._call import Call
    from ._engine import Engine
    from ._sink import ObjectSink
    from ._source import CallContext, Source

__all__ = [
    "CallResult",
    "Enumerator",
    "run_sync",
    "start_call_result",
    "start_enumerator",
]

_S_OK = HResult.WBEM_S_NO_ERROR
_S_FALSE = HResult.WBEM_S_FALSE
_S_TIMEDOUT = HResult.WBEM_S_TIMEDOUT


def _deadline(timeout_ms: int) -> float | None:
    if timeout_ms == WBEM_INFINITE or timeout_ms < 0:
        return None
    return time.monotonic() + timeout_ms / 1000.0


class _Store:
    """The hidden sink of a semisync call: the shared result set."""

    def __init__(self, forward_only: bool, prefetch: int) -> None:
        self.cond = threading.Condition()
        self.forward_only = forward_only
        self.prefetch = prefetch
        self.items: list[Any] = []  # bidirectional: every object delivered
        self.queue: deque[Any] = deque()  # forward-only: not yet consumed
        self.done = False
        self.hresult: int | None = None
        self.message: str | None = None
        self.error: WbemError | None = None
        self.released = False
        self.refs = 1
        self.call: Call | None = None
        self.engine: Engine | None = None
        self.tickets = 0  # FIFO order of next / next_async (spec §5.1)
        self.serving = 0

    # --- ObjectSink --------------------------------------------------------------
    def indicate(self, objects: list[Any]) -> int:
        with self.cond:
            if self.forward_only:
                self.queue.extend(objects)
                self.cond.notify_all()
                # Backpressure: hold the producer while the client lags.
                while len(self.queue) >= self.prefetch and not self.released:
                    self.cond.wait()
            else:
                self.items.extend(objects)
                self.cond.notify_all()
        return _S_OK

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        if flags != WBEM_STATUS_COMPLETE:
            return _S_OK
        with self.cond:
            self.done = True
            self.hresult, self.message = hresult, message
            if is_error(hresult):
                self.error = error_from_status(hresult, message, obj)
            self.cond.notify_all()
        return _S_OK

    # --- shared helpers ------------------------------------------------------------
    def wait_done(self, timeout_ms: int) -> bool:
        deadline = _deadline(timeout_ms)
        with self.cond:
            while not self.done:
                if timeout_ms == WBEM_NO_WAIT:
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.cond.wait(remaining)
            return True

    def drop_ref(self) -> None:
        with self.cond:
            self.refs -= 1
            if self.refs > 0 or self.released:
                return
            self.released = True
            self.cond.notify_all()
            call, engine = self.call, self.engine
        if call is not None and engine is not None and not call.terminal:
            engine.cancel_call(call, "released")


class _Releasable:
    """Release semantics shared by Enumerator and CallResult (spec §5.1
    Release): ``close()``, the context manager and garbage collection drop this
    handle's reference to the result store; the last one cancels the call."""

    _store: _Store
    _closed: bool

    def close(self) -> None:
        """Release: cancels the underlying call when the last handle is released."""
        if not self._closed:
            self._closed = True
            self._store.drop_ref()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # GC may run anywhere (even holding engine locks): defer to the engine.
        if not getattr(self, "_closed", True):
            self._closed = True
            st = self._store
            if st.engine is not None:
                st.engine._call_soon(st.drop_ref)


class Enumerator(_Releasable):
    """IEnumWbemClassObject over a call started with ``start_enumerator``.

    Thread-safe; calls on one result set are served in FIFO order.
    """

    def __init__(self, store: _Store, position: int = 0) -> None:
        self._store = store
        self._pos = position
        self._closed = False

    # --- properties ---------------------------------------------------------------
    @property
    def forward_only(self) -> bool:
        """True when the call had WBEM_FLAG_FORWARD_ONLY."""
        return self._store.forward_only

    @property
    def error(self) -> WbemError | None:
        """The operation's failure, once known (else None)."""
        return self._store.error

    @property
    def done(self) -> bool:
        """True once the operation has delivered its final status."""
        return self._store.done

    @property
    def call(self) -> Call | None:
        """The underlying engine call."""
        return self._store.call

    # --- core ------------------------------------------------------------------------
    def _available(self) -> int:
        st = self._store
        return len(st.queue) if st.forward_only else len(st.items) - self._pos

    def _take(self, n: int) -> list[Any]:
        st = self._store
        if st.forward_only:
            k = min(n, len(st.queue))
            out = [st.queue.popleft() for _ in range(k)]
            if k:
                st.cond.notify_all()  # wake a producer held by backpressure
            return out
        out = st.items[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def _enter(self) -> int:
        """Take a FIFO ticket (caller holds cond)."""
        st = self._store
        ticket = st.tickets
        st.tickets += 1
        while st.serving != ticket:
            st.cond.wait()
        return ticket

    def _leave(self) -> None:
        st = self._store
        st.serving += 1
        st.cond.notify_all()

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidOperationError("the enumerator has been released")

    def next(
        self, timeout_ms: int = WBEM_INFINITE, count: int = 1
    ) -> tuple[int, list[Any]]:
        """IEnumWbemClassObject::Next (spec §5.1); see the module docstring.

        Raises:
            InvalidParameterError: ``count`` < 0.
            InvalidOperationError: the enumerator was released.
        """
        return self._next(timeout_ms, count, keep=True)

    def skip(self, timeout_ms: int = WBEM_INFINITE, count: int = 1) -> int:
        """IEnumWbemClassObject::Skip: ``next`` without the objects."""
        return self._next(timeout_ms, count, keep=False)[0]

    def _next(
        self, timeout_ms: int, count: int, *, keep: bool
    ) -> tuple[int, list[Any]]:
        self._check_open()
        if count < 0:
            raise InvalidParameterError("count must be >= 0")
        if count == 0:
            return _S_OK, []  # design.md decision 6
        st = self._store
        deadline = _deadline(timeout_ms)
        with st.cond:
            self._enter()
            try:
                while self._available() < count and not st.done:
                    if timeout_ms == WBEM_NO_WAIT:
                        break
                    remaining = (
                        None if deadline is None else deadline - time.monotonic()
                    )
                    if remaining is not None and remaining <= 0:
                        break
                    st.cond.wait(remaining)
                objs = self._take(count)
                if len(objs) == count:
                    hr: int = _S_OK
                elif not st.done:
                    hr = _S_TIMEDOUT
                elif st.hresult is not None and is_error(st.hresult):
                    hr = st.hresult
                else:
                    hr = _S_FALSE
            finally:
                self._leave()
        return hr, objs if keep else []

    def reset(self) -> int:
        """Back to the start (bidirectional only).

        Raises:
            InvalidOperationError: forward-only enumerator (decision 4).
        """
        self._check_open()
        if self._store.forward_only:
            raise InvalidOperationError(
                "Reset is not valid on a forward-only enumerator"
            )
        with self._store.cond:
            self._pos = 0
        return _S_OK

    def clone(self) -> Enumerator:
        """A logical copy at the same position sharing the result set.

        Raises:
            InvalidOperationError: forward-only enumerator (decision 4).
        """
        self._check_open()
        st = self._store
        if st.forward_only:
            raise InvalidOperationError(
                "Clone is not valid on a forward-only enumerator"
            )
        with st.cond:
            st.refs += 1
            return Enumerator(st, self._pos)

    def next_async(self, count: int, sink: ObjectSink) -> int:
        """IEnumWbemClassObject::NextAsync (spec §5.1, decision 5).

        Returns WBEM_S_FALSE (sink untouched) when nothing is left or
        ``count == 0``; otherwise WBEM_S_NO_ERROR, and the sink gets the
        objects, then ``set_status(0, WBEM_S_NO_ERROR | WBEM_S_FALSE | error)``.
        The delivery is an engine call: ``cancel_async_call(sink)`` stops it.

        Raises:
            InvalidParameterError: ``sink`` is None or ``count`` < 0.
        """
        self._check_open()
        if sink is None:
            raise InvalidParameterError("sink is None")
        if count < 0:
            raise InvalidParameterError("count must be >= 0")
        st = self._store
        with st.cond:
            if count == 0 or (st.done and self._available() == 0 and st.error is None):
                return _S_FALSE
        assert st.engine is not None
        st.engine.start(_NextAsyncOp(count), _NextAsyncSource(self), sink)
        return _S_OK

    def _produce(self, count: int, ctx: CallContext) -> Iterator[Any]:
        """The NextAsync producer (worker thread): hands out up to ``count``."""
        st = self._store
        ctx.on_cancel(lambda: _notify(st))
        delivered = 0
        with st.cond:
            self._enter()
        try:
            while delivered < count and not ctx.cancelled:
                with st.cond:
                    objs = self._take(count - delivered)
                    if not objs:
                        if st.done:
                            break
                        st.cond.wait()
                        continue
                delivered += len(objs)
                yield from objs
                ctx.flush()  # the client waits for these; do not hold them
        finally:
            with st.cond:
                self._leave()
        if delivered < count and not ctx.cancelled:
            if st.error is not None:
                raise st.error
            ctx.set_final_code(_S_FALSE)

    # --- iteration / release ------------------------------------------------------------
    def __iter__(self) -> Enumerator:
        return self

    def __next__(self) -> Any:
        hr, objs = self.next(WBEM_INFINITE, 1)
        if objs:
            return objs[0]
        if is_error(hr) and self._store.error is not None:
            raise self._store.error
        raise StopIteration


def _notify(st: _Store) -> None:
    with st.cond:
        st.cond.notify_all()


class _NextAsyncOp:
    detach_on_cancel = False

    def __init__(self, count: int) -> None:
        self.count = count

    def __repr__(self) -> str:
        return f"NextAsync({self.count})"


class _NextAsyncSource:
    def __init__(self, enum: Enumerator) -> None:
        self._enum = enum

    def open(self, operation: _NextAsyncOp, ctx: CallContext) -> Iterator[Any]:
        return self._enum._produce(operation.count, ctx)


def start_enumerator(
    engine: Engine,
    operation: Any,
    source: Source,
    *,
    flags: int = 0,
    user: Any = None,
    namespace: Any = None,
    prefetch: int = 4096,
) -> Enumerator:
    """Start a semisynchronous multi-object call (ExecQuery, CreateInstanceEnum…).

    ``flags & WBEM_FLAG_FORWARD_ONLY`` makes it forward-only (objects are freed
    as they are read; the producer is held after ``prefetch`` unread objects).
    Start failures raise (nothing started); operation failures surface at
    ``next``.
    """
    forward = bool(flags & WBEM_FLAG_FORWARD_ONLY)
    store = _Store(forward, max(1, prefetch))
    store.engine = engine
    store.call = engine.start(
        operation,
        source,
        store,
        flags=flags & ~WBEM_FLAG_SEND_STATUS,
        user=user,
        namespace=namespace,
        sink_timeout=None,
    )
    return Enumerator(store)


class CallResult(_Releasable):
    """IWbemCallResult for single-result operations (spec §5.2).

    Every getter takes a timeout in milliseconds and returns a tuple whose
    first item is an HRESULT: WBEM_S_TIMEDOUT while the operation runs (retry
    allowed), the operation's failure code once it failed (``error`` holds the
    WbemError), else WBEM_S_NO_ERROR.
    """

    def __init__(self, store: _Store) -> None:
        self._store = store
        self._closed = False

    @property
    def error(self) -> WbemError | None:
        """The operation's failure, once known (else None)."""
        return self._store.error

    @property
    def call(self) -> Call | None:
        """The underlying engine call."""
        return self._store.call

    def get_result_object(self, timeout_ms: int = WBEM_INFINITE) -> tuple[int, Any]:
        """GetResultObject (GetObject, ExecMethod): ``(hr, object | None)``."""
        st = self._store
        if not st.wait_done(timeout_ms):
            return _S_TIMEDOUT, None
        if st.error is not None:
            return st.error.hresult, None
        return _S_OK, st.items[0] if st.items else None

    def get_result_string(
        self, timeout_ms: int = WBEM_INFINITE
    ) -> tuple[int, str | None]:
        """GetResultString (PutInstance's new path): ``(hr, str | None)``.

        A successful operation that produced no string gives
        WBEM_E_INVALID_OPERATION.
        """
        st = self._store
        if not st.wait_done(timeout_ms):
            return _S_TIMEDOUT, None
        if st.error is not None:
            return st.error.hresult, None
        if st.message is None:
            return HResult.WBEM_E_INVALID_OPERATION, None
        return _S_OK, st.message

    def get_call_status(
        self, timeout_ms: int = WBEM_INFINITE
    ) -> tuple[int, int | None]:
        """GetCallStatus: ``(WBEM_S_NO_ERROR, final hr)`` or ``(WBEM_S_TIMEDOUT, None)``."""
        st = self._store
        if not st.wait_done(timeout_ms):
            return _S_TIMEDOUT, None
        return _S_OK, st.hresult


def start_call_result(
    engine: Engine,
    operation: Any,
    source: Source,
    *,
    flags: int = 0,
    user: Any = None,
    namespace: Any = None,
) -> CallResult:
    """Start a semisynchronous single-result call (GetObject, PutInstance…)."""
    store = _Store(False, 1)
    store.engine = engine
    store.call = engine.start(
        operation,
        source,
        store,
        flags=flags & ~WBEM_FLAG_SEND_STATUS,
        user=user,
        namespace=namespace,
        sink_timeout=None,
    )
    return CallResult(store)


def run_sync(
    engine: Engine,
    operation: Any,
    source: Source,
    *,
    flags: int = 0,
    user: Any = None,
    namespace: Any = None,
) -> list[Any]:
    """Synchronous mode: the same engine, waited on.

    Returns:
        Every object produced.

    Raises:
        WbemError: the operation's failure (its synchronous code).
        InvalidOperationError: called on the engine thread (would deadlock).
    """
    return run_sync_outcome(
        engine, operation, source, flags=flags, user=user, namespace=namespace
    ).objects


def run_sync_outcome(
    engine: Engine,
    operation: Any,
    source: Source,
    *,
    flags: int = 0,
    user: Any = None,
    namespace: Any = None,
) -> CollectingSink:
    """Like ``run_sync`` but returns the completed CollectingSink (objects,
    ``result_string`` for PutInstance, status)."""
    if threading.get_ident() == engine._loop_tid:
        raise InvalidOperationError(
            "a synchronous call cannot wait on the engine thread"
        )
    sink = CollectingSink()
    engine.start(
        operation,
        source,
        sink,
        flags=flags & ~WBEM_FLAG_SEND_STATUS,
        user=user,
        namespace=namespace,
        sink_timeout=None,
    )
    status = sink.wait()
    if is_error(status):
        err = sink.error
        assert err is not None
        raise err
    return sink
