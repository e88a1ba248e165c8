"""The pumps: pull a source's stream, batch it, hand batches to delivery.

Owns ``_Batch`` (when to flush: count, estimated bytes, age, producer about to
wait) and the three pumps of ``Engine``: sync iterables on a worker thread
(closed between items on cancel), async iterators on the engine loop (task
cancelled and the generator closed with ``aclose()`` on cancel), and single awaitables. A pump never
calls a sink itself: it goes through ``Engine._deliver_data`` / ``_complete``.
Imports only openwmi.errors, the engine's modules and the stdlib; never the
object manager, the wire, or socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
from typing import TYPE_CHECKING, Any

from openwmi.errors import HResult, ProviderError, WbemError, is_error

from ._call import Call, CallState, FinalStatus
from ._source import BatchPolicy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Generator
    from concurrent.futures import ThreadPoolExecutor

    from ._call import CancelReason

__all__: list[str] = []

_log = logging.getLogger("openwmi.engine")
_RUNNING = CallState.RUNNING
_END = object()


class _Batch:
    """Objects collected for the next ``indicate`` (owned by the producer side).

    Per object the cost is an append and a compare: the bytes of a batch are
    estimated as count x the size of its first object (results of one call are
    mostly alike), and its age is checked every 32 objects.
    """

    __slots__ = (
        "inflight",
        "items",
        "limit",
        "max_bytes",
        "max_delay",
        "max_objects",
        "rekick",
        "sizer",
        "started",
    )

    def __init__(self, policy: BatchPolicy) -> None:
        self.items: list[Any] = []
        self.started = 0.0
        self.max_objects = policy.max_objects
        self.max_bytes = policy.max_bytes
        self.max_delay = policy.max_delay
        self.sizer = policy.sizer
        self.limit = policy.max_objects
        self.inflight: asyncio.Future[None] | None = None  # async pumps only
        self.rekick = False  # a flush is scheduled for when ``inflight`` ends

    def add(self, obj: Any) -> bool:
        """Append; True when the batch should be flushed now."""
        items = self.items
        items.append(obj)
        n = len(items)
        if n == 1:
            self.started = time.monotonic()
            if self.max_bytes:
                per_object = max(1, self.sizer(obj))
                self.limit = max(1, min(self.max_objects, self.max_bytes // per_object))
        if n >= self.limit:
            return True
        return not n & 31 and time.monotonic() - self.started >= self.max_delay

    def take(self) -> list[Any]:
        items, self.items = self.items, []
        return items


@types.coroutine
def _resume(coro: Any, yielded: Any) -> Generator[Any, Any, Any]:
    """Continue awaiting ``coro`` after we stepped it once by hand.

    Lets an async pump notice that the producer is about to wait (the first
    ``send`` yielded) and flush its batch before waiting with it.
    """
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


def _failure(exc: Exception) -> FinalStatus:
    """A producer exception as the final status (WbemError keeps its code)."""
    if isinstance(exc, WbemError) and is_error(exc.hresult):
        exc.__traceback__ = None
        return FinalStatus(exc.hresult, exc.message, exc)
    message = str(exc) or type(exc).__name__
    err = ProviderError(message, exception_type=type(exc).__name__)
    return FinalStatus(err.hresult, message, err)


class _Pumps:
    """Engine's pump half (a mixin: ``Engine`` supplies the attributes below)."""

    _loop: asyncio.AbstractEventLoop
    _pool: ThreadPoolExecutor
    _batch: BatchPolicy

    if TYPE_CHECKING:

        def _deliver_data(
            self,
            call: Call,
            objects: list[Any] | None,
            progress: tuple[int, str | None] | None,
            from_batch: _Batch | None = None,
        ) -> None: ...

        def _complete(
            self, call: Call, final: FinalStatus, reason: CancelReason | None = None
        ) -> bool: ...

        def _pump_exit(self) -> None: ...

    def _finish_off_loop(self, call: Call, final: FinalStatus) -> None:
        try:
            self._complete(call, final)
        finally:
            self._pump_exit()

    def _policy(self, call: Call) -> BatchPolicy:
        policy = getattr(call.operation, "batch_policy", None)
        return policy if isinstance(policy, BatchPolicy) else self._batch

    def _success(self, call: Call) -> FinalStatus:
        ctx = call.ctx
        assert ctx is not None
        return FinalStatus(ctx.final_code, ctx.result_string, None)

    # --- pumps ----------------------------------------------------------------------

    def _pump_sync(self, call: Call, stream: Any) -> None:
        """On a worker thread: pull a sync iterable, deliver batches inline."""
        final: FinalStatus | None = None
        it: Any = None
        batch = call.batch = _Batch(self._policy(call))
        try:
            it = iter(stream)
            detach = call.detach
            for obj in it:
                if call.state is not _RUNNING:
                    if detach:
                        continue  # ExecMethod: run to completion, drop results
                    break  # cancelled: close the generator between items
                if batch.add(obj):
                    self._deliver_data(call, batch.take(), None)
            if call.state is _RUNNING:
                if batch.items:
                    self._deliver_data(call, batch.take(), None)
                final = self._success(call)
        except Exception as exc:
            final = _failure(exc)
            if batch.items and call.state is _RUNNING:  # objects before the failure
                self._deliver_data(call, batch.take(), None)
        finally:
            call.batch = None
            close = getattr(it, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    _log.debug("closing a producer failed", exc_info=True)
        del it, stream
        self._finish_off_loop_maybe(call, final)

    def _finish_off_loop_maybe(self, call: Call, final: FinalStatus | None) -> None:
        try:
            if final is not None:
                self._complete(call, final)
        finally:
            self._pump_exit()

    async def _pump_async(self, call: Call, stream: Any) -> None:
        """On the loop: pull an async iterator, deliver batches on workers."""
        final: FinalStatus | None = None
        it: Any = None
        batch = call.batch = _Batch(self._policy(call))
        try:
            it = stream if hasattr(stream, "__anext__") else stream.__aiter__()
            detach = call.detach
            while True:
                if call.state is not _RUNNING and not detach:
                    break
                obj = await self._anext(call, it, batch)
                if obj is _END:
                    break
                if call.state is not _RUNNING:
                    if detach:
                        continue
                    break
                if batch.add(obj):
                    await self._flush_async(call, batch)
            await self._drain(batch)
            if call.state is _RUNNING:
                if batch.items:
                    await self._flush_async(call, batch)
                final = self._success(call)
        except asyncio.CancelledError:
            if not call.terminal:  # cancelled by shutdown of a detached call
                final = FinalStatus(
                    HResult.WBEM_E_SHUTTING_DOWN,
                    "the call engine is shutting down",
                    None,
                )
        except Exception as exc:
            final = _failure(exc)
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain(batch)
                if batch.items and call.state is _RUNNING:  # objects before the failure
                    await self._flush_async(call, batch)
        finally:
            call.batch = None
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except BaseException:
                    _log.debug("closing an async producer failed", exc_info=True)
        del it, stream
        await self._finish_async(call, final)

    async def _finish_async(self, call: Call, final: FinalStatus | None) -> None:
        try:
            if final is not None:
                await self._loop.run_in_executor(
                    self._pool, self._complete, call, final
                )
        except BaseException:
            _log.debug("final status after cancellation", exc_info=True)
        finally:
            self._pump_exit()

    async def _anext(self, call: Call, it: Any, batch: _Batch) -> Any:
        """The next object or _END; flushes the batch when the producer would wait.

        The producer's ``__anext__`` is stepped once by hand: if it yields (it
        is about to wait), the pending objects are handed to a worker *without*
        awaiting that delivery here, so the parked producer is always resumed by
        ``_resume`` (a cancellation is thrown into it, never lost).
        """
        coro = it.__anext__()
        send = getattr(coro, "send", None)
        if send is None:
            try:
                return await coro
            except StopAsyncIteration:
                return _END
        try:
            yielded = send(None)
        except StopIteration as stop:
            return stop.value
        except StopAsyncIteration:
            return _END
        if batch.items and call.state is _RUNNING:
            self._kick(call, batch)
        try:
            return await _resume(coro, yielded)
        except StopAsyncIteration:
            return _END

    def _kick(self, call: Call, batch: _Batch) -> None:
        """The producer is about to wait: hand the pending objects to a worker.

        One delivery at a time per call: when one is still in flight, the rest
        goes out as soon as it finishes (a done-callback on the loop), so a
        producer that waits long — an event subscription — never strands
        objects in its batch. A ``_drain``/``_flush_async`` that took over the
        in-flight delivery meanwhile makes the callback a no-op.
        """
        inflight = batch.inflight
        if inflight is not None and not inflight.done():
            if not batch.rekick:
                batch.rekick = True

                def again(done: asyncio.Future[None]) -> None:
                    batch.rekick = False
                    if (
                        batch.inflight is done
                        and batch.items
                        and call.state is _RUNNING
                        and call.batch is batch
                    ):
                        self._kick(call, batch)

                inflight.add_done_callback(again)
            return
        if inflight is not None:
            inflight.result()  # a finished delivery: surface its failure, if any
        batch.inflight = self._loop.run_in_executor(
            self._pool, self._deliver_data, call, batch.take(), None
        )

    async def _flush_async(self, call: Call, batch: _Batch) -> None:
        """Deliver the batch on a worker, after any delivery still in flight."""
        await self._drain(batch)
        if batch.items:
            await self._loop.run_in_executor(
                self._pool, self._deliver_data, call, batch.take(), None
            )

    @staticmethod
    async def _drain(batch: _Batch) -> None:
        inflight, batch.inflight = batch.inflight, None
        if inflight is not None:
            await inflight

    async def _pump_awaitable(self, call: Call, aw: Awaitable[Any]) -> None:
        """On the loop: a single-result producer."""
        final: FinalStatus | None = None
        try:
            obj = await aw
            if call.state is _RUNNING:
                if obj is not None:
                    await self._loop.run_in_executor(
                        self._pool, self._deliver_data, call, [obj], None
                    )
                if call.state is _RUNNING:
                    final = self._success(call)
        except asyncio.CancelledError:
            if not call.terminal:
                final = FinalStatus(
                    HResult.WBEM_E_SHUTTING_DOWN,
                    "the call engine is shutting down",
                    None,
                )
        except Exception as exc:
            final = _failure(exc)
        del aw
        await self._finish_async(call, final)
