"""The CIM-XML server: an ASGI application over the object manager, run on uvicorn.

Imports protocol, manager, model and errors; never the client or the engine.
"""

from ._app import CIMXMLApp as CIMXMLApp
from ._app import Limits as Limits
from ._auth import RIGHTS as RIGHTS
from ._auth import Authenticator as Authenticator
from ._auth import UsersFile as UsersFile
from ._auth import hash_password as hash_password
from ._auth import verify_password as verify_password
from ._contexts import Cursor as Cursor
from ._contexts import EnumerationContexts as EnumerationContexts

__all__ = [
    "RIGHTS",
    "Authenticator",
    "CIMXMLApp",
    "Cursor",
    "EnumerationContexts",
    "Limits",
    "UsersFile",
    "hash_password",
    "verify_password",
]
