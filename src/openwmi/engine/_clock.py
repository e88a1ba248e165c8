"""Clock Protocol and the monotonic production clock.

Owns: the time source the engine reads for sink timers (spec §3.4 "Sink timer").
Tests inject ``openwmi.testing.FakeClock``. Imports only the stdlib; never
imports asyncio or any other openwmi package.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of monotonic time in seconds."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences matter)."""
        ...


class MonotonicClock:
    """The production clock: :func:`time.monotonic`."""

    __slots__ = ()

    def now(self) -> float:
        """Seconds from :func:`time.monotonic`."""
        return time.monotonic()
