"""RecordingSink, the invariant checker and ``running_engine()``.

Owns what every engine test asserts (house-style §5): exactly one final
``set_status``, nothing after it, no empty ``indicate``, callbacks of one call
never overlapping, an empty registry, no producer left running. Imports
openwmi.engine, openwmi.errors/constants and the stdlib only.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from openwmi.constants import WBEM_STATUS_COMPLETE, WBEM_STATUS_PROGRESS
from openwmi.engine import Engine
from openwmi.errors import HResult

__all__ = ["RecordingSink", "assert_call_invariants", "running_engine", "wait_until"]

Event = tuple[Any, ...]


class RecordingSink:
    """An ObjectSink that records every callback, in order, with its thread.

    Hooks (each runs inside the callback, on the delivering thread):
    ``on_indicate(objects)`` and ``on_status(flags, hresult, message, obj)``;
    a hook's non-None return value becomes the callback's return value, and an
    exception it raises propagates to the engine.
    """

    def __init__(
        self,
        *,
        on_indicate: Callable[[list[Any]], object] | None = None,
        on_status: Callable[[int, int, str | None, Any], object] | None = None,
    ) -> None:
        self.on_indicate = on_indicate
        self.on_status = on_status
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._in_flight = 0
        self.max_in_flight = 0
        self.first_indicate = threading.Event()

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def indicate(self, objects: list[Any]) -> object:
        self._enter()
        try:
            with self._cond:
                self.events.append(("indicate", list(objects), threading.get_ident()))
                self._cond.notify_all()
            self.first_indicate.set()
            if self.on_indicate is not None:
                return self.on_indicate(objects)
            return HResult.WBEM_S_NO_ERROR
        finally:
            self._leave()

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> object:
        self._enter()
        try:
            kind = "final" if flags == WBEM_STATUS_COMPLETE else "progress"
            with self._cond:
                self.events.append(
                    (kind, flags, hresult, message, obj, threading.get_ident())
                )
                self._cond.notify_all()
            if self.on_status is not None:
                return self.on_status(flags, hresult, message, obj)
            return HResult.WBEM_S_NO_ERROR
        finally:
            self._leave()

    # --- views -------------------------------------------------------------------
    @property
    def objects(self) -> list[Any]:
        """Every object indicated, in order."""
        with self._lock:
            return [o for e in self.events if e[0] == "indicate" for o in e[1]]

    @property
    def indicates(self) -> list[list[Any]]:
        with self._lock:
            return [e[1] for e in self.events if e[0] == "indicate"]

    @property
    def progress(self) -> list[tuple[int, str | None]]:
        with self._lock:
            return [(e[2], e[3]) for e in self.events if e[0] == "progress"]

    @property
    def finals(self) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e[0] == "final"]

    @property
    def status(self) -> int | None:
        """The hresult of the (first) final status, or None."""
        finals = self.finals
        return finals[0][2] if finals else None

    def wait_final(self, count: int = 1, timeout: float = 20.0) -> int:
        """Block until ``count`` final statuses arrived; return the first's hresult."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: sum(e[0] == "final" for e in self.events) >= count, timeout
            )
        if not ok:
            raise AssertionError(f"no final status within {timeout} s: {self.events!r}")
        status = self.status
        assert status is not None
        return status

    def wait_objects(self, count: int, timeout: float = 20.0) -> None:
        """Block until at least ``count`` objects were indicated."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: (
                    sum(len(e[1]) for e in self.events if e[0] == "indicate") >= count
                ),
                timeout,
            )
        if not ok:
            raise AssertionError(f"fewer than {count} objects within {timeout} s")


def assert_call_invariants(
    sink: RecordingSink,
    engine: Engine,
    *,
    calls: int = 1,
    idle: bool = True,
    timeout: float = 20.0,
) -> int:
    """Assert the house-style §5 invariants for the ``calls`` calls on ``sink``.

    Exactly ``calls`` final statuses (flags 0), the last event is a final
    status, no empty indicate, no progress flagged as anything but
    WBEM_STATUS_PROGRESS; for a single call: nothing after the final status and
    callbacks never overlapped; the engine holds no live call for the sink;
    with ``idle``, no producer is left running.

    Returns:
        The hresult of the first final status.
    """
    status = sink.wait_final(calls, timeout)
    events = list(sink.events)
    finals = [i for i, e in enumerate(events) if e[0] == "final"]
    assert len(finals) == calls, f"expected {calls} final status(es), got {events!r}"
    assert events[-1][0] == "final", f"events after the final status: {events!r}"
    if calls == 1:
        assert finals[0] == len(events) - 1, (
            f"events after the final status: {events!r}"
        )
        assert sink.max_in_flight <= 1, "callbacks of one call overlapped"
    for e in events:
        if e[0] == "indicate":
            assert e[1], "indicate with no objects"
        elif e[0] == "progress":
            assert e[1] == WBEM_STATUS_PROGRESS
        else:
            assert e[1] == WBEM_STATUS_COMPLETE
    assert engine.live_calls(sink) == [], (
        "the registry still holds a call for this sink"
    )
    if idle:
        assert engine.wait_idle(timeout), "a producer is still running"
    return status


@contextlib.contextmanager
def running_engine(**kwargs: Any) -> Iterator[Engine]:
    """An Engine for a test; closed (and checked empty) on exit."""
    engine = Engine(**kwargs)
    try:
        yield engine
    finally:
        engine.close()
        stats = engine.statistics()
        assert stats.live_calls == 0, stats
        assert stats.producers_running == 0, stats


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Block until ``predicate()`` holds (checked every millisecond).

    For state another thread changes with no handshake to wait on (e.g. the
    engine's own watchdog). It waits *for* an event; it never orders events.
    """
    ev = threading.Event()
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not predicate():
            if deadline.is_set():
                raise AssertionError(f"condition not met within {timeout} s")
            ev.wait(0.001)
    finally:
        timer.cancel()
        timer.join()
