"""Fixtures for the engine tests: a FakeClock and engines without a watchdog
(sink timers then move only when a test advances the clock and calls
``expire_deadlines()``), so every race is ordered by gates (house-style §5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openwmi.engine import BatchPolicy, Engine
from openwmi.testing import FakeClock, running_engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(clock: FakeClock) -> Iterator[Engine]:
    """Default batching."""
    with running_engine(clock=clock, watchdog_interval=None) as eng:
        yield eng


@pytest.fixture
def engine1(clock: FakeClock) -> Iterator[Engine]:
    """One object per indicate: what the sink has seen is exact at every gate."""
    with running_engine(
        clock=clock, watchdog_interval=None, batch=BatchPolicy(max_objects=1)
    ) as eng:
        yield eng
