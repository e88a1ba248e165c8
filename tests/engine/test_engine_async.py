"""Asynchronous calls with object sinks: delivery, final status and batching
(spec §3.1-§3.3, §13 items 1, 2, 8, 11; issue 4 "Build")."""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from typing import Any

import pytest

from openwmi.constants import WBEM_FLAG_SEND_STATUS, WBEM_STATUS_PROGRESS
from openwmi.engine import (
    BatchPolicy,
    CallContext,
    CallState,
    CollectingSink,
    Engine,
    QueueSink,
)
from openwmi.errors import (
    HResult,
    InvalidOperationError,
    InvalidParameterError,
    NotFoundError,
    ProviderError,
    ProviderNotCapableError,
    ShuttingDownError,
    WbemError,
)
from openwmi.testing import (
    FakeClock,
    FaultySource,
    GatedSource,
    ListSource,
    Op,
    RecordingSink,
    assert_call_invariants,
    running_engine,
)

E = HResult
MODES = ["sync", "async"]


def test_start_failure_leaves_the_sink_untouched(engine: Engine) -> None:
    """Spec §13.1 / §1.3: a call that cannot start raises and never touches the sink."""
    sink = RecordingSink()
    before = sys.getrefcount(sink)
    with pytest.raises(InvalidParameterError):
        engine.start(Op(), None, sink)  # type: ignore[arg-type]  # the error case
    with pytest.raises(InvalidParameterError) as info:
        engine.start(Op(), ListSource([1]), None)  # type: ignore[arg-type]  # error case
    assert info.value.hresult == E.WBEM_E_INVALID_PARAMETER
    assert sink.events == []
    assert sys.getrefcount(sink) == before
    assert engine.statistics().live_calls == 0


def test_start_after_close_raises_shutting_down(clock: FakeClock) -> None:
    """Spec §1.4 IsServerShuttingDown → WBEM_E_SHUTTING_DOWN; the sink is untouched (§13.1)."""
    with running_engine(clock=clock) as eng:
        pass
    sink = RecordingSink()
    with pytest.raises(ShuttingDownError):
        eng.start(Op(), ListSource([1]), sink)
    assert sink.events == []


@pytest.mark.parametrize("mode", ["sync", "async", "list", "await"])
def test_success_delivers_objects_then_one_final_status(
    engine: Engine, mode: str
) -> None:
    """Spec §13.2: Indicate(n>=1)* then exactly one SetStatus(0, S_OK), then release."""
    objs = [f"o{i}" for i in range(1 if mode == "await" else 1000)]
    sink = RecordingSink()
    call = engine.start(Op(), ListSource(objs, mode=mode), sink)
    assert assert_call_invariants(sink, engine) == E.WBEM_S_NO_ERROR
    assert sink.objects == objs
    assert call.state is CallState.COMPLETED
    assert call.wait(5)
    assert call.sink is None  # Rule 3: the engine let go of the sink


@pytest.mark.parametrize("mode", ["sync", "async", "list"])
def test_no_objects_means_no_indicate(engine: Engine, mode: str) -> None:
    """Spec §3.1: "If there are no results … MUST NOT call Indicate"; one final status."""
    sink = RecordingSink()
    engine.start(Op(), ListSource([], mode=mode), sink)
    assert assert_call_invariants(sink, engine) == E.WBEM_S_NO_ERROR
    assert sink.indicates == []


def test_source_returning_none_is_an_empty_result(engine: Engine) -> None:
    """Spec §3.2: SetStatus may come with no Indicate at all."""

    class NoneSource:
        def open(self, operation: Any, ctx: CallContext) -> Any:
            return None

    sink = RecordingSink()
    engine.start(Op(), NoneSource(), sink)
    assert assert_call_invariants(sink, engine) == E.WBEM_S_NO_ERROR
    assert sink.indicates == []


