"""Engine: starts, delivers, cancels, times out and shuts down calls.

Owns the asyncio loop (on its own thread, so callers without a loop work), the
worker pool for sync producers and sink deliveries, the pumps that batch a
source's objects into ``indicate``, and ``cancel_async_call`` exactly as the
design.md decisions table says. Imports only openwmi.errors/constants, the
engine's own modules and the stdlib; never the object manager, protocol,
server, client, or socket.

Rule 1. The engine never touches the sink if ``start`` raises.
Rule 2. ``indicate`` gets >= 1 object, only while the call is RUNNING; then one
        final ``set_status(WBEM_STATUS_COMPLETE, ...)``; nothing after it; the
        sink reference is dropped right after it.
Rule 3. ``cancel_async_call`` never waits on a sink: the final status is
        delivered on the caller's thread, or, if a callback of that call is in
        progress, by that callback's thread right after it returns.
Rule 4. Sink callbacks never run on the engine loop thread except progress and
        ``ctx.flush()`` reported by async producers, and finals of
        engine-internal releases to the engine's own hidden sinks.
Rule 5. A sink callback slower than the sink timeout (injected Clock) cancels
        its call with reason ``deadline``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openwmi.constants import WBEM_STATUS_COMPLETE, WBEM_STATUS_PROGRESS
from openwmi.errors import (
    HResult,
    InvalidOperationError,
    InvalidParameterError,
    ProviderError,
    ShuttingDownError,
)

from ._call import Call, CallState, CancelReason, FinalStatus
from ._clock import Clock, MonotonicClock
from ._pump import _Batch, _failure, _Pumps
from ._registry import CallRegistry
from ._source import BatchPolicy, CallContext, Source

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

    from ._sink import ObjectSink

__all__ = ["Engine", "EngineStatistics", "in_sink_callback"]

_log = logging.getLogger("openwmi.engine")
_RUNNING = CallState.RUNNING


class _Local(threading.local):
    depth = 0  # > 0 while this thread runs a sink callback


_tls = _Local()


def in_sink_callback() -> bool:
    """True when the current thread is inside a sink callback of any engine."""
    return _tls.depth > 0


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET


def _is_failure(rc: object) -> bool:
    """A failure HRESULT (severity bit) returned by a sink (spec §3.5)."""
    if isinstance(rc, bool) or not isinstance(rc, int):
        return False
    return rc < 0 or bool(rc & 0x80000000)


@dataclass(frozen=True, slots=True)
class EngineStatistics:
    """A frozen snapshot of the engine (``Engine.statistics()``)."""

    live_calls: int
    live_sinks: int
    producers_running: int
    calls_started: int
    calls_completed: int
    calls_failed: int
    calls_cancelled: int
    closed: bool


class Engine(_Pumps):
    """The call engine: every WMI call mode over any ``Source``.

    Args:
        clock: time source for sink timers (tests inject a FakeClock).
        sink_timeout: seconds a sink callback may take before its call is
            cancelled (spec §3.4: 30 s); None disables the timer.
        batch: default batching of ``indicate``.
        max_workers: worker threads for sync producers and sink deliveries.
        watchdog_interval: seconds between sink-timer checks on the engine
            loop; None disables them (call ``expire_deadlines()`` yourself).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        sink_timeout: float | None = 30.0,
        batch: BatchPolicy | None = None,
        max_workers: int = 64,
        watchdog_interval: float | None = 1.0,
        name: str = "openwmi-engine",
    ) -> None:
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self.sink_timeout = sink_timeout
        self._batch = batch if batch is not None else BatchPolicy()
        self._registry = CallRegistry()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pumps = 0
        self._closed = False
        self._stopped = False
        self._started = self._completed = self._failed = self._cancelled = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pool = ThreadPoolExecutor(
            max_workers, thread_name_prefix=f"{name}-worker"
        )
        self._loop = asyncio.new_event_loop()
        self._loop.set_default_executor(self._pool)
        self._watchdog_interval = watchdog_interval
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name=name, daemon=True
        )
        self._thread.start()
        ready.wait()
        self._loop_tid = self._thread.ident
        if watchdog_interval is not None:
            self._loop.call_soon_threadsafe(self._arm_watchdog)

    # --- lifecycle ----------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            try:
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            finally:
                self._loop.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once ``close()`` began."""
        return self._closed

    @property
    def clock(self) -> Clock:
        """The engine's clock."""
        return self._clock

    def close(self, timeout: float | None = None) -> bool:
        """Shut down: every pending call ends with one ``WBEM_E_SHUTTING_DOWN``.

        Then waits for every producer (detached async producers are cancelled;
        sync producers blocked inside an item are waited for), stops the loop
        and joins every thread. Idempotent.

        Returns:
            False if producers were still running after ``timeout`` seconds
            (the threads are then left to finish); True otherwise.

        Raises:
            InvalidOperationError: called from a sink callback or the engine
                thread (it would wait for itself).
        """
        if in_sink_callback() or threading.get_ident() == self._loop_tid:
            raise InvalidOperationError(
                "Engine.close() is not operational from within a sink or a producer"
            )
        with self._lock:
            self._closed = True
            calls = self._registry.snapshot()
            stopped = self._stopped
        if stopped:
            return True
        for call in calls:
            self._cancel_call(
                call,
                "shutdown",
                HResult.WBEM_E_SHUTTING_DOWN,
                "the call engine is shutting down",
            )
        self._call_soon(self._cancel_all_tasks)
        with self._idle:
            idle = self._idle.wait_for(lambda: self._pumps == 0, timeout)
            if not idle:
                return False
            if self._stopped:
                return True
            self._stopped = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._pool.shutdown(wait=True)
        return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no producer runs (every pump has exited)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pumps == 0, timeout)

    def statistics(self) -> EngineStatistics:
        """A frozen snapshot: live calls and sinks, producers, counters."""
        with self._lock:
            return EngineStatistics(
                live_calls=len(self._registry),
                live_sinks=self._registry.sink_count(),
                producers_running=self._pumps,
                calls_started=self._started,
                calls_completed=self._completed,
                calls_failed=self._failed,
                calls_cancelled=self._cancelled,
                closed=self._closed,
            )

    def live_calls(self, sink: object) -> list[Call]:
        """The calls still live on ``sink`` (no final status decided yet)."""
        with self._lock:
            return self._registry.calls_for(sink)

    # --- start ----------------------------------------------------------------------

    def start(
        self,
        operation: Any,
        source: Source,
        sink: ObjectSink,
        *,
        flags: int = 0,
        user: Any = None,
        namespace: Any = None,
        sink_timeout: float | _Unset | None = _UNSET,
    ) -> Call:
        """Start an asynchronous call; results go to ``sink``.

        Args:
            operation: opaque to the engine (see ``detach_on_cancel``,
                ``batch_policy`` in the Source docs).
            source: produces the results (``Source``).
            sink: the client's ObjectSink.
            flags: the call's flags (WBEM_FLAG_SEND_STATUS enables progress).
            user, namespace: passed to the producer through ``CallContext``.
            sink_timeout: override the engine's sink timer for this call
                (None: no timer; used by hidden sinks that apply backpressure).

        Returns:
            The Call handle.

        Raises:
            InvalidParameterError: ``sink`` or ``source`` is None.
            ShuttingDownError: the engine is closed.
            In every case the sink is not touched.
        """
        if sink is None:
            raise InvalidParameterError(
                "sink is None: an asynchronous call needs an object sink"
            )
        if source is None:
            raise InvalidParameterError("source is None")
        timeout = self.sink_timeout if sink_timeout is _UNSET else sink_timeout
        detach = bool(getattr(operation, "detach_on_cancel", False))
        call = Call(sink, operation, flags=flags, detach=detach, sink_timeout=timeout)
        call.source = source
        call.ctx = CallContext(
            self, call, flags=flags, user=user, namespace=namespace, operation=operation
        )
        with self._lock:
            if self._closed:
                raise ShuttingDownError("the call engine is shut down")
            self._registry.add(call)
            self._pumps += 1
            self._started += 1
        self._loop.call_soon_threadsafe(self._launch, call)
        return call

    def _launch(self, call: Call) -> None:
        """On the loop: open the source and start the right pump."""
        if not call.mark_running():
            self._pump_exit()
            return
        call.opened = True
        assert call.ctx is not None
        try:
            stream = call.source.open(call.operation, call.ctx)
        except Exception as exc:
            self._pool.submit(self._finish_off_loop, call, _failure(exc))
            return
        if stream is None:
            self._pool.submit(self._pump_sync, call, ())
        elif hasattr(stream, "__anext__") or hasattr(stream, "__aiter__"):
            call.task = self._spawn(self._pump_async(call, stream))
        elif inspect.isawaitable(stream):
            call.task = self._spawn(self._pump_awaitable(call, stream))
        elif hasattr(stream, "__iter__"):
            self._pool.submit(self._pump_sync, call, stream)
        else:
            err = ProviderError(
                f"the source returned {type(stream).__name__}, not a stream"
            )
            self._pool.submit(self._finish_off_loop, call, _failure(err))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _pump_exit(self) -> None:
        with self._idle:
            self._pumps -= 1
            if self._pumps == 0:
                self._idle.notify_all()

    # --- delivery -------------------------------------------------------------------

    def _deliver_data(
        self,
        call: Call,
        objects: list[Any] | None,
        progress: tuple[int, str | None] | None,
        from_batch: _Batch | None = None,
    ) -> None:
        """One ``indicate`` (or progress ``set_status``), serialised per call.

        With ``from_batch`` the objects are taken from it only once the call's
        delivery lock is held, so a loop-side flush that cannot get the lock
        leaves them for the pump instead of losing them.
        """
        dlock = call.dlock
        # Never block the engine loop: a busy call drops loop-side progress.
        if not dlock.acquire(threading.get_ident() != self._loop_tid):
            return
        failed = False
        final: FinalStatus | None = None
        try:
            if from_batch is not None:
                objects = from_batch.take()
                if not objects:
                    return
            if not call.try_begin_callback(self._clock.now()):
                return
            try:
                sink = call.sink
                assert sink is not None
                _tls.depth += 1
                try:
                    if progress is None:
                        rc = sink.indicate(objects)  # type: ignore[arg-type]  # set when no progress
                    else:
                        rc = sink.set_status(
                            WBEM_STATUS_PROGRESS, progress[0], progress[1], None
                        )
                    failed = _is_failure(rc)
                except Exception:
                    _log.debug(
                        "sink callback raised; cancelling the call", exc_info=True
                    )
                    failed = True
                finally:
                    _tls.depth -= 1
                    del sink
            finally:
                final = call.end_callback()
        finally:
            dlock.release()
        if final is not None:
            self._deliver_final(call, final)
        elif failed:
            self._cancel_call(call, "sink_error")

    def _deliver_final(self, call: Call, final: FinalStatus) -> None:
        sink = call.sink
        if sink is not None:
            _tls.depth += 1
            try:
                sink.set_status(
                    WBEM_STATUS_COMPLETE, final.hresult, final.message, final.obj
                )
            except Exception:
                _log.debug("final set_status raised (ignored)", exc_info=True)
            finally:
                _tls.depth -= 1
            del sink
        call.final_done()

    def _deliver_progress(self, call: Call, percent: int, message: str | None) -> None:
        if call.state is not _RUNNING:
            return
        self._flush_pending(call)
        hr = (100 << 16) | max(0, min(100, int(percent)))
        self._deliver_data(call, None, (hr, message))

    def _flush_pending(self, call: Call) -> None:
        batch = call.batch
        if batch is not None and batch.items and call.state is _RUNNING:
            self._deliver_data(call, None, None, from_batch=batch)

    # --- completion and cancellation ---------------------------------------------------

    def _complete(
        self, call: Call, final: FinalStatus, reason: CancelReason | None = None
    ) -> bool:
        """finish() → registry.remove() → set_status(), outside any lock."""
        began, now = call.complete(final.hresult, final.message, final.obj, reason)
        if not began:
            return False
        with self._lock:
            self._registry.remove(call)
            if call.state is CallState.COMPLETED:
                self._completed += 1
            elif call.state is CallState.FAILED:
                self._failed += 1
            else:
                self._cancelled += 1
        if now is not None:
            self._deliver_final(call, now)
        return True

    def _cancel_call(
        self,
        call: Call,
        reason: CancelReason,
        hresult: int = HResult.WBEM_E_CALL_CANCELLED,
        message: str | None = None,
    ) -> bool:
        text = message or f"the call was cancelled ({reason})"
        if not self._complete(call, FinalStatus(hresult, text, None), reason):
            return False
        if not call.detach:  # method providers are never told (spec §2.6.5)
            ctx = call.ctx
            assert ctx is not None
            ctx._cancelled = True
            self._call_soon(self._notify_producer, call)
        return True

    def _call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        # A closed loop means nothing is left to notify.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(fn, *args)

    def _notify_producer(self, call: Call) -> None:
        """On the loop: stop the producer of a cancelled call."""
        task = call.task
        if task is not None and not task.done():
            task.cancel()
        ctx = call.ctx
        assert ctx is not None
        for callback in ctx._mark_cancelled():
            try:
                callback()
            except Exception:
                _log.debug("on_cancel hook failed", exc_info=True)
        cancel = getattr(call.source, "cancel", None)
        if call.opened and callable(cancel):
            with contextlib.suppress(RuntimeError):
                self._pool.submit(self._run_source_cancel, cancel, ctx)

    def _run_source_cancel(
        self, cancel: Callable[[CallContext], object], ctx: CallContext
    ) -> None:
        try:
            result = cancel(ctx)
            if inspect.isawaitable(result):
                self._call_soon(self._spawn, self._quietly(result))
        except Exception:
            _log.debug("source.cancel failed (ignored)", exc_info=True)

    @staticmethod
    async def _quietly(aw: Awaitable[Any]) -> None:
        try:
            await aw
        except BaseException:
            _log.debug("source.cancel failed (ignored)", exc_info=True)

    def _cancel_all_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def cancel_async_call(self, sink: ObjectSink | None) -> int:
        """IWbemServices::CancelAsyncCall (design.md decisions table).

        Cancels every live call on ``sink``; each gets exactly one final
        ``set_status(0, WBEM_E_CALL_CANCELLED, ...)`` unless it already had its
        final status. No indicate or progress starts after this returns. Never
        waits on a sink callback; callable from any thread.

        Returns:
            WBEM_S_NO_ERROR (0).

        Raises:
            InvalidOperationError: called from inside a sink callback (nothing
                changed; return an error from ``indicate`` instead).
            InvalidParameterError: ``sink`` is None, or no pending call uses it.
        """
        if in_sink_callback():
            raise InvalidOperationError(
                "cancel_async_call is not operational from within a sink; "
                "return an error from indicate instead"
            )
        if sink is None:
            raise InvalidParameterError("sink is None")
        with self._lock:
            calls = self._registry.calls_for(sink)
        cancelled = 0
        for call in calls:
            cancelled += self._cancel_call(call, "client")
        if not cancelled:
            raise InvalidParameterError("no pending call uses that sink")
        return HResult.WBEM_S_NO_ERROR

    def cancel_call(self, call: Call, reason: CancelReason = "client") -> bool:
        """Cancel one call (release of an enumerator, a facade stream).

        Unlike ``cancel_async_call`` this is allowed inside a sink callback; if
        that callback belongs to ``call``, the final status follows its return.

        Returns:
            True if this cancelled the call; False if it had already ended.
        """
        return self._cancel_call(call, reason)

    def release_soon(self, call: Call) -> None:
        """Cancel ``call`` from the engine thread (safe in ``__del__``)."""
        if not call.terminal:
            self._call_soon(self._cancel_call, call, "released")

    # --- sink timer ------------------------------------------------------------------

    def expire_deadlines(self) -> int:
        """Cancel every call whose sink callback has outlived the sink timeout.

        The final status is delivered by the callback's thread once it returns.
        The watchdog calls this; tests call it after ``FakeClock.advance()``.

        Returns:
            How many calls were cancelled.
        """
        now = self._clock.now()
        with self._lock:
            calls = self._registry.snapshot()
        return sum(self._cancel_call(c, "deadline") for c in calls if c.deadline <= now)

    def _arm_watchdog(self) -> None:
        if not self._closed and self._watchdog_interval is not None:
            self._loop.call_later(self._watchdog_interval, self._watchdog_tick)

    def _watchdog_tick(self) -> None:
        try:
            self.expire_deadlines()
        finally:
            self._arm_watchdog()
