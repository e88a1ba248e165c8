"""Shutdown with calls in flight (spec §1.4 WBEM_E_SHUTTING_DOWN; issue 4 "Shutdown";
house-style §4 "no task outlives it")."""

from __future__ import annotations

import threading

import pytest

from openwmi.engine import BatchPolicy, Engine
from openwmi.errors import HResult, ShuttingDownError
from openwmi.testing import (
    FakeClock,
    GatedSource,
    ListSource,
    Op,
    RecordingSink,
    assert_call_invariants,
)

E = HResult


def engine_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(name)]


def test_shutdown_with_n_calls_in_flight() -> None:
    """Issue 4: close() ends every pending call with exactly one WBEM_E_SHUTTING_DOWN; no
    thread or task outlives it; detached method producers are stopped too."""
    name = "eng-shutdown-test"
    eng = Engine(
        clock=FakeClock(),
        watchdog_interval=None,
        batch=BatchPolicy(max_objects=1),
        name=name,
    )
    sources, sinks = [], []
    for i in range(12):
        src = GatedSource(5, gated={1}, mode="sync" if i % 2 else "async")
        sink = RecordingSink()
        eng.start(Op(detach_on_cancel=(i % 4 == 0)), src, sink)
        sources.append(src)
        sinks.append(sink)
    for src in sources:
        src.reached[1].wait()
    done = threading.Event()

    def close_then_signal() -> None:
        eng.close()
        done.set()

    closer = threading.Thread(target=close_then_signal)
    closer.start()
    for sink in sinks:  # delivered before close() waits for producers
        assert sink.wait_final() == E.WBEM_E_SHUTTING_DOWN
    for src in sources:
        src.release_all()
    closer.join(20)
    assert done.is_set()
    for sink in sinks:
        assert assert_call_invariants(sink, eng) == E.WBEM_E_SHUTTING_DOWN
        assert sink.objects == [0, 1]
    stats = eng.statistics()
    assert stats.closed
    assert stats.live_calls == 0
    assert stats.producers_running == 0
    assert stats.calls_cancelled == 12
    assert engine_threads(name) == []
    for src in sources:
        assert src.closed.is_set()


def test_close_is_idempotent_and_refuses_new_calls() -> None:
    """Spec §1.4: after shutdown every call is refused with WBEM_E_SHUTTING_DOWN (sink untouched)."""
    eng = Engine(watchdog_interval=None)
    sink = RecordingSink()
    eng.start(Op(), ListSource([1]), sink)
    assert_call_invariants(sink, eng)
    assert eng.close()
    assert eng.close()
    late = RecordingSink()
    with pytest.raises(ShuttingDownError) as info:
        eng.start(Op(), ListSource([1]), late)
    assert info.value.hresult == E.WBEM_E_SHUTTING_DOWN
    assert late.events == []


def test_context_manager_closes() -> None:
    """House-style §4: the Engine is a context manager; leaving it shuts the engine down."""
    with Engine(watchdog_interval=None, name="eng-ctx-test") as eng:
        sink = RecordingSink()
        eng.start(Op(), ListSource(list(range(10)), mode="async"), sink)
        assert_call_invariants(sink, eng)
    assert eng.closed
    assert engine_threads("eng-ctx-test") == []