@pytest.mark.parametrize(
    ("policy", "limit"),
    [
        pytest.param(BatchPolicy(max_objects=100), 100, id="by-count"),
        pytest.param(BatchPolicy(max_bytes=50, sizer=lambda o: 10), 5, id="by-bytes"),
        pytest.param(BatchPolicy(max_delay=0.0), 32, id="by-time"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_batches_are_bounded_by_count_bytes_and_time(
    clock: FakeClock, policy: BatchPolicy, limit: int, mode: str
) -> None:
    """Spec §3.1 batching (note <81>, FinalizerBatchSize): batches of >= 1 object, bounded."""
    with running_engine(clock=clock, batch=policy) as eng:
        sink = RecordingSink()
        eng.start(Op(), ListSource(list(range(1000)), mode=mode), sink)
        assert_call_invariants(sink, eng)
    assert sink.objects == list(range(1000))
    assert all(1 <= len(b) <= limit for b in sink.indicates)


def test_operation_batch_policy_overrides_the_engine(engine: Engine) -> None:
    """Spec §3.1 "implementation-specific criteria": an operation may choose its batching."""
    sink = RecordingSink()
    engine.start(
        Op(batch_policy=BatchPolicy(max_objects=1)), ListSource(list(range(10))), sink
    )
    assert_call_invariants(sink, engine)
    assert [len(b) for b in sink.indicates] == [1] * 10


def test_async_producer_about_to_wait_gets_its_batch_flushed(engine: Engine) -> None:
    """Spec §3.1 batching by time: an async producer that waits does not hold objects back."""
    src = GatedSource(3, gated={1}, mode="async")
    sink = RecordingSink()
    engine.start(Op(), src, sink)
    src.reached[1].wait()
    sink.wait_objects(2)  # delivered while the producer waits on release[1]
    assert sink.objects == [0, 1]
    assert not src.release[1].is_set()
    src.release_all()
    assert_call_invariants(sink, engine)
    assert sink.objects == [0, 1, 2]


def test_sync_producer_flush_before_blocking(engine: Engine) -> None:
    """Spec §3.1: ctx.flush() lets a blocking sync producer hand over what it has."""
    src = GatedSource(3, gated={0})
    sink = RecordingSink()
    engine.start(Op(), src, sink)
    src.reached[0].wait()
    assert sink.objects == [0]
    src.release_all()
    assert_call_invariants(sink, engine)


@pytest.mark.parametrize("mode", MODES)
def test_wbem_error_from_producer_is_the_final_status(
    engine: Engine, mode: str
) -> None:
    """Spec §1.1/§3.2: an operation error arrives as SetStatus(0, hr) after the objects sent."""
    sink = RecordingSink()
    engine.start(
        Op(), FaultySource(3, NotFoundError("Foo.Name='x' not found"), mode=mode), sink
    )
    assert assert_call_invariants(sink, engine) == E.WBEM_E_NOT_FOUND
    final = sink.finals[0]
    assert final[3] == "Foo.Name='x' not found"
    assert isinstance(final[4], NotFoundError)  # the extended-status stand-in
    assert sink.objects == [0, 1, 2]


@pytest.mark.parametrize("mode", MODES)
def test_other_producer_exception_is_provider_failure(
    engine: Engine, mode: str
) -> None:
    """Issue 4 "Providers": a provider exception → WBEM_E_PROVIDER_FAILURE with its message."""
    sink = RecordingSink()
    engine.start(Op(), FaultySource(0, ValueError("disk on fire"), mode=mode), sink)
    assert assert_call_invariants(sink, engine) == E.WBEM_E_PROVIDER_FAILURE
    assert sink.finals[0][3] == "disk on fire"
    assert isinstance(sink.finals[0][4], ProviderError)


def test_exception_in_open_is_a_final_status_not_a_start_failure(
    engine: Engine,
) -> None:
    """Spec §1.3: checks after start reach the client through SetStatus."""
    src = FaultySource(0, ProviderNotCapableError("no enumerate_instances"))
    src.raise_in_open = True
    sink = RecordingSink()
    engine.start(Op(), src, sink)
    assert assert_call_invariants(sink, engine) == E.WBEM_E_PROVIDER_NOT_CAPABLE


def test_bad_source_return_value_is_provider_failure(engine: Engine) -> None:
    """Issue 4 source contract (engine/_source.py): open must return a stream, else
    WBEM_E_PROVIDER_FAILURE."""

    class Bad:
        def open(self, operation: Any, ctx: CallContext) -> Any:
            return 42

    sink = RecordingSink()
    engine.start(Op(), Bad(), sink)
    assert assert_call_invariants(sink, engine) == E.WBEM_E_PROVIDER_FAILURE


@pytest.mark.parametrize("mode", ["sync", "await"])
def test_result_string_is_the_final_strparam(engine: Engine, mode: str) -> None:
    """Spec §3.2 strParam / §4.2 PutInstance: the new path arrives in SetStatus."""
    sink = CollectingSink()
    src = ListSource(["x"], mode=mode, result_string='Foo.Name="x"')
    engine.start(Op(), src, sink)
    assert sink.wait(10) == E.WBEM_S_NO_ERROR
    assert sink.message == 'Foo.Name="x"'
    assert sink.result_string == 'Foo.Name="x"'
    assert sink.error is None


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param("return-failure", id="indicate-returns-failure"),
        pytest.param("raise", id="indicate-raises"),
        pytest.param("return-negative", id="indicate-returns-signed-failure"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_sink_error_in_indicate_cancels_the_call(
    engine1: Engine, behaviour: str, mode: str
) -> None:
    """Spec §3.5 / §13.8: an Indicate error cancels the operation: final WBEM_E_CALL_CANCELLED."""

    def on_indicate(objects: list[Any]) -> object:
        if behaviour == "raise":
            raise RuntimeError("sink broke")
        return E.WBEM_E_FAILED if behaviour == "return-failure" else -2147217407

    src = GatedSource(10, gated=set(), mode=mode)
    sink = RecordingSink(on_indicate=on_indicate)
    call = engine1.start(Op(), src, sink)
    assert assert_call_invariants(sink, engine1) == E.WBEM_E_CALL_CANCELLED
    assert call.cancel_reason == "sink_error"
    src.closed.wait()
    assert len(sink.indicates) == 1
    assert src.produced <= 3


def test_success_codes_from_indicate_are_no_error(engine1: Engine) -> None:
    """Spec §3.1: success HRESULTs other than the listed ones count as WBEM_S_NO_ERROR."""
    sink = RecordingSink(on_indicate=lambda objs: E.WBEM_S_NEW_STYLE)
    engine1.start(Op(), ListSource([1, 2, 3]), sink)
    assert assert_call_invariants(sink, engine1) == E.WBEM_S_NO_ERROR


@pytest.mark.parametrize("mode", MODES)
def test_progress_only_with_send_status(engine: Engine, mode: str) -> None:
    """Spec §3.3 / §13.11 / design.md SEND_STATUS: progress only with the flag, before the final."""
    with_flag, without = RecordingSink(), RecordingSink()
    engine.start(
        Op(),
        GatedSource(4, gated=set(), mode=mode, progress=True),
        with_flag,
        flags=WBEM_FLAG_SEND_STATUS,
    )
    engine.start(Op(), GatedSource(4, gated=set(), mode=mode, progress=True), without)
    assert_call_invariants(with_flag, engine)
    assert_call_invariants(without, engine)
    assert without.progress == []
    assert [hr & 0xFFFF for hr, _ in with_flag.progress] == [25, 50, 75, 100]
    assert all(hr >> 16 == 100 for hr, _ in with_flag.progress)  # HIWORD = total
    kinds = [e[0] for e in with_flag.events]
    assert kinds.index("progress") < kinds.index(
        "indicate"
    )  # after earlier objects only
    assert with_flag.objects == [0, 1, 2, 3]


def test_failing_progress_set_status_cancels_the_call(engine: Engine) -> None:
    """Spec §3.5 / §13.8: a failed progress SetStatus cancels the operation."""

    def on_status(flags: int, hresult: int, message: str | None, obj: Any) -> object:
        return E.WBEM_E_FAILED if flags == WBEM_STATUS_PROGRESS else 0

    sink = RecordingSink(on_status=on_status)
    call = engine.start(
        Op(),
        GatedSource(4, gated=set(), progress=True),
        sink,
        flags=WBEM_FLAG_SEND_STATUS,
    )
    assert assert_call_invariants(sink, engine) == E.WBEM_E_CALL_CANCELLED
    assert call.cancel_reason == "sink_error"
    assert len(sink.progress) == 1


def test_final_set_status_exception_is_ignored(engine: Engine) -> None:
    """Spec §3.2: after the final SetStatus nothing more happens, whatever the sink does."""

    def on_status(*args: Any) -> object:
        raise RuntimeError("bad sink")

    sink = RecordingSink(on_status=on_status)
    call = engine.start(Op(), ListSource([1]), sink)
    assert assert_call_invariants(sink, engine) == 0
    assert call.state is CallState.COMPLETED
    # the engine still serves new calls (house-style §5, asyncpg test_cancellation_01)
    again = CollectingSink()
    engine.start(Op(), ListSource([2]), again)
    assert again.wait(10) == 0
    assert again.objects == [2]


def test_sink_released_by_caller_right_after_start(engine: Engine) -> None:
    """Spec §3.2 "WMI releases the object sink" / issue 4: the engine lets go after the final."""
    src = GatedSource(3, gated={1})
    sink = RecordingSink()
    ref = weakref.ref(sink)
    done = threading.Event()
    sink.on_status = lambda *a: done.set()
    call = engine.start(Op(), src, sink)
    del sink  # the caller drops its reference at once
    src.reached[1].wait()
    assert ref() is not None  # the live call holds it
    src.release_all()
    done.wait(10)
    assert call.wait(10)
    gc.collect()
    assert ref() is None


def test_queue_sink_streams_events_to_a_consumer_thread(engine: Engine) -> None:
    """Helper sinks (issue 4): a queue sink for consumers; events end with the final status."""
    sink = QueueSink(maxsize=2)
    engine.start(Op(), ListSource(list(range(500))), sink)
    events = sink.events(timeout=10)
    assert events[-1].final
    assert events[-1].hresult == 0
    assert [o for e in events if e.kind == "indicate" for o in e.objects] == list(
        range(500)
    )


def test_collecting_sink_error_and_timeout(engine: Engine) -> None:
    """Helper sinks (issue 4): wait(timeout) returns the final hresult, WBEM_S_TIMEDOUT before."""
    src = GatedSource(2, gated={0})
    sink = CollectingSink()
    engine.start(Op(), src, sink)
    src.reached[0].wait()
    assert sink.wait(0) == E.WBEM_S_TIMEDOUT
    assert not sink.done
    src.release_all()
    assert sink.wait(10) == 0
    assert sink.objects == [0, 1]
    bad = CollectingSink()
    engine.start(Op(), FaultySource(0, NotFoundError("gone")), bad)
    assert bad.wait(10) == E.WBEM_E_NOT_FOUND
    assert isinstance(bad.error, NotFoundError)
    assert bad.result_string is None


def test_statistics_is_a_frozen_snapshot(engine: Engine) -> None:
    """House-style §3: statistics() returns a frozen snapshot."""
    src = GatedSource(1, gated={0})
    sink = RecordingSink()
    engine.start(Op(), src, sink)
    src.reached[0].wait()
    stats = engine.statistics()
    assert stats.live_calls == 1
    assert stats.live_sinks == 1
    assert stats.producers_running == 1
    with pytest.raises(AttributeError):
        stats.live_calls = 5  # type: ignore[misc]
    src.release_all()
    assert_call_invariants(sink, engine)
    after = engine.statistics()
    assert after.live_calls == 0
    assert after.calls_completed == 1
    assert after.calls_started == 1


def test_close_from_inside_a_sink_is_refused(engine: Engine) -> None:
    """design.md decisions (sink re-entrancy): engine calls that would wait are refused in a sink."""
    errors: list[WbemError] = []

    def on_indicate(objs: list[Any]) -> None:
        try:
            engine.close()
        except InvalidOperationError as exc:
            errors.append(exc)

    sink = RecordingSink(on_indicate=on_indicate)
    engine.start(Op(), ListSource([1]), sink)
    assert assert_call_invariants(sink, engine) == 0
    assert len(errors) == 1
    assert not engine.closed
