"""The asyncio facade primitives: ``async for`` with backpressure, awaitable single
results, task cancellation = cancel_async_call (issue 4 "asyncio API"; spec §2.6; design.md
Interfaces "task cancellation = CancelAsyncCall"). Plain tests that call asyncio.run."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from openwmi.constants import WBEM_FLAG_SEND_STATUS
from openwmi.engine import CallState, Engine, engine_call, engine_stream
from openwmi.errors import HResult, NotFoundError
from openwmi.testing import FaultySource, GatedSource, ListSource, Op

E = HResult
MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
def test_async_for_yields_every_object(engine: Engine, mode: str) -> None:
    """Issue 4: ``async for obj in …`` over a call, inside the caller's running loop."""

    async def main() -> list[Any]:
        return [
            obj
            async for obj in engine_stream(
                engine, Op(), ListSource(list(range(3000)), mode=mode)
            )
        ]

    assert asyncio.run(main()) == list(range(3000))


@pytest.mark.parametrize("mode", MODES)
def test_stream_raises_the_operation_error_after_the_objects(
    engine: Engine, mode: str
) -> None:
    """Spec §1.1: the operation's error surfaces to the consumer (as its WbemError)."""

    async def collect(seen: list[Any]) -> None:
        stream = engine_stream(
            engine, Op(), FaultySource(3, NotFoundError("x"), mode=mode)
        )
        async for obj in stream:
            seen.append(obj)  # noqa: PERF401 - keep what arrived before the error

    async def main() -> list[Any]:
        seen: list[Any] = []
        with pytest.raises(NotFoundError):
            await collect(seen)
        return seen

    assert asyncio.run(main()) == [0, 1, 2]


@pytest.mark.parametrize("mode", MODES)
def test_cancelling_the_consumer_task_cancels_the_call(
    engine: Engine, mode: str
) -> None:
    """Design.md Interfaces: cancelling the awaiting task is cancel_async_call on the hidden sink;
    the producer is closed (spec §2.6.2)."""
    src = GatedSource(10, gated={1}, mode=mode)

    async def main() -> None:
        stream = engine_stream(engine, Op(), src)
        got: list[Any] = []

        async def consume() -> None:
            async for obj in stream:
                got.append(obj)  # noqa: PERF401 - keep what arrived before the cancel

        task = asyncio.create_task(consume())
        await asyncio.to_thread(src.reached[1].wait)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        call = stream.call
        assert call is not None
        assert call.state is CallState.CANCELLED
        assert call.cancel_reason == "client"
        assert len(got) <= 2

    asyncio.run(main())
    src.release_all()
    src.closed.wait()
    assert engine.wait_idle(20)


def test_backpressure_bounds_what_is_buffered(engine: Engine) -> None:
    """Issue 4 "with backpressure": a lagging consumer holds the producer at the buffer bound."""
    from openwmi.engine import BatchPolicy

    src = GatedSource(200, gated=set())
    op = Op(batch_policy=BatchPolicy(max_objects=1))

    async def main() -> list[Any]:
        out = []
        stream = engine_stream(engine, op, src, max_buffer=4)
        async for obj in stream:
            out.append(obj)
            # the producer can be at most: buffer + the consumer's local batch + 1 in hand
            assert src.produced <= len(out) + 4 + 4 + 2
        return out

    assert asyncio.run(main()) == list(range(200))


def test_aclose_and_garbage_collection_release_the_call(engine: Engine) -> None:
    """Spec §1.1 release = cancel: leaving a stream early (aclose, GC) cancels the call."""
    src1, src2 = GatedSource(10, gated={1}), GatedSource(10, gated={1})

    async def main() -> tuple[Any, Any]:
        s1 = engine_stream(engine, Op(), src1)
        async for _ in s1:
            break
        await s1.aclose()

        async def leave_early() -> Any:
            s2 = engine_stream(engine, Op(), src2)
            async for _ in s2:
                break
            return s2.call

        call2 = await leave_early()
        gc.collect()
        return s1.call, call2

    call1, call2 = asyncio.run(main())
    for call, src in ((call1, src1), (call2, src2)):
        src.release_all()
        assert call.wait(20)
        assert call.state is CallState.CANCELLED
        src.closed.wait()


def test_progress_reaches_the_callback(engine: Engine) -> None:
    """Spec §3.3 / design.md SEND_STATUS: progress flows to the facade's on_progress."""
    seen: list[int] = []

    async def main() -> list[Any]:
        stream = engine_stream(
            engine,
            Op(),
            GatedSource(4, gated=set(), progress=True),
            flags=WBEM_FLAG_SEND_STATUS,
            on_progress=lambda pct, msg: seen.append(pct),
        )
        return [o async for o in stream]

    assert asyncio.run(main()) == [0, 1, 2, 3]
    assert seen == [25, 50, 75, 100]


@pytest.mark.parametrize("mode", ["sync", "await"])
def test_engine_call_single_result(engine: Engine, mode: str) -> None:
    """Issue 4: ``await svc.aio.get_object(path)``: an awaitable single result."""

    async def main() -> Any:
        return await engine_call(
            engine, Op(), ListSource(["obj"], mode=mode, result_string="p")
        )

    out = asyncio.run(main())
    assert out.object == "obj"
    assert out.result_string == "p"
    assert out.hresult == 0
    with pytest.raises(NotFoundError):
        asyncio.run(engine_call(engine, Op(), FaultySource(0, NotFoundError("gone"))))


def test_cancelling_an_awaited_method_detaches(engine: Engine) -> None:
    """Spec §13.7 through asyncio: the task is cancelled, the method runs to completion."""
    src = GatedSource(["step", {"ReturnValue": 0}], gated={0}, mode="async")

    async def main() -> None:
        task = asyncio.create_task(
            engine_call(engine, Op("Format", detach_on_cancel=True), src)
        )
        await asyncio.to_thread(src.reached[0].wait)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    src.release_all()
    src.completed.wait()
    assert src.side_effects == ["done"]
    assert not src.contexts[0].cancelled
    assert engine.wait_idle(20)


def test_several_streams_share_the_caller_loop(engine: Engine) -> None:
    """House-style intro: the facade works inside the caller's loop while the engine loop is
    its own thread; several streams progress concurrently."""

    async def drain(n: int, mode: str) -> int:
        return len(
            [
                o
                async for o in engine_stream(
                    engine, Op(), ListSource(list(range(n)), mode=mode)
                )
            ]
        )

    async def main() -> list[int]:
        return await asyncio.gather(*(drain(500 + i, MODES[i % 2]) for i in range(8)))

    assert asyncio.run(main()) == [500 + i for i in range(8)]
