"""Call and CallRegistry: the pure synchronous cores, tested with no event loop
(house-style §4, §5 "Pure cores get plain tests")."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from openwmi.engine import Call, CallRegistry, CallState
from openwmi.errors import HResult

E = HResult


class Unhashable:
    __hash__ = None  # type: ignore[assignment]  # a sink that cannot be a dict key

    def indicate(self, objects: list[Any]) -> int:
        return 0

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        return 0


def make_call(sink: Any = None) -> Call:
    return Call(sink if sink is not None else Unhashable(), "op")


def _race(call: Call, codes: list[int]) -> list[bool]:
    barrier = threading.Barrier(len(codes))
    wins: list[bool] = []

    def finisher(code: int) -> None:
        barrier.wait()
        wins.append(call.complete(code)[0])

    threads = [threading.Thread(target=finisher, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return wins


def test_complete_has_exactly_one_winner_across_threads() -> None:
    """Spec §2.4 SetStatusWithFinalResultCalled: exactly one finisher (house-style §4 Rule 1)."""
    for _ in range(50):
        call = make_call()
        call.mark_running()
        wins = _race(call, [E.WBEM_S_NO_ERROR, E.WBEM_E_CALL_CANCELLED] * 4)
        assert wins.count(True) == 1
        assert call.terminal


@pytest.mark.parametrize(
    ("code", "state"),
    [
        pytest.param(E.WBEM_S_NO_ERROR, CallState.COMPLETED, id="ok"),
        pytest.param(E.WBEM_S_FALSE, CallState.COMPLETED, id="s-false"),
        pytest.param(E.WBEM_E_NOT_FOUND, CallState.FAILED, id="failed"),
        pytest.param(E.WBEM_E_CALL_CANCELLED, CallState.CANCELLED, id="cancelled"),
        pytest.param(E.WBEM_E_SHUTTING_DOWN, CallState.CANCELLED, id="shutdown"),
    ],
)
def test_terminal_state_follows_the_final_code(code: int, state: CallState) -> None:
    """Spec §3.2: the final hResult decides the outcome (house-style §4 CallState)."""
    call = make_call()
    assert call.finish(code)
    assert call.state is state
    assert not call.finish(E.WBEM_S_NO_ERROR)


def test_final_waits_for_a_callback_in_progress() -> None:
    """Spec §3.4 one callback at a time; §2.6.7: the final status follows the running callback."""
    call = make_call()
    call.mark_running()
    assert call.try_begin_callback(now=0.0)
    began, deliver_now = call.complete(E.WBEM_E_CALL_CANCELLED, "x", None, "client")
    assert began
    assert deliver_now is None
    assert not call.try_begin_callback(now=0.0)  # nothing new starts
    owed = call.end_callback()
    assert owed is not None
    assert owed.hresult == E.WBEM_E_CALL_CANCELLED
    assert call.in_callback  # the final callback is now in progress
    call.final_done()
    assert call.sink is None
    assert call.final_delivered
    assert call.wait(0)


def test_no_data_callback_before_running_or_after_the_final() -> None:
    """Spec §2.4 CallCancelled: no Indicate once cancelled; none before the call runs."""
    call = make_call()
    assert not call.try_begin_callback(now=0.0)  # PENDING
    assert call.mark_running()
    began, now = call.complete(E.WBEM_E_CALL_CANCELLED)
    assert began
    assert now is not None
    assert not call.try_begin_callback(now=0.0)
    assert not call.mark_running()


def test_sink_timer_deadline_is_armed_only_inside_a_callback() -> None:
    """Spec §3.4 sink timer: set when the server calls the sink, reset when it returns."""
    call = Call(Unhashable(), "op", sink_timeout=30.0)
    call.mark_running()
    assert call.deadline == float("inf")
    call.try_begin_callback(now=5.0)
    assert call.deadline == 35.0
    call.end_callback()
    assert call.deadline == float("inf")


def test_registry_shares_sinks_and_accepts_unhashable_ones() -> None:
    """design.md decisions: several calls may share one sink; keyed by identity."""
    reg = CallRegistry()
    s1, s2 = Unhashable(), Unhashable()
    a, b, c = make_call(s1), make_call(s1), make_call(s2)
    for x in (a, b, c):
        reg.add(x)
    assert len(reg) == 3
    assert reg.sink_count() == 2
    assert reg.calls_for(s1) == [a, b]
    assert reg.remove(a)
    assert not reg.remove(a)
    assert reg.calls_for(s1) == [b]
    assert reg.has(s1)
    assert reg.remove(b)
    assert not reg.has(s1)
    assert reg.calls_for(s1) == []
    assert list(reg) == [c]
    assert reg.snapshot() == [c]
