"""Semisynchronous enumerators, call results and synchronous mode (spec §1.1, §5.1, §5.2,
§13 item 12; design.md decisions 4, 5, 6)."""

from __future__ import annotations

import gc

import pytest

from openwmi.constants import (
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_RETURN_IMMEDIATELY,
    WBEM_NO_WAIT,
)
from openwmi.engine import (
    CallState,
    Engine,
    run_sync,
    run_sync_outcome,
    start_call_result,
    start_enumerator,
)
from openwmi.errors import (
    HResult,
    InvalidOperationError,
    InvalidParameterError,
    NotFoundError,
)
from openwmi.testing import (
    FaultySource,
    GatedSource,
    ListSource,
    Op,
    RecordingSink,
    assert_call_invariants,
)

E = HResult
SEMI = WBEM_FLAG_RETURN_IMMEDIATELY
FWD = WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY


@pytest.mark.parametrize("flags", [SEMI, FWD], ids=["bidirectional", "forward-only"])
def test_next_exact_then_short_at_the_end(engine: Engine, flags: int) -> None:
    """Spec §5.1 / §13.12: exact count → S_OK; short at the end → S_FALSE with the rest."""
    enum = start_enumerator(engine, Op(), ListSource(list(range(5))), flags=flags)
    assert enum.next(count=2) == (E.WBEM_S_NO_ERROR, [0, 1])
    assert enum.next(count=3) == (
        E.WBEM_S_NO_ERROR,
        [2, 3, 4],
    )  # Next(n) on n left → S_OK
    assert enum.next(count=1) == (E.WBEM_S_FALSE, [])
    enum2 = start_enumerator(engine, Op(), ListSource(list(range(5))), flags=flags)
    assert enum2.next(count=6) == (
        E.WBEM_S_FALSE,
        [0, 1, 2, 3, 4],
    )  # Next(n+1) → S_FALSE
    enum.close()
    enum2.close()


def test_next_count_zero(engine: Engine) -> None:
    """design.md decision 6: next(count=0) → WBEM_S_NO_ERROR with no objects."""
    with start_enumerator(engine, Op(), ListSource([1])) as enum:
        assert enum.next(WBEM_NO_WAIT, 0) == (E.WBEM_S_NO_ERROR, [])
        with pytest.raises(InvalidParameterError):
            enum.next(count=-1)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_no_wait_never_blocks_and_short_before_end_times_out(
    engine: Engine, mode: str
) -> None:
    """Spec §5.1 / §13.12: WBEM_NO_WAIT never blocks; short before the end → WBEM_S_TIMEDOUT."""
    src = GatedSource(4, gated={1}, mode=mode)
    enum = start_enumerator(engine, Op(), src)
    src.reached[1].wait()
    enum_call = enum.call
    assert enum_call is not None
    hr, objs = enum.next(WBEM_NO_WAIT, 3)
    assert hr == E.WBEM_S_TIMEDOUT
    assert len(objs) <= 2
    hr2, more = enum.next(5, 3)  # a 5 ms timeout that expires: still short
    assert hr2 == E.WBEM_S_TIMEDOUT
    assert objs + more == [0, 1]
    src.release_all()
    assert enum.next(count=10) == (E.WBEM_S_FALSE, [2, 3])
    enum.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_operation_error_surfaces_at_next(engine: Engine, mode: str) -> None:
    """Spec §5.1 / §13.12: a failed operation → Next returns the synchronous error code; the
    objects delivered before it are still handed out; iteration raises the WbemError."""
    enum = start_enumerator(
        engine, Op(), FaultySource(2, NotFoundError("no such class"), mode=mode)
    )
    assert enum.next(count=2) == (E.WBEM_S_NO_ERROR, [0, 1])
    assert enum.next(count=1) == (E.WBEM_E_NOT_FOUND, [])
    assert isinstance(enum.error, NotFoundError)
    assert enum.error.message == "no such class"
    again = start_enumerator(
        engine, Op(), FaultySource(2, NotFoundError("gone"), mode=mode)
    )
    seen: list[object] = []
    with pytest.raises(NotFoundError):
        seen.extend(again)  # keeps the objects handed out before the error
    assert seen == [0, 1]


