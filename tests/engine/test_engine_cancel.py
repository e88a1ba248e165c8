"""cancel_async_call and every interleaving of cancel with delivery
(spec §2, §3.4, §3.5, §13 items 3-7, 9, 10; design.md decisions table)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from openwmi.constants import WBEM_FLAG_SEND_STATUS
from openwmi.engine import BatchPolicy, CallContext, CallState, Engine
from openwmi.errors import HResult, InvalidOperationError, InvalidParameterError
from openwmi.testing import (
    FakeClock,
    Gate,
    GatedSource,
    ListSource,
    Op,
    RecordingSink,
    assert_call_invariants,
    running_engine,
    wait_until,
)

E = HResult
MODES = ["sync", "async"]


class BlockingOpen:
    """A source whose open() blocks the engine thread until ``go`` (test-only misuse)."""

    def __init__(self) -> None:
        self.entered, self.go = Gate(), Gate()

    def open(self, operation: Any, ctx: CallContext) -> Any:
        self.entered.set()
        self.go.wait()
        return iter([])


class CountingOpen:
    def __init__(self) -> None:
        self.opened = 0

    def open(self, operation: Any, ctx: CallContext) -> Any:
        self.opened += 1
        return iter([1, 2, 3])


def test_cancel_before_start_never_opens_the_source(engine: Engine) -> None:
    """Spec §13.3 (cancel-before-start): S_OK, one SetStatus(CALL_CANCELLED), nothing else."""
    blocker = BlockingOpen()
    first = RecordingSink()
    engine.start(Op(), blocker, first)
    blocker.entered.wait()  # the engine thread is busy: the next call cannot start
    src, sink = CountingOpen(), RecordingSink()
    call = engine.start(Op(), src, sink)
    assert engine.cancel_async_call(sink) == E.WBEM_S_NO_ERROR
    assert sink.status == E.WBEM_E_CALL_CANCELLED  # delivered before cancel returned
    blocker.go.set()
    assert assert_call_invariants(sink, engine) == E.WBEM_E_CALL_CANCELLED
    assert_call_invariants(first, engine)
    assert src.opened == 0
    assert sink.indicates == []
    assert call.state is CallState.CANCELLED
    assert call.cancel_reason == "client"


@pytest.mark.parametrize("mode", MODES)
def test_cancel_before_the_first_object(engine: Engine, mode: str) -> None:
    """Spec §13.3: cancel before the provider produced anything; the producer is closed."""
    src = GatedSource(["a", "b"], gated={0}, mode=mode)
    hold = Gate()
    sink = RecordingSink()

    class Held:
        """Blocks before the first yield until ``hold`` opens."""

        def open(self, operation: Any, ctx: CallContext) -> Any:
            inner = src.open(operation, ctx)
            if mode == "sync":

                def gen() -> Iterator[Any]:
                    src.started.set()
                    hold.wait()
                    yield from inner

                return gen()

            async def agen() -> AsyncIterator[Any]:
                src.started.set()
                await hold.wait_async()
                async for x in inner:
                    yield x

            return agen()

    engine.start(Op(), Held(), sink)
    src.started.wait()
    assert engine.cancel_async_call(sink) == E.WBEM_S_NO_ERROR
    assert sink.events
    assert sink.events[0][:3] == ("final", 0, E.WBEM_E_CALL_CANCELLED)
    hold.set()
    src.release_all()
    assert_call_invariants(sink, engine)
    assert sink.indicates == []
    assert src.contexts == [] or src.produced <= 1


@pytest.mark.parametrize("mode", MODES)
def test_cancel_between_two_batches(clock: FakeClock, mode: str) -> None:
    """Spec §2.6.2 / issue 4 bench rule: nothing after cancel; producer stops within one batch."""
    with running_engine(clock=clock, batch=BatchPolicy(max_objects=2)) as eng:
        src = GatedSource(list(range(10)), gated={1, 3}, mode=mode)
        sink = RecordingSink()
        eng.start(Op(), src, sink)
        src.reached[1].wait()
        sink.wait_objects(2)
        assert eng.cancel_async_call(sink) == E.WBEM_S_NO_ERROR
        src.release_all()
        assert assert_call_invariants(sink, eng) == E.WBEM_E_CALL_CANCELLED
        src.closed.wait()
        assert sink.objects == [0, 1]
        assert src.produced - 2 <= 2  # produced after cancel <= one batch
        assert src.contexts[0].cancelled


@pytest.mark.parametrize("mode", MODES)
def test_cancel_after_completion_is_invalid_parameter(
    engine: Engine, mode: str
) -> None:
    """Spec §13.4 / design.md: finished sink → WBEM_E_INVALID_PARAMETER, no second SetStatus."""
    sink = RecordingSink()
    engine.start(Op(), ListSource([1, 2], mode=mode), sink)
    assert_call_invariants(sink, engine)
    with pytest.raises(
        InvalidParameterError, match="no pending call uses that sink"
    ) as info:
        engine.cancel_async_call(sink)
    assert info.value.hresult == E.WBEM_E_INVALID_PARAMETER
    assert_call_invariants(sink, engine)
    assert sink.status == E.WBEM_S_NO_ERROR


def test_cancel_null_or_unknown_sink_is_invalid_parameter(engine: Engine) -> None:
    """Spec §13.5 (CancelAsyncCall(NULL) → 0x80041008) and design.md "unknown sink"."""
    with pytest.raises(InvalidParameterError) as info:
        engine.cancel_async_call(None)
    assert info.value.hresult == 0x80041008
    with pytest.raises(InvalidParameterError, match="no pending call uses that sink"):
        engine.cancel_async_call(RecordingSink())
    assert engine.statistics().calls_cancelled == 0


@pytest.mark.parametrize("mode", MODES)
def test_cancel_twice(engine: Engine, mode: str) -> None:
    """Spec §2.6.3: a second cancel adds no second SetStatus (→ INVALID_PARAMETER)."""
    src = GatedSource(3, gated={0}, mode=mode)
    sink = RecordingSink()
    engine.start(Op(), src, sink)
    src.reached[0].wait()
    assert engine.cancel_async_call(sink) == 0
    with pytest.raises(InvalidParameterError):
        engine.cancel_async_call(sink)
    src.release_all()
    assert assert_call_invariants(sink, engine) == E.WBEM_E_CALL_CANCELLED


def _cancel_from_two_threads(engine: Engine, sink: RecordingSink) -> list[object]:
    barrier = threading.Barrier(2)
    results: list[object] = []

    def cancel() -> None:
        barrier.wait()
        try:
            results.append(engine.cancel_async_call(sink))
        except InvalidParameterError as exc:
            results.append(exc)

    threads = [threading.Thread(target=cancel) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("mode", MODES)
def test_cancel_concurrently_from_two_threads(engine: Engine, mode: str) -> None:
    """Spec §2.4 / design.md: callable from any thread; exactly one final status."""
    for _ in range(20):
        src = GatedSource(3, gated={0}, mode=mode)
        sink = RecordingSink()
        engine.start(Op(), src, sink)
        src.reached[0].wait()
        results = _cancel_from_two_threads(engine, sink)
        src.release_all()
        assert assert_call_invariants(sink, engine) == E.WBEM_E_CALL_CANCELLED
        assert results.count(0) == 1
        assert sum(isinstance(r, InvalidParameterError) for r in results) == 1


def test_several_calls_on_one_sink_one_cancel_ends_all(engine: Engine) -> None:
    """Spec §13.6 / §2.6.4 / design.md: one cancel cancels every call on the sink, others untouched."""
    shared, other = RecordingSink(), RecordingSink()
    srcs = [GatedSource(3, gated={0}, mode=m) for m in ("sync", "async", "sync")]
    for s in srcs[:2]:
        engine.start(Op(), s, shared)
    engine.start(Op(), srcs[2], other)
    for s in srcs:
        s.reached[0].wait()
    assert len(engine.live_calls(shared)) == 2
    assert engine.cancel_async_call(shared) == 0
    for s in srcs:
        s.release_all()
    assert_call_invariants(shared, engine, calls=2)
    assert [f[2] for f in shared.finals] == [E.WBEM_E_CALL_CANCELLED] * 2
    assert assert_call_invariants(other, engine) == E.WBEM_S_NO_ERROR
    assert other.objects == [0, 1, 2]


@pytest.mark.parametrize("mode", MODES)
def test_cancelled_method_call_runs_to_completion_detached(
    engine1: Engine, mode: str
) -> None:
    """Spec §13.7 / §2.6.5: ExecMethodAsync cancel → CALL_CANCELLED; provider runs on; side
    effect stays; late results dropped; the provider is never told (design.md #14/15)."""
    src = GatedSource(["step0", "step1", {"ReturnValue": 0}], gated={0}, mode=mode)
    sink = RecordingSink()
    call = engine1.start(Op("Defrag", detach_on_cancel=True), src, sink)
    src.reached[0].wait()
    assert engine1.cancel_async_call(sink) == 0
    assert sink.status == E.WBEM_E_CALL_CANCELLED
    assert not src.contexts[0].cancelled  # not told
    src.release_all()
    src.completed.wait()
    assert assert_call_invariants(sink, engine1) == E.WBEM_E_CALL_CANCELLED
    assert src.side_effects == ["done"]
    assert src.produced == 3
    assert sink.objects == ["step0"]  # no out-params: late results dropped
    assert src.cancel_calls == 0
    assert call.cancel_reason == "client"


@pytest.mark.parametrize("mode", MODES)
def test_provider_cancel_hook_is_called_and_cannot_change_the_outcome(
    engine: Engine, mode: str
) -> None:
    """design.md #14/15: a provider may implement cancel; its result never changes what the
    client sees; ctx.cancelled and on_cancel reach enumeration producers (issue 4)."""
    src = GatedSource(3, gated={0}, mode=mode, cancel_raises=True)
    hooked = Gate()
    sink = RecordingSink()

    class Hooking:
        def __init__(self) -> None:
            self.cancel = src.cancel

        def open(self, operation: Any, ctx: CallContext) -> Any:
            ctx.on_cancel(hooked.set)
            ctx.on_cancel(lambda: 1 / 0)  # a failing hook is ignored
            return src.open(operation, ctx)

    engine.start(Op(), Hooking(), sink)
    src.reached[0].wait()
    engine.cancel_async_call(sink)
    hooked.wait()
    src.release_all()
    assert assert_call_invariants(sink, engine) == E.WBEM_E_CALL_CANCELLED
    src.closed.wait()
    assert src.contexts[0].cancelled
    late = Gate()
    src.contexts[0].on_cancel(late.set)  # registering after cancel runs at once
    assert late.is_set()


def test_reentrant_cancel_from_indicate_is_refused(engine1: Engine) -> None:
    """Spec §13.10 / §2.5 / design.md: cancel from inside Indicate → WBEM_E_INVALID_OPERATION,
    no deadlock, nothing changed."""
    refused: list[InvalidOperationError] = []
    sink = RecordingSink()

    def on_indicate(objs: list[Any]) -> None:
        try:
            engine1.cancel_async_call(sink)
        except InvalidOperationError as exc:
            refused.append(exc)

    sink.on_indicate = on_indicate
    engine1.start(Op(), ListSource([1, 2, 3]), sink)
    assert assert_call_invariants(sink, engine1) == E.WBEM_S_NO_ERROR  # nothing changed
    assert len(refused) == 3
    assert refused[0].hresult == E.WBEM_E_INVALID_OPERATION
    assert "return an error from indicate" in refused[0].message


def test_reentrant_cancel_from_set_status_is_refused(engine: Engine) -> None:
    """Spec §13.10 / §2.5: CancelAsyncCall from SetStatus is refused at once (progress and final)."""
    other_src = GatedSource(2, gated={0})
    other = RecordingSink()
    engine.start(Op(), other_src, other)
    other_src.reached[0].wait()
    refused: list[str] = []

    def on_status(flags: int, hresult: int, message: str | None, obj: Any) -> None:
        for target in (sink, other):  # any sink, even another call's
            try:
                engine.cancel_async_call(target)
            except InvalidOperationError:
                refused.append(f"{flags}")

    sink = RecordingSink(on_status=on_status)
    engine.start(
        Op(),
        GatedSource(1, gated=set(), progress=True),
        sink,
        flags=WBEM_FLAG_SEND_STATUS,
    )
    assert_call_invariants(sink, engine, idle=False)  # `other` is still gated
    assert refused == ["2", "2", "0", "0"]  # progress, then final
    assert engine.live_calls(other)  # untouched
    other_src.release_all()
    assert assert_call_invariants(other, engine) == 0


@pytest.mark.parametrize("mode", MODES)
def test_cancel_during_a_callback_on_another_thread_never_waits(
    engine1: Engine, mode: str
) -> None:
    """Spec §13.10 / §2.4 "MUST NOT wait" / §3.4: cancel returns while Indicate runs; the final
    status follows on the delivering thread after Indicate returns."""
    entered, leave = Gate(), Gate()

    def on_indicate(objs: list[Any]) -> None:
        entered.set()
        leave.wait()

    sink = RecordingSink(on_indicate=on_indicate)
    engine1.start(Op(), GatedSource(5, gated=set(), mode=mode), sink)
    entered.wait()
    assert engine1.cancel_async_call(sink) == 0  # returns although Indicate is blocked
    assert sink.finals == []  # one callback at a time: not yet
    leave.set()
    assert assert_call_invariants(sink, engine1) == E.WBEM_E_CALL_CANCELLED
    indicate_thread = sink.events[0][2]
    assert sink.finals[0][-1] == indicate_thread
    assert len(sink.indicates) == 1


def test_no_progress_after_cancel(engine1: Engine) -> None:
    """Spec §13.11 / §3.3: progress is never sent after cancel."""
    src = GatedSource(5, gated={1}, progress=True)
    sink = RecordingSink()
    engine1.start(Op(), src, sink, flags=WBEM_FLAG_SEND_STATUS)
    src.reached[1].wait()
    before = len(sink.progress)
    engine1.cancel_async_call(sink)
    src.release_all()
    assert_call_invariants(sink, engine1)  # also: nothing after the final status
    src.closed.wait()
    assert len(sink.progress) == before == 2


@pytest.mark.parametrize("mode", MODES)
def test_sink_timeout_cancels_the_call(clock: FakeClock, mode: str) -> None:
    """Spec §13.9 / §3.4 sink timer / design.md (30 s default, injected clock): a callback
    slower than the timeout cancels its call; the final status comes after it returns."""
    with running_engine(
        clock=clock, watchdog_interval=None, batch=BatchPolicy(max_objects=1)
    ) as eng:
        entered, leave = Gate(), Gate()

        def on_indicate(objs: list[Any]) -> None:
            entered.set()
            leave.wait()

        sink = RecordingSink(on_indicate=on_indicate)
        src = GatedSource(5, gated=set(), mode=mode)
        call = eng.start(Op(), src, sink)
        entered.wait()
        clock.advance(29.9)
        assert eng.expire_deadlines() == 0
        clock.advance(0.2)
        assert eng.expire_deadlines() == 1
        assert sink.finals == []
        leave.set()
        assert assert_call_invariants(sink, eng) == E.WBEM_E_CALL_CANCELLED
        assert call.cancel_reason == "deadline"
        src.closed.wait()


def test_sink_timeout_is_configurable_and_the_watchdog_applies_it() -> None:
    """Spec §3.4 sink timer, design.md: the timeout is configurable; a watchdog enforces it."""
    clock = FakeClock()
    with running_engine(clock=clock, sink_timeout=5.0, watchdog_interval=0.001) as eng:
        entered, leave = Gate(), Gate()

        def on_indicate(objs: list[Any]) -> None:
            entered.set()
            clock.advance(6.0)  # time passes inside the callback
            leave.wait()

        sink = RecordingSink(on_indicate=on_indicate)
        call = eng.start(Op(), ListSource([1, 2]), sink)
        entered.wait()
        wait_until(lambda: call.terminal)  # the watchdog, not the test, cancelled it
        assert sink.finals == []
        leave.set()
        assert assert_call_invariants(sink, eng) == E.WBEM_E_CALL_CANCELLED
        assert call.cancel_reason == "deadline"


def test_cancel_by_reference_dropped_before_cancel(engine: Engine) -> None:
    """Spec §2.2: "The outstanding IWbemObjectSink pointer can be released prior to the call"."""
    src = GatedSource(2, gated={0})
    sink = RecordingSink()
    engine.start(Op(), src, sink)
    src.reached[0].wait()
    calls = engine.live_calls(sink)
    assert engine.cancel_async_call(sink) == 0
    src.release_all()
    assert_call_invariants(sink, engine)
    assert calls[0].sink is None
