"""Gates and scripted sources that order engine races without sleeps.

Owns ``Gate`` (a one-shot event awaitable from threads and from any asyncio
loop), ``GatedSource`` (sets ``reached[n]`` after yielding object n and waits
for ``release[n]``; trio ``Sequencer`` style), ``FaultySource``, ``ListSource``
and ``Op`` (a minimal operation). Imports openwmi.engine and the stdlib only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openwmi.engine import BatchPolicy, CallContext

__all__ = ["FaultySource", "Gate", "GateTimeout", "GatedSource", "ListSource", "Op"]

#: a gate that is never opened fails the test instead of hanging it
GATE_TIMEOUT = 20.0


class GateTimeout(AssertionError):
    """A gate was not opened in time: the test's handshake is wrong."""


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class Gate:
    """A one-shot event: ``set()`` from any thread; ``wait()`` or ``await wait_async()``."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def set(self) -> None:
        """Open the gate."""
        with self._lock:
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed
                loop.call_soon_threadsafe(_wake, fut)

    def is_set(self) -> bool:
        """True once opened."""
        return self._event.is_set()

    def wait(self, timeout: float = GATE_TIMEOUT) -> None:
        """Block until opened.

        Raises:
            GateTimeout: not opened within ``timeout`` seconds.
        """
        if not self._event.wait(timeout):
            raise GateTimeout(f"gate not opened within {timeout} s")

    async def wait_async(self) -> None:
        """Await the gate in the running loop (cancellable; GATE_TIMEOUT bound)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._event.is_set():
                return
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, fut))
        try:
            async with asyncio.timeout(GATE_TIMEOUT):
                await fut
        except TimeoutError:
            raise GateTimeout(f"gate not opened within {GATE_TIMEOUT} s") from None


@dataclass(frozen=True)
class Op:
    """A minimal operation for tests: a name and the engine's two attributes."""

    name: str = "op"
    detach_on_cancel: bool = False
    batch_policy: BatchPolicy | None = None


class GatedSource:
    """Yields ``objects``; after object n (n in ``gated``) it flushes, sets
    ``reached[n]`` and waits for ``release[n]``.

    Records what happened: ``produced`` (objects yielded), ``closed`` (gate set
    in the producer's ``finally``), ``completed`` (ran to the end),
    ``cancel_calls`` (times ``cancel(ctx)`` was called), ``contexts``,
    ``side_effects`` (appended at completion: the visible effect of a method).
    """

    def __init__(
        self,
        objects: Sequence[Any] | int,
        *,
        gated: Iterable[int] | None = None,
        mode: str = "sync",
        progress: bool = False,
        result_string: str | None = None,
        cancel_raises: bool = False,
    ) -> None:
        self.objects = (
            list(range(objects)) if isinstance(objects, int) else list(objects)
        )
        n = len(self.objects)
        self.gated = set(range(n)) if gated is None else set(gated)
        self.reached = [Gate() for _ in range(n)]
        self.release = [Gate() for _ in range(n)]
        if mode not in ("sync", "async"):
            raise ValueError(mode)
        self.mode = mode
        self.progress = progress
        self.result_string = result_string
        self.cancel_raises = cancel_raises
        self.produced = 0
        self.started = Gate()
        self.closed = Gate()
        self.completed = Gate()
        self.cancel_calls = 0
        self.contexts: list[CallContext] = []
        self.side_effects: list[str] = []

    def release_all(self) -> None:
        """Open every release gate."""
        for gate in self.release:
            gate.set()

    def cancel(self, ctx: CallContext) -> None:
        """The optional producer ``cancel`` hook (design.md #14)."""
        self.cancel_calls += 1
        if self.cancel_raises:
            raise RuntimeError("cancel hook failed (must not matter)")

    def open(self, operation: Any, ctx: CallContext) -> Any:
        self.contexts.append(ctx)
        return self._sync(ctx) if self.mode == "sync" else self._async(ctx)

    def _step(self, ctx: CallContext, i: int) -> None:
        self.produced += 1
        if self.progress:
            ctx.progress(int(100 * (i + 1) / len(self.objects)), f"object {i}")

    def _finish(self, ctx: CallContext) -> None:
        self.side_effects.append("done")
        if self.result_string is not None:
            ctx.set_result_string(self.result_string)
        self.completed.set()

    def _sync(self, ctx: CallContext) -> Iterator[Any]:
        self.started.set()
        try:
            for i, obj in enumerate(self.objects):
                self._step(ctx, i)
                yield obj
                if i in self.gated:
                    ctx.flush()
                    self.reached[i].set()
                    self.release[i].wait()
            self._finish(ctx)
        finally:
            self.closed.set()

    async def _async(self, ctx: CallContext) -> AsyncIterator[Any]:
        self.started.set()
        try:
            for i, obj in enumerate(self.objects):
                self._step(ctx, i)
                yield obj
                if i in self.gated:
                    self.reached[i].set()
                    await self.release[i].wait_async()
            self._finish(ctx)
        finally:
            self.closed.set()


class FaultySource:
    """Yields ``fail_at`` objects, then raises ``exc`` (house-style §5 seam)."""

    def __init__(self, fail_at: int, exc: Exception, *, mode: str = "sync") -> None:
        if mode not in ("sync", "async"):
            raise ValueError(mode)
        self.fail_at, self.exc, self.mode = fail_at, exc, mode
        self.raise_in_open = False

    def open(self, operation: Any, ctx: CallContext) -> Any:
        if self.raise_in_open:
            raise self.exc
        return self._sync() if self.mode == "sync" else self._async()

    def _sync(self) -> Iterator[int]:
        yield from range(self.fail_at)
        raise self.exc

    async def _async(self) -> AsyncIterator[int]:
        for i in range(self.fail_at):
            yield i
        raise self.exc


class ListSource:
    """A plain in-memory source: a list, a sync or async generator, or an awaitable."""

    def __init__(
        self,
        objects: Sequence[Any],
        *,
        mode: str = "sync",
        result_string: str | None = None,
    ) -> None:
        if mode not in ("sync", "async", "list", "await"):
            raise ValueError(mode)
        self.objects, self.mode, self.result_string = objects, mode, result_string

    def open(self, operation: Any, ctx: CallContext) -> Any:
        if self.result_string is not None:
            ctx.set_result_string(self.result_string)
        if self.mode == "list":
            return self.objects
        if self.mode == "sync":
            return iter(self.objects)
        if self.mode == "await":
            return self._one()
        return self._async()

    async def _one(self) -> Any:
        return self.objects[0] if self.objects else None

    async def _async(self) -> AsyncIterator[Any]:
        for obj in self.objects:
            yield obj


class EndlessProvider:
    """An in-process provider whose enumeration never ends (``{"Name": f"{prefix}00000000"}``,
    …): ``started`` is set on the first pull, ``produced`` counts objects, and
    ``closed`` is set when its generator is closed — proof that a cancel, a
    CloseEnumeration or a disconnect reached the provider."""

    def __init__(self, prefix: str = "e") -> None:
        self.prefix = prefix
        self.produced = 0
        self.started = threading.Event()
        self.closed = threading.Event()

    def enumerate_instances(self, ctx: Any, classname: str) -> Any:
        self.started.set()
        try:
            i = 0
            while True:
                self.produced += 1
                yield {"Name": f"{self.prefix}{i:08d}"}
                i += 1
        finally:
            self.closed.set()
