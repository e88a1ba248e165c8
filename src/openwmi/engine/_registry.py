"""CallRegistry: each sink → its live calls (MS-WMI AsyncOperationTable).

Owns the lookup ``cancel_async_call(sink)`` needs. Several calls may share one
sink (design.md decisions); sinks are keyed by identity, so unhashable sinks
work. A pure synchronous class, not thread-safe: the engine guards it with its
own lock. Imports only the stdlib; never asyncio.

Invariant: every Call in the registry has not yet decided its final status
(it is removed by the one caller that completes it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._call import Call

__all__ = ["CallRegistry"]


class CallRegistry:
    """sink identity → list of its live calls."""

    __slots__ = ("_by_sink", "_count")

    def __init__(self) -> None:
        self._by_sink: dict[int, list[Call]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, call: Call) -> None:
        """Register a live call under its sink."""
        self._by_sink.setdefault(call.sink_id, []).append(call)
        self._count += 1

    def remove(self, call: Call) -> bool:
        """Forget a call; False if it was not registered."""
        sink_id = call.sink_id
        calls = self._by_sink.get(sink_id)
        if not calls:
            return False
        for i, c in enumerate(calls):
            if c is call:
                del calls[i]
                self._count -= 1
                if not calls:
                    del self._by_sink[sink_id]
                return True
        return False

    def calls_for(self, sink: object) -> list[Call]:
        """A snapshot of the live calls using ``sink`` (maybe empty)."""
        return list(self._by_sink.get(id(sink), ()))

    def has(self, sink: object) -> bool:
        """True if some live call uses ``sink``."""
        return id(sink) in self._by_sink

    def sink_count(self) -> int:
        """How many distinct sinks have live calls."""
        return len(self._by_sink)

    def __iter__(self) -> Iterator[Call]:
        for calls in list(self._by_sink.values()):
            yield from calls

    def snapshot(self) -> list[Call]:
        """Every live call."""
        return [c for calls in self._by_sink.values() for c in calls]