def test_forward_only_reset_and_clone_are_invalid_operation(engine: Engine) -> None:
    """Spec §5.1 / §13.12 / design.md decision 4: forward-only Reset/Clone → INVALID_OPERATION."""
    with start_enumerator(engine, Op(), ListSource([1, 2]), flags=FWD) as enum:
        with pytest.raises(InvalidOperationError) as info:
            enum.reset()
        assert info.value.hresult == E.WBEM_E_INVALID_OPERATION
        with pytest.raises(InvalidOperationError):
            enum.clone()
        assert enum.forward_only


def test_bidirectional_reset_clone_and_skip(engine: Engine) -> None:
    """Spec §5.1 Reset/Clone/Skip: bidirectional keeps delivered objects; clones share them."""
    enum = start_enumerator(engine, Op(), ListSource(list(range(6))))
    assert enum.skip(count=2) == E.WBEM_S_NO_ERROR
    assert enum.next(count=1) == (0, [2])
    twin = enum.clone()
    assert twin.next(count=2) == (0, [3, 4])
    assert enum.next(count=1) == (0, [3])  # independent positions
    assert enum.reset() == 0
    assert enum.next(count=6) == (0, list(range(6)))
    assert enum.skip(count=1) == E.WBEM_S_FALSE
    enum.close()
    assert twin.next(count=5) == (E.WBEM_S_FALSE, [5])  # a clone outlives its origin
    twin.close()
    with pytest.raises(InvalidOperationError):
        twin.next()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_release_cancels_the_underlying_call(engine: Engine, mode: str) -> None:
    """Spec §1.1 "Calling Release results in WMI canceling the delivery of all objects that
    remain"; the producer is closed."""
    src = GatedSource(10, gated={1}, mode=mode)
    enum = start_enumerator(engine, Op(), src, flags=FWD)
    src.reached[1].wait()
    call = enum.call
    assert call is not None
    enum.close()
    src.release_all()
    assert call.wait(20)
    assert call.state is CallState.CANCELLED
    assert call.cancel_reason == "released"
    src.closed.wait()
    assert src.produced <= 3


def test_garbage_collection_releases(engine: Engine) -> None:
    """Spec §5.1 Release: dropping the last reference releases (cancels) the call."""
    src = GatedSource(10, gated={1})
    enum = start_enumerator(engine, Op(), src)
    src.reached[1].wait()
    call = enum.call
    assert call is not None
    del enum
    gc.collect()
    assert call.wait(20)
    src.release_all()
    assert call.state is CallState.CANCELLED


def test_forward_only_backpressure_reads_everything(engine: Engine) -> None:
    """Spec §5.3: a forward-only enumerator frees objects as read; the producer is held at
    the prefetch bound and every object still arrives in order."""
    src = GatedSource(200, gated=set())
    enum = start_enumerator(engine, Op(), src, flags=FWD, prefetch=10)
    out = list(enum)
    assert out == list(range(200))


def test_next_async_delivers_then_final_status(engine: Engine) -> None:
    """Spec §5.1 NextAsync: Indicate(objects) then SetStatus(S_OK) for a full count,
    SetStatus(S_FALSE) when it ends short."""
    enum = start_enumerator(engine, Op(), ListSource(list(range(5))))
    full = RecordingSink()
    assert enum.next_async(3, full) == E.WBEM_S_NO_ERROR
    assert assert_call_invariants(full, engine) == E.WBEM_S_NO_ERROR
    assert full.objects == [0, 1, 2]
    short = RecordingSink()
    assert enum.next_async(5, short) == E.WBEM_S_NO_ERROR
    assert assert_call_invariants(short, engine) == E.WBEM_S_FALSE
    assert short.objects == [3, 4]
    enum.close()


def test_next_async_with_nothing_left_leaves_the_sink_untouched(engine: Engine) -> None:
    """design.md decision 5 / spec §12.5: NextAsync with nothing left → WBEM_S_FALSE, no
    SetStatus; uCount == 0 → WBEM_S_FALSE (spec §5.1)."""
    enum = start_enumerator(engine, Op(), ListSource([1]))
    assert enum.next(count=5) == (E.WBEM_S_FALSE, [1])
    sink = RecordingSink()
    assert enum.next_async(4, sink) == E.WBEM_S_FALSE
    assert enum.next_async(0, sink) == E.WBEM_S_FALSE
    assert sink.events == []
    with pytest.raises(InvalidParameterError):
        enum.next_async(1, None)  # type: ignore[arg-type]  # the error case
    enum.close()


