"""FakeClock: time that moves only when a test says so (house-style §5).

Owns nothing else. Imports only the stdlib.
"""

from __future__ import annotations

import threading

__all__ = ["FakeClock"]


class FakeClock:
    """A ``Clock`` whose ``now()`` changes only through ``advance()``."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current fake time in seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward; returns the new time."""
        if seconds < 0:
            raise ValueError("time never goes back")
        with self._lock:
            self._now += seconds
            return self._now
