"""A producer that waits long while a delivery is in flight (event streams).

Regression for a stranded-batch bug: the engine flushed a waiting async
producer's batch only when no delivery was in flight, so an object produced
while the sink was busy stayed in the batch until the producer produced again
(for an event subscription: possibly never).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from openwmi.constants import WBEM_STATUS_COMPLETE
from openwmi.engine import BatchPolicy, Engine
from openwmi.testing import Op


class BlockingFirstSink:
    """``indicate`` blocks on its first call until ``release`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.got: list[Any] = []
        self.second = threading.Event()
        self.final = threading.Event()

    def indicate(self, objects: list[Any]) -> int:
        if not self.entered.is_set():
            self.entered.set()
            self.release.wait(10)
        self.got.extend(objects)
        if len(self.got) >= 2:
            self.second.set()
        return 0

    def set_status(self, flags: int, hresult: int, message: Any, obj: Any) -> int:
        if flags == WBEM_STATUS_COMPLETE:
            self.final.set()
        return 0


class WaitingSource:
    """Yields o1, waits on gate_a, yields o2, then waits on gate_b (forever-ish)."""

    def __init__(self) -> None:
        self.gate_a = threading.Event()
        self.gate_b = threading.Event()
        self.o2_yielded = threading.Event()

    def open(self, operation: Any, ctx: Any) -> Any:
        return self._gen()

    async def _gen(self) -> Any:
        yield "o1"
        await asyncio.to_thread(self.gate_a.wait, 10)
        yield "o2"
        self.o2_yielded.set()
        await asyncio.to_thread(self.gate_b.wait, 10)


def test_object_produced_during_a_delivery_is_not_stranded() -> None:
    """spec §3.1 (Indicate called until every result is delivered): o2, produced
    while o1's delivery is still running, reaches the sink as soon as that
    delivery ends, although the producer then waits and produces nothing more."""
    engine = Engine()
    sink = BlockingFirstSink()
    source = WaitingSource()
    try:
        engine.start(
            Op(batch_policy=BatchPolicy(max_objects=100, max_delay=60)), source, sink
        )
        assert sink.entered.wait(10)  # o1 is being delivered; the sink holds it
        source.gate_a.set()
        assert source.o2_yielded.wait(10)  # o2 produced while o1 is in flight
        sink.release.set()
        assert sink.second.wait(10), "o2 stayed in the engine's batch"
        assert sink.got == ["o1", "o2"]
        assert not sink.final.is_set()
    finally:
        source.gate_b.set()
        engine.close()
