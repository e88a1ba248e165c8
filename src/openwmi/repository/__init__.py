"""Persistence of namespaces, qualifier declarations, classes and instances.

Imports only model and errors (and the stdlib sqlite3); never asyncio.
"""

from ._codec import CODEC_VERSION as CODEC_VERSION
from ._codec import key_id as key_id
from ._codec import path_key_id as path_key_id
from ._sqlite import SCHEMA_VERSION as SCHEMA_VERSION
from ._sqlite import SQLiteRepository as SQLiteRepository
from ._sqlite import normalize_namespace as normalize_namespace

__all__ = [
    "CODEC_VERSION",
    "SCHEMA_VERSION",
    "SQLiteRepository",
    "key_id",
    "normalize_namespace",
    "path_key_id",
]
