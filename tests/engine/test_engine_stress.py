"""Stress: >= 1,000 calls over many sinks with random cancels from other threads
(issue 4 "Tests"; spec §2.6 rules 2-4, §3.2 exactly once; house-style §5 invariants)."""

from __future__ import annotations

import contextlib
import gc
import random
import threading
import weakref

from openwmi.engine import BatchPolicy, Engine
from openwmi.errors import HResult, InvalidParameterError
from openwmi.testing import (
    ListSource,
    Op,
    RecordingSink,
    assert_call_invariants,
    running_engine,
)

E = HResult
OK_CODES = {E.WBEM_S_NO_ERROR, E.WBEM_E_CALL_CANCELLED}


def _cancel_randomly(
    engine: Engine, sinks: list[RecordingSink], seed: int, rounds: int
) -> None:
    rng = random.Random(seed)
    for _ in range(rounds):
        # InvalidParameterError: already finished (or all the shared sink's calls are)
        with contextlib.suppress(InvalidParameterError):
            engine.cancel_async_call(rng.choice(sinks))


def _run_round(engine: Engine, seed: int) -> list[weakref.ref[RecordingSink]]:
    rng = random.Random(seed)
    single = [RecordingSink() for _ in range(80)]
    shared = [RecordingSink() for _ in range(5)]  # 4 calls each
    for sink in single:
        n = rng.randrange(0, 60)
        mode = rng.choice(["sync", "async", "list"])
        op = Op(detach_on_cancel=rng.random() < 0.1)
        engine.start(op, ListSource(list(range(n)), mode=mode), sink)
    for sink in shared:
        for _ in range(4):
            engine.start(
                Op(), ListSource(list(range(rng.randrange(0, 60))), mode="async"), sink
            )
    cancellers = [
        threading.Thread(
            target=_cancel_randomly, args=(engine, single + shared, seed * 10 + k, 40)
        )
        for k in range(4)
    ]
    for t in cancellers:
        t.start()
    for t in cancellers:
        t.join()
    for sink in single:
        status = assert_call_invariants(sink, engine, idle=False)
        assert status in OK_CODES
        if status == E.WBEM_S_NO_ERROR:
            assert sink.objects == sorted(sink.objects)
    for sink in shared:
        assert_call_invariants(sink, engine, calls=4, idle=False)
        assert {f[2] for f in sink.finals} <= OK_CODES
    assert engine.wait_idle(30)
    assert engine.statistics().live_calls == 0
    return [weakref.ref(s) for s in single + shared]


def test_stress_random_cancels_from_other_threads() -> None:
    """Issue 4: after each call exactly one final status, no indicate after it, no call left in
    the registry, every sink released (1,000 calls, 850 sinks, 4 cancelling threads/round)."""
    refs: list[weakref.ref[RecordingSink]] = []
    with running_engine(
        watchdog_interval=None, batch=BatchPolicy(max_objects=8)
    ) as eng:
        for seed in range(10):
            refs += _run_round(eng, seed)
        stats = eng.statistics()
        assert stats.calls_started == 10 * (80 + 20)
        assert stats.calls_completed + stats.calls_cancelled == stats.calls_started
    gc.collect()
    assert all(r() is None for r in refs), "a sink is still referenced"
