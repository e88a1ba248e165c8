"""Call-engine benchmarks (issue 4 "Performance"): prints figures, never asserts.

Run: ``.venv/bin/python bench/bench_engine.py [--quick]``

* objects/s delivered to a sink over 100,000 objects from a plain in-memory source
  (sync generator and async generator), and time to first indicate;
* cancel latency (``cancel_async_call`` → final ``set_status``) p50/p99 over 1,000
  mid-stream cancels, and objects produced after the cancel;
* memory per pending call over 10,000 pending calls (tracemalloc);
* start+cancel throughput;
* the same through the asyncio facade, as a ratio against the sink API.

Targets: p99 cancel <= 1 ms; <= 10 KB per pending call; >= 10,000 start+cancel/s;
asyncio within 1.5x of the sink API. Peers measured in the same run: the sink API is the
asyncio facade's peer; pywbem_mock needs the object manager (bench of the local source).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

from openwmi.constants import WBEM_STATUS_COMPLETE
from openwmi.engine import CallContext, Engine, engine_call, engine_stream
from openwmi.errors import InvalidParameterError


class Op:
    detach_on_cancel = False


class ListSource:
    def __init__(self, n: int, mode: str) -> None:
        self.objects = list(range(n))
        self.mode = mode

    def open(self, operation: Any, ctx: CallContext) -> Any:
        if self.mode == "sync":
            return iter(self.objects)
        return self._agen()

    async def _agen(self) -> AsyncIterator[int]:
        for o in self.objects:
            yield o


class EndlessSource:
    """Yields forever; counts what it produced; ``closed`` when stopped."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.produced = 0
        self.closed = threading.Event()

    def open(self, operation: Any, ctx: CallContext) -> Any:
        return self._gen() if self.mode == "sync" else self._agen()

    def _gen(self) -> Iterator[int]:
        try:
            while True:
                self.produced += 1
                yield self.produced
        finally:
            self.closed.set()

    async def _agen(self) -> AsyncIterator[int]:
        try:
            while True:
                self.produced += 1
                yield self.produced
                if self.produced % 64 == 0:
                    await asyncio.sleep(0)
        finally:
            self.closed.set()


class PendingSource:
    """An async producer that waits (a pending call)."""

    def __init__(self) -> None:
        self.opened = 0
        self.all_open = threading.Event()
        self.target = 0

    def open(self, operation: Any, ctx: CallContext) -> Any:
        self.opened += 1
        if self.opened == self.target:
            self.all_open.set()
        return self._wait()

    async def _wait(self) -> AsyncIterator[int]:
        await asyncio.Event().wait()
        yield 0


class CountingSink:
    def __init__(self) -> None:
        self.count = 0
        self.first: float | None = None
        self.final_at: float | None = None
        self.status: int | None = None
        self.done = threading.Event()
        self.got_one = threading.Event()

    def indicate(self, objects: list[Any]) -> int:
        if self.first is None:
            self.first = time.perf_counter()
            self.got_one.set()
        for _obj in objects:  # user code touches every object, as in `async for`
            self.count += 1
        return 0

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        if flags == WBEM_STATUS_COMPLETE:
            self.final_at = time.perf_counter()
            self.status = hresult
            self.done.set()
        return 0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench_throughput(engine: Engine, n: int, mode: str) -> tuple[float, float]:
    best_rate, first = 0.0, float("inf")
    for _ in range(3):
        sink, src = CountingSink(), ListSource(n, mode)
        t0 = time.perf_counter()
        engine.start(Op(), src, sink)
        sink.done.wait()
        t1 = time.perf_counter()
        assert sink.count == n
        assert sink.status == 0
        assert sink.first is not None
        best_rate = max(best_rate, n / (t1 - t0))
        first = min(first, sink.first - t0)
    return best_rate, first


def bench_cancel(
    engine: Engine, rounds: int, mode: str
) -> tuple[list[float], list[float], list[int]]:
    lat_call, lat_return, after = [], [], []
    for _ in range(rounds):
        src, sink = EndlessSource(mode), CountingSink()
        engine.start(Op(), src, sink)
        sink.got_one.wait()
        at_cancel = src.produced
        t0 = time.perf_counter()
        engine.cancel_async_call(sink)
        t1 = time.perf_counter()
        sink.done.wait()
        src.closed.wait()
        assert sink.final_at is not None
        lat_call.append(sink.final_at - t0)
        lat_return.append(max(0.0, sink.final_at - t1))
        after.append(src.produced - at_cancel)
    return lat_call, lat_return, after


def bench_memory(n: int) -> float:
    engine = Engine(watchdog_interval=None)
    src = PendingSource()
    src.target = n
    sinks = [CountingSink() for _ in range(n)]
    op = Op()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for sink in sinks:
        engine.start(op, src, sink)
    src.all_open.wait()
    engine_idle_tick = threading.Event()
    engine._loop.call_soon_threadsafe(
        engine_idle_tick.set
    )  # let every task reach its await
    engine_idle_tick.wait()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert engine.statistics().live_calls == n
    engine.close()
    return size / n