def test_next_async_waits_for_objects_and_can_be_cancelled(engine: Engine) -> None:
    """Spec §5.1 NextAsync is queued; the delivery is an async call cancellable by its sink."""
    src = GatedSource(4, gated={0})
    enum = start_enumerator(engine, Op(), src)
    src.reached[0].wait()
    first = RecordingSink()
    enum.next_async(1, first)
    assert first.wait_final() == E.WBEM_S_NO_ERROR
    waiting = RecordingSink()
    enum.next_async(3, waiting)  # nothing is available: object 1 is gated upstream
    assert engine.cancel_async_call(waiting) == 0
    assert (
        assert_call_invariants(waiting, engine, idle=False) == E.WBEM_E_CALL_CANCELLED
    )
    assert waiting.indicates == []
    src.release_all()
    assert enum.next(count=10) == (E.WBEM_S_FALSE, [1, 2, 3])  # nothing was lost
    enum.close()
    assert engine.wait_idle(20)


def test_call_result_object_string_and_status(engine: Engine) -> None:
    """Spec §5.2: GetResultObject/GetResultString/GetCallStatus; WBEM_S_TIMEDOUT until done."""
    src = GatedSource(["obj"], gated={0}, result_string='Foo.Name="a"')
    res = start_call_result(engine, Op(), src)
    src.reached[0].wait()
    assert res.get_result_object(0) == (E.WBEM_S_TIMEDOUT, None)
    assert res.get_call_status(0) == (E.WBEM_S_TIMEDOUT, None)
    src.release_all()
    assert res.get_result_object() == (E.WBEM_S_NO_ERROR, "obj")
    assert res.get_result_string() == (E.WBEM_S_NO_ERROR, 'Foo.Name="a"')
    assert res.get_call_status(0) == (E.WBEM_S_NO_ERROR, E.WBEM_S_NO_ERROR)
    res.close()


def test_call_result_without_string_and_on_failure(engine: Engine) -> None:
    """Spec §5.2: no string → WBEM_E_INVALID_OPERATION; a failure → the synchronous code."""
    with start_call_result(engine, Op(), ListSource([], mode="list")) as res:
        assert res.get_result_string() == (E.WBEM_E_INVALID_OPERATION, None)
        assert res.get_result_object() == (E.WBEM_S_NO_ERROR, None)
    with start_call_result(engine, Op(), FaultySource(0, NotFoundError("x"))) as bad:
        assert bad.get_result_object() == (E.WBEM_E_NOT_FOUND, None)
        assert bad.get_result_string() == (E.WBEM_E_NOT_FOUND, None)
        assert bad.get_call_status() == (E.WBEM_S_NO_ERROR, E.WBEM_E_NOT_FOUND)
        assert isinstance(bad.error, NotFoundError)


def test_call_result_close_cancels(engine: Engine) -> None:
    """Spec §5.2 / §1.1: releasing the call result cancels a running operation."""
    src = GatedSource(["x"], gated={0})
    res = start_call_result(engine, Op(), src)
    src.reached[0].wait()
    call = res.call
    assert call is not None
    res.close()
    src.release_all()
    assert call.wait(20)
    assert call.state is CallState.CANCELLED


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_synchronous_mode_is_the_engine_waited_on(engine: Engine, mode: str) -> None:
    """Spec §1.1 synchronous mode: results after completion; errors as the return value."""
    assert run_sync(engine, Op(), ListSource(list(range(100)), mode=mode)) == list(
        range(100)
    )
    with pytest.raises(NotFoundError):
        run_sync(engine, Op(), FaultySource(3, NotFoundError("gone"), mode=mode))
    out = run_sync_outcome(engine, Op(), ListSource([], result_string='X.K="1"'))
    assert out.result_string == 'X.K="1"'
