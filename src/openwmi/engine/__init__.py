"""The call engine: every WMI call mode over an abstract operation source.

Owns asynchronous calls with object sinks and ``cancel_async_call``,
semisynchronous enumerators and call results, synchronous mode, and the asyncio
facade primitives (house-style §4, spec §1-§5). Imports only openwmi.errors,
openwmi.constants and the stdlib; never the object manager, protocol, server,
client, or socket.
"""

from ._aio import CallOutcome as CallOutcome
from ._aio import EngineStream as EngineStream
from ._aio import engine_call as engine_call
from ._aio import engine_stream as engine_stream
from ._call import Call as Call
from ._call import CallState as CallState
from ._call import CancelReason as CancelReason
from ._call import FinalStatus as FinalStatus
from ._clock import Clock as Clock
from ._clock import MonotonicClock as MonotonicClock
from ._engine import Engine as Engine
from ._engine import EngineStatistics as EngineStatistics
from ._engine import in_sink_callback as in_sink_callback
from ._enumerator import CallResult as CallResult
from ._enumerator import Enumerator as Enumerator
from ._enumerator import run_sync as run_sync
from ._enumerator import run_sync_outcome as run_sync_outcome
from ._enumerator import start_call_result as start_call_result
from ._enumerator import start_enumerator as start_enumerator
from ._registry import CallRegistry as CallRegistry
from ._sink import CollectingSink as CollectingSink
from ._sink import ObjectSink as ObjectSink
from ._sink import QueueSink as QueueSink
from ._sink import SinkEvent as SinkEvent
from ._sink import error_from_status as error_from_status
from ._source import BatchPolicy as BatchPolicy
from ._source import CallContext as CallContext
from ._source import Source as Source

__all__ = [
    "BatchPolicy",
    "Call",
    "CallContext",
    "CallOutcome",
    "CallRegistry",
    "CallResult",
    "CallState",
    "CancelReason",
    "Clock",
    "CollectingSink",
    "Engine",
    "EngineStatistics",
    "EngineStream",
    "Enumerator",
    "FinalStatus",
    "MonotonicClock",
    "ObjectSink",
    "QueueSink",
    "SinkEvent",
    "Source",
    "engine_call",
    "engine_stream",
    "error_from_status",
    "in_sink_callback",
    "run_sync",
    "run_sync_outcome",
    "start_call_result",
    "start_enumerator",
]