def bench_start_cancel(engine: Engine, n: int, mode: str) -> float:
    src = PendingSource() if mode == "async" else ListSource(10, "sync")
    sinks = [CountingSink() for _ in range(n)]
    op = Op()
    t0 = time.perf_counter()
    for sink in sinks:
        engine.start(op, src, sink)
        # a short sync call may finish first (InvalidParameterError): counted the same
        with contextlib.suppress(InvalidParameterError):
            engine.cancel_async_call(sink)
    t1 = time.perf_counter()
    engine.wait_idle()
    assert all(s.status is not None for s in sinks)
    return n / (t1 - t0)


async def aio_throughput(engine: Engine, n: int, mode: str) -> tuple[float, float]:
    best_rate, first = 0.0, float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        count = 0
        t_first = None
        async for _obj in engine_stream(
            engine, Op(), ListSource(n, mode), max_buffer=4096
        ):
            if t_first is None:
                t_first = time.perf_counter()
            count += 1
        t1 = time.perf_counter()
        assert count == n
        assert t_first is not None
        best_rate = max(best_rate, n / (t1 - t0))
        first = min(first, t_first - t0)
    return best_rate, first


async def aio_start_cancel(engine: Engine, n: int) -> float:
    src = PendingSource()
    t0 = time.perf_counter()
    batch = 500
    for _ in range(n // batch):
        tasks = [
            asyncio.create_task(engine_call(engine, Op(), src)) for _ in range(batch)
        ]
        await asyncio.sleep(0)  # every task starts its call
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    t1 = time.perf_counter()
    return n / (t1 - t0)


async def aio_cancel_latency(engine: Engine, rounds: int, mode: str) -> list[float]:
    lat = []
    for _ in range(rounds):
        src = EndlessSource(mode)
        stream = engine_stream(engine, Op(), src)
        got = asyncio.Event()

        async def consume(stream: Any = stream, got: asyncio.Event = got) -> None:
            async for _ in stream:
                got.set()

        task = asyncio.create_task(consume())
        await got.wait()
        t0 = time.perf_counter()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        call = stream.call
        assert call is not None
        if (
            not call.final_delivered
        ):  # a worker was inside indicate: it delivers the final
            await asyncio.to_thread(call.wait)
        lat.append(time.perf_counter() - t0)
        await asyncio.to_thread(src.closed.wait)
    return lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller counts")
    args = ap.parse_args()
    n_obj = 20_000 if args.quick else 100_000
    n_cancel = 200 if args.quick else 1_000
    n_pending = 2_000 if args.quick else 10_000
    n_start = 4_000 if args.quick else 20_000

    print(f"openwmi call engine benchmark ({'quick' if args.quick else 'full'})")
    engine = Engine(watchdog_interval=None)
    sink_rates = {}
    for mode in ("sync", "async"):
        rate, first = bench_throughput(engine, n_obj, mode)
        sink_rates[mode] = rate
        print(
            f"  sink API  {mode:5s} source: {rate:12,.0f} objects/s over {n_obj:,}; "
            f"first indicate {first * 1e3:.2f} ms"
        )

    for mode in ("sync", "async"):
        lat, lat_ret, after = bench_cancel(engine, n_cancel, mode)
        print(
            f"  cancel    {mode:5s} source: cancel→final p50 {pct(lat, 50) * 1e3:.3f} ms, "
            f"p99 {pct(lat, 99) * 1e3:.3f} ms (return→final p99 {pct(lat_ret, 99) * 1e3:.3f} ms); "
            f"objects produced after cancel: median {statistics.median(after):.0f}, "
            f"max {max(after)} (batch 256)"
        )

    for mode in ("sync", "async"):
        rate = bench_start_cancel(engine, n_start, mode)
        print(f"  start+cancel ({mode} source): {rate:10,.0f} calls/s over {n_start:,}")

    per_call = bench_memory(n_pending)
    print(
        f"  memory per pending call: {per_call / 1024:.2f} KB over {n_pending:,} pending calls"
    )

    async def aio() -> None:
        for mode in ("sync", "async"):
            rate, first = await aio_throughput(engine, n_obj, mode)
            print(
                f"  asyncio   {mode:5s} source: {rate:12,.0f} objects/s; first object "
                f"{first * 1e3:.2f} ms; sink API / asyncio = {sink_rates[mode] / rate:.2f}x"
            )
        lat = await aio_cancel_latency(engine, max(100, n_cancel // 5), "sync")
        print(
            f"  asyncio cancel (task.cancel → final): p50 {pct(lat, 50) * 1e3:.3f} ms, "
            f"p99 {pct(lat, 99) * 1e3:.3f} ms"
        )
        rate = await aio_start_cancel(engine, n_start)
        print(
            f"  asyncio start+cancel (engine_call task cancelled): {rate:10,.0f} calls/s"
        )

    asyncio.run(aio())
    engine.close()


if __name__ == "__main__":
    main()
