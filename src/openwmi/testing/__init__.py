"""Fakes and checkers for engine tests, shipped for users too (see trio.testing).

Owns FakeClock, Gate, GatedSource, FaultySource, ListSource, Op, RecordingSink,
assert_call_invariants and running_engine. Imports openwmi.engine,
openwmi.errors/constants and the stdlib; never the object manager or the wire.
"""

from ._clock import FakeClock as FakeClock
from ._gates import EndlessProvider as EndlessProvider
from ._gates import FaultySource as FaultySource
from ._gates import Gate as Gate
from ._gates import GatedSource as GatedSource
from ._gates import GateTimeout as GateTimeout
from ._gates import ListSource as ListSource
from ._gates import Op as Op
from ._sinks import RecordingSink as RecordingSink
from ._sinks import assert_call_invariants as assert_call_invariants
from ._sinks import running_engine as running_engine
from ._sinks import wait_until as wait_until

__all__ = [
    "EndlessProvider",
    "FakeClock",
    "FaultySource",
    "Gate",
    "GateTimeout",
    "GatedSource",
    "ListSource",
    "Op",
    "RecordingSink",
    "assert_call_invariants",
    "running_engine",
    "wait_until",
]
