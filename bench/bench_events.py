"""Benchmark: event latency, many subscriptions, WITHIN polling cost (issue 6).

Figures (embedded object manager, in-memory repository):

1. ``put_instance`` → sink ``indicate`` latency, p50/p99 (target p99 <= 2 ms),
   one write at a time.
2. 1,000 subscriptions on one class with 100 writes/s sustained: every event
   delivered, none dropped, and the lag after the last write (target: keeps up).
3. One WITHIN poll of 10,000 provider instances (enumerate + diff) vs one plain
   enumeration of them (target <= 2x).

Run: ``.venv/bin/python -m bench.bench_events [--seconds 5] [--subs 1000]``.
Benchmarks are scripts, never timed tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from typing import Any

from bench._common import Summary, median, p99, section

import openwmi
from openwmi.client._events import exec_notification_query_async
from openwmi.manager._events import events_of
from openwmi.model import CIMClass, CIMProperty, CIMType, NocaseDict, Qualifier
from openwmi.testing import FakeClock

QUERY = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Bench_Thing'"


def _key() -> NocaseDict[Qualifier]:
    q: NocaseDict[Qualifier] = NocaseDict()
    q["Key"] = Qualifier("Key", True, CIMType.BOOLEAN)
    return q


def _class(svc: openwmi.Services, name: str) -> None:
    props: NocaseDict[CIMProperty] = NocaseDict()
    props["Name"] = CIMProperty("Name", CIMType.STRING, qualifiers=_key())
    props["Size"] = CIMProperty("Size", CIMType.UINT32)
    props["Owner"] = CIMProperty("Owner", CIMType.STRING)
    svc.put_class(CIMClass(name, None, props))


class _TimingSink:
    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.at = 0

    def indicate(self, objects: list[Any]) -> int:
        self.at = time.perf_counter_ns()
        self.arrived.set()
        return 0

    def set_status(self, flags: int, hresult: int, message: Any, obj: Any) -> int:
        return 0


class _CountingSink:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def indicate(self, objects: list[Any]) -> int:
        with self.lock:
            self.count += len(objects)
        return 0

    def set_status(self, flags: int, hresult: int, message: Any, obj: Any) -> int:
        return 0


def bench_latency(n: int) -> tuple[float, float]:
    section(f"1. put_instance -> indicate latency ({n} writes, one at a time)")
    svc = openwmi.connect(repository=":memory:")
    try:
        _class(svc, "Bench_Thing")
        sink = _TimingSink()
        exec_notification_query_async(svc, QUERY, sink)
        lat: list[float] = []
        for i in range(n + 100):
            inst = svc.spawn_instance("Bench_Thing", Name=f"t{i}", Size=i)
            sink.arrived.clear()
            t0 = time.perf_counter_ns()
            svc.put_instance(inst)
            sink.arrived.wait(10)
            if i >= 100:  # warm-up
                lat.append((sink.at - t0) / 1e6)
        svc.cancel_async_call(sink)
    finally:
        svc.close()
    p50, p_99 = median(lat), p99(lat)
    print(f"  p50 {p50:.3f} ms   p99 {p_99:.3f} ms   max {max(lat):.3f} ms")
    return p50, p_99


def bench_fanout(subs: int, rate: int, seconds: float) -> tuple[int, int, float, int]:
    section(f"2. {subs} subscriptions, {rate} writes/s for {seconds:g} s")
    svc = openwmi.connect(repository=":memory:")
    try:
        _class(svc, "Bench_Thing")
        sinks = [_CountingSink() for _ in range(subs)]
        for sink in sinks:
            exec_notification_query_async(svc, QUERY, sink)
        writes = int(rate * seconds)
        pace = threading.Event()
        start = time.perf_counter()
        slowest_write = 0.0
        for i in range(writes):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                pace.wait(delay)
            t0 = time.perf_counter()
            svc.put_instance(svc.spawn_instance("Bench_Thing", Name=f"f{i}", Size=i))
            slowest_write = max(slowest_write, time.perf_counter() - t0)
        last_write = time.perf_counter()
        expected = writes * subs
        while sum(s.count for s in sinks) < expected:
            if time.perf_counter() - last_write > 60:
                break
            pace.wait(0.001)
        lag = time.perf_counter() - last_write
        delivered = sum(s.count for s in sinks)
        dropped = events_of(svc.manager).statistics().dropped
        for sink in sinks:
            svc.cancel_async_call(sink)
    finally:
        svc.close()
    print(
        f"  delivered {delivered}/{expected} events ({delivered / (last_write - start + lag):,.0f}/s), "
        f"dropped {dropped}, lag after last write {lag * 1000:.1f} ms, "
        f"slowest put_instance {slowest_write * 1000:.2f} ms"
    )
    return delivered, expected, lag, dropped


class _Provider:
    def __init__(self, n: int) -> None:
        self.rows = {
            f"p{i}": {"Name": f"p{i}", "Size": i, "Owner": "root"} for i in range(n)
        }

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        for row in list(self.rows.values()):
            yield dict(row)


def bench_polling(n: int, rounds: int) -> float:
    section(f"3. WITHIN polling of {n} provider instances vs one enumeration")
    svc = openwmi.connect(repository=":memory:")
    try:
        _class(svc, "Bench_Proc")
        provider = _Provider(n)
        svc.register_provider("Bench_Proc", provider)
        clock = FakeClock()
        events = events_of(svc.manager)
        events.configure(clock=clock, autotick=False)
        enum_t: list[float] = []
        poll_t: list[float] = []
        sub = events.subscribe(
            svc.namespace,
            "SELECT * FROM __InstanceOperationEvent WITHIN 1 "
            "WHERE TargetInstance ISA 'Bench_Proc'",
        )
        for r in range(rounds):
            t0 = time.perf_counter()
            items = list(svc.create_instance_enum("Bench_Proc"))
            enum_t.append(time.perf_counter() - t0)
            assert len(items) == n
            provider.rows[f"p{r}"]["Size"] = n + r  # one modification per round
            clock.advance(1.0)
            t0 = time.perf_counter()
            events.tick()
            poll_t.append(time.perf_counter() - t0)
            while sub.get_nowait() is not None:
                pass
        sub.close()
    finally:
        svc.close()
    e, p = median(enum_t), median(poll_t)
    print(
        f"  enumeration {e * 1000:.1f} ms   poll (enumerate+diff+events) {p * 1000:.1f} ms   ratio {p / e:.2f}x"
    )
    return p / e


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--subs", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    summary = Summary()
    p50, p_99 = bench_latency(args.writes)
    summary.add(
        "event latency p99 (embedded)",
        "<= 2 ms",
        f"{p_99:.3f} ms (p50 {p50:.3f})",
        p_99 <= 2.0,
    )
    delivered, expected, lag, dropped = bench_fanout(args.subs, args.rate, args.seconds)
    ok = delivered == expected and dropped == 0 and lag < 1.0
    summary.add(
        f"{args.subs} subs x {args.rate} writes/s",
        "all delivered, lag < 1 s",
        f"{delivered}/{expected}, lag {lag * 1000:.0f} ms, dropped {dropped}",
        ok,
    )
    r = bench_polling(args.instances, args.rounds)
    summary.add(
        f"WITHIN poll of {args.instances}", "<= 2x enumeration", f"{r:.2f}x", r <= 2.0
    )
    summary.print()


if __name__ == "__main__":
    main()
