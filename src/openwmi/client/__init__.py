"""The client API: ``connect()`` and ``Services`` over the embedded object manager.

Imports engine, protocol, manager (embedded source only), model, errors; never
server.
"""

from ._connect import connect as connect
from ._connect import default_repository_path as default_repository_path
from ._services import Services as Services

__all__ = ["Services", "connect", "default_repository_path"]
