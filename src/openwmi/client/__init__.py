"""The client API: ``connect()`` and ``Services`` over the embedded object manager.

Imports engine, protocol, manager (embedded source only), model, errors; never
server.
"""

from ..engine import CollectingSink as CollectingSink
from ..engine import ObjectSink as ObjectSink
from ..engine import QueueSink as QueueSink
from ..engine import SinkEvent as SinkEvent
from ..engine import error_from_status as error_from_status
from ._connect import connect as connect
from ._connect import default_repository_path as default_repository_path
from ._services import Services as Services

__all__ = [
    "CollectingSink",
    "ObjectSink",
    "QueueSink",
    "Services",
    "SinkEvent",
    "connect",
    "default_repository_path",
    "error_from_status",
]
