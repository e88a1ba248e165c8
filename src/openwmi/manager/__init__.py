"""The object manager: the local source of operations.

Imports model, query, repository, providers, operations and errors; never
engine, protocol, server or client.
"""

from ._flags import ALLOWED_FLAGS as ALLOWED_FLAGS
from ._flags import check_flags as check_flags
from ._manager import ObjectManager as ObjectManager
from ._mof import compile_files_into as compile_files_into
from ._mof import compile_into as compile_into
from ._system import INTEROP_NAMESPACE as INTEROP_NAMESPACE
from ._system import SYSTEM_NAMESPACES as SYSTEM_NAMESPACES

__all__ = [
    "ALLOWED_FLAGS",
    "INTEROP_NAMESPACE",
    "SYSTEM_NAMESPACES",
    "ObjectManager",
    "check_flags",
    "compile_files_into",
    "compile_into",
]
