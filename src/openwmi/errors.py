"""HRESULT codes and the one exception family of openwmi.

Owns: every ``WBEM_S_*`` / ``WBEM_E_*`` / ``WBEMESS_E_*`` code of the behaviour
reference (spec §9), the exception tree, and the HRESULT ↔ CIM status table
(spec §11.3) that the wire layer uses. Imports nothing from openwmi and never
imports asyncio.

The tree (every class carries ``.hresult`` and ``.name``)::

    WbemError                      base; ``WbemError.of(code, msg)`` builds any code
    ├── NotFoundError              WBEM_E_NOT_FOUND
    ├── InvalidNamespaceError      WBEM_E_INVALID_NAMESPACE
    ├── InvalidClassError          WBEM_E_INVALID_CLASS
    ├── InvalidParameterError      WBEM_E_INVALID_PARAMETER
    │   └── TypeMismatchError      WBEM_E_TYPE_MISMATCH
    ├── InvalidObjectError         WBEM_E_INVALID_OBJECT
    ├── InvalidObjectPathError     WBEM_E_INVALID_OBJECT_PATH
    ├── InvalidPropertyError       WBEM_E_INVALID_PROPERTY
    ├── InvalidOperationError      WBEM_E_INVALID_OPERATION
    ├── AlreadyExistsError         WBEM_E_ALREADY_EXISTS
    ├── AccessDeniedError          WBEM_E_ACCESS_DENIED
    ├── NotSupportedError          WBEM_E_NOT_SUPPORTED
    ├── InvalidQueryError          WBEM_E_INVALID_QUERY (details: line, column)
    │   ├── UnparsableQueryError   WBEM_E_UNPARSABLE_QUERY
    │   └── InvalidQueryTypeError  WBEM_E_INVALID_QUERY_TYPE
    ├── QuotaViolationError        WBEM_E_QUOTA_VIOLATION
    ├── ProviderError              WBEM_E_PROVIDER_FAILURE
    │   ├── ProviderNotFoundError  WBEM_E_PROVIDER_NOT_FOUND
    │   ├── ProviderNotCapableError WBEM_E_PROVIDER_NOT_CAPABLE
    │   ├── ProviderLoadError      WBEM_E_PROVIDER_LOAD_FAILURE
    │   └── ProviderTimedOutError  WBEM_E_PROVIDER_TIMED_OUT
    ├── CallCancelledError         WBEM_E_CALL_CANCELLED
    ├── ShuttingDownError          WBEM_E_SHUTTING_DOWN
    └── TransportError             WBEM_E_TRANSPORT_FAILURE

``InternalError`` sits outside the tree: it means "a bug in openwmi".
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

__all__ = [
    "CIM_STATUS_NAMES",
    "AccessDeniedError",
    "AlreadyExistsError",
    "CallCancelledError",
    "HResult",
    "InternalError",
    "InvalidClassError",
    "InvalidNamespaceError",
    "InvalidObjectError",
    "InvalidObjectPathError",
    "InvalidOperationError",
    "InvalidParameterError",
    "InvalidPropertyError",
    "InvalidQueryError",
    "InvalidQueryTypeError",
    "NotFoundError",
    "NotSupportedError",
    "ProviderError",
    "ProviderLoadError",
    "ProviderNotCapableError",
    "ProviderNotFoundError",
    "ProviderTimedOutError",
    "QuotaViolationError",
    "ShuttingDownError",
    "TransportError",
    "TypeMismatchError",
    "UnparsableQueryError",
    "WbemError",
    "cim_status_to_hresult",
    "hresult_name",
    "hresult_to_cim_status",
    "is_error",
]


class HResult(enum.IntEnum):
    """Every WMI status code of spec §9.1 and §9.2 (values from wbemcli.h)."""

    # §9.1 success codes
    WBEM_S_NO_ERROR = 0x00000000
    WBEM_S_SAME = 0x00000000
    WBEM_NO_ERROR = 0x00000000
    WBEM_S_INITIALIZED = 0x00000000
    WBEM_S_FALSE = 0x00000001
    WBEM_S_ALREADY_EXISTS = 0x00040001
    WBEM_S_RESET_TO_DEFAULT = 0x00040002
    WBEM_S_DIFFERENT = 0x00040003
    WBEM_S_TIMEDOUT = 0x00040004
    WBEM_S_NO_MORE_DATA = 0x00040005
    WBEM_S_OPERATION_CANCELLED = 0x00040006
    WBEM_S_PENDING = 0x00040007
    WBEM_S_DUPLICATE_OBJECTS = 0x00040008
    WBEM_S_ACCESS_DENIED = 0x00040009
    WBEM_S_PARTIAL_RESULTS = 0x00040010
    WBEM_S_SOURCE_NOT_AVAILABLE = 0x00040017
    WBEM_S_NEW_STYLE = 0x000400FF
    WBEM_S_LIMITED_SERVICE = 0x00043001
    WBEM_S_INDIRECTLY_UPDATED = 0x00043002
    # §9.2 error codes
    WBEM_E_FAILED = 0x80041001
    WBEM_E_NOT_FOUND = 0x80041002
    WBEM_E_ACCESS_DENIED = 0x80041003
    WBEM_E_PROVIDER_FAILURE = 0x80041004
    WBEM_E_TYPE_MISMATCH = 0x80041005
    WBEM_E_OUT_OF_MEMORY = 0x80041006
    WBEM_E_INVALID_CONTEXT = 0x80041007
    WBEM_E_INVALID_PARAMETER = 0x80041008
    WBEM_E_NOT_AVAILABLE = 0x80041009
    WBEM_E_CRITICAL_ERROR = 0x8004100A
    WBEM_E_INVALID_STREAM = 0x8004100B
    WBEM_E_NOT_SUPPORTED = 0x8004100C
    WBEM_E_INVALID_SUPERCLASS = 0x8004100D
    WBEM_E_INVALID_NAMESPACE = 0x8004100E
    WBEM_E_INVALID_OBJECT = 0x8004100F
    WBEM_E_INVALID_CLASS = 0x80041010
    WBEM_E_PROVIDER_NOT_FOUND = 0x80041011
    WBEM_E_INVALID_PROVIDER_REGISTRATION = 0x80041012
    WBEM_E_PROVIDER_LOAD_FAILURE = 0x80041013
    WBEM_E_INITIALIZATION_FAILURE = 0x80041014
    WBEM_E_TRANSPORT_FAILURE = 0x80041015
    WBEM_E_INVALID_OPERATION = 0x80041016
    WBEM_E_INVALID_QUERY = 0x80041017
    WBEM_E_INVALID_QUERY_TYPE = 0x80041018
    WBEM_E_ALREADY_EXISTS = 0x80041019
    WBEM_E_UNEXPECTED = 0x8004101D
    WBEM_E_INCOMPLETE_CLASS = 0x80041020
    WBEM_E_INVALID_SYNTAX = 0x80041021
    WBEM_E_READ_ONLY = 0x80041023
    WBEM_E_PROVIDER_NOT_CAPABLE = 0x80041024
    WBEM_E_CLASS_HAS_CHILDREN = 0x80041025
    WBEM_E_CLASS_HAS_INSTANCES = 0x80041026
    WBEM_E_ILLEGAL_NULL = 0x80041028
    WBEM_E_INVALID_CIM_TYPE = 0x8004102D
    WBEM_E_INVALID_METHOD = 0x8004102E
    WBEM_E_INVALID_METHOD_PARAMETERS = 0x8004102F
    WBEM_E_INVALID_PROPERTY = 0x80041031
    WBEM_E_CALL_CANCELLED = 0x80041032
    WBEM_E_SHUTTING_DOWN = 0x80041033
    WBEM_E_UNSUPPORTED_PARAMETER = 0x80041035
    WBEM_E_INVALID_OBJECT_PATH = 0x8004103A
    WBEM_E_OUT_OF_DISK_SPACE = 0x8004103B
    WBEM_E_UNSUPPORTED_PUT_EXTENSION = 0x8004103D
    WBEM_E_OVERRIDE_NOT_ALLOWED = 0x8004103F
    WBEM_E_SERVER_TOO_BUSY = 0x80041045
    WBEM_E_METHOD_NOT_IMPLEMENTED = 0x80041055
    WBEM_E_METHOD_DISABLED = 0x80041056
    WBEM_E_REFRESHER_BUSY = 0x80041057
    WBEM_E_UNPARSABLE_QUERY = 0x80041058
    WBEM_E_NOT_EVENT_CLASS = 0x80041059
    WBEM_E_MISSING_GROUP_WITHIN = 0x8004105A
    WBEM_E_MISSING_AGGREGATION_LIST = 0x8004105B
    WBEM_E_PROPERTY_NOT_AN_OBJECT = 0x8004105C
    WBEM_E_AGGREGATING_BY_OBJECT = 0x8004105D
    WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY = 0x8004105F
    WBEM_E_QUEUE_OVERFLOW = 0x80041061
    WBEM_E_PRIVILEGE_NOT_HELD = 0x80041062
    WBEM_E_INVALID_OPERATOR = 0x80041063
    WBEM_E_LOCAL_CREDENTIALS = 0x80041064
    WBEM_E_CLIENT_TOO_SLOW = 0x80041067
    WBEM_E_TIMED_OUT = 0x80041069
    WBEM_E_QUOTA_VIOLATION = 0x8004106C
    WBEM_E_VETO_DELETE = 0x80041079
    WBEM_E_VETO_PUT = 0x8004107A
    WBEM_E_PROVIDER_SUSPENDED = 0x80041081
    WBEM_E_PROVIDER_ALREADY_REGISTERED = 0x80041084
    WBEM_E_ENCRYPTED_CONNECTION_REQUIRED = 0x80041087
    WBEM_E_PROVIDER_TIMED_OUT = 0x80041088
    WBEM_E_NO_KEY = 0x80041089
    WBEM_E_PROVIDER_DISABLED = 0x8004108A
    WBEMESS_E_REGISTRATION_TOO_BROAD = 0x80042001
    WBEMESS_E_REGISTRATION_TOO_PRECISE = 0x80042002
    WBEMESS_E_AUTHZ_NOT_PRIVILEGED = 0x80042003
    WBEM_E_RETRY_LATER = 0x80043001
    WBEM_E_RESOURCE_CONTENTION = 0x80043002


def is_error(code: int) -> bool:
    """True when the severity bit of ``code`` is set (MS-ERREF §2.1)."""
    return bool(code & 0x80000000)


def hresult_name(code: int) -> str:
    """The symbolic name of ``code``, or its hex form when it is not a WMI code."""
    try:
        return HResult(code).name
    except ValueError:
        return f"0x{code & 0xFFFFFFFF:08X}"


class InternalError(Exception):
    """A bug in openwmi, never a caller's mistake (outside the WbemError tree)."""


class WbemError(Exception):
    """Base of every error a caller can handle.

    Build one for any code with ``WbemError.of(code, message)``; raise a
    concrete subclass (``NotFoundError("...")``) where the code is fixed.
    ``str(err)`` reads ``0x80041002 WBEM_E_NOT_FOUND: <what and where>``.
    """

    hresult: int = HResult.WBEM_E_FAILED
    _registry: ClassVar[dict[int, type[WbemError]]] = {}

    def __init_subclass__(cls, *, hresult: HResult | None = None, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if hresult is not None:
            if hresult in WbemError._registry:
                taken = WbemError._registry[hresult].__name__
                raise TypeError(f"{hresult.name} already used by {taken}")
            cls.hresult = hresult
            WbemError._registry[hresult] = cls

    def __init__(
        self, message: str, *, hresult: int | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        if hresult is not None:
            self.hresult = hresult
        self.message = message
        self.details: dict[str, Any] = details

    @property
    def name(self) -> str:
        """Symbolic name of the HRESULT, e.g. ``"WBEM_E_NOT_FOUND"``."""
        return hresult_name(self.hresult)

    def __str__(self) -> str:
        return f"0x{self.hresult & 0xFFFFFFFF:08X} {self.name}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.hresult, self.message, self.details))

    @staticmethod
    def of(code: int, message: str, **details: Any) -> WbemError:
        """The most specific error for ``code`` (a registered subclass, else base)."""
        cls = WbemError._registry.get(code)
        if cls is None:
            return WbemError(message, hresult=code, **details)
        return cls(message, **details)


def _rebuild(code: int, message: str, details: dict[str, Any]) -> WbemError:
    return WbemError.of(code, message, **details)


_E = HResult


class NotFoundError(WbemError, hresult=_E.WBEM_E_NOT_FOUND):
    """The object named does not exist."""


class InvalidNamespaceError(WbemError, hresult=_E.WBEM_E_INVALID_NAMESPACE):
    """The namespace named does not exist or is malformed."""


class InvalidClassError(WbemError, hresult=_E.WBEM_E_INVALID_CLASS):
    """The class named does not exist or is not valid here."""


class InvalidParameterError(WbemError, hresult=_E.WBEM_E_INVALID_PARAMETER):
    """A parameter is missing, of the wrong kind, or a flag is not allowed."""


class TypeMismatchError(InvalidParameterError, hresult=_E.WBEM_E_TYPE_MISMATCH):
    """A value does not fit the CIM type it is given to."""


class InvalidObjectError(WbemError, hresult=_E.WBEM_E_INVALID_OBJECT):
    """The object given is not valid for the operation."""


class InvalidObjectPathError(WbemError, hresult=_E.WBEM_E_INVALID_OBJECT_PATH):
    """An object path could not be parsed."""


class InvalidPropertyError(WbemError, hresult=_E.WBEM_E_INVALID_PROPERTY):
    """A property is not declared by the class."""


class InvalidOperationError(WbemError, hresult=_E.WBEM_E_INVALID_OPERATION):
    """The operation is not valid in the object's current state."""


class AlreadyExistsError(WbemError, hresult=_E.WBEM_E_ALREADY_EXISTS):
    """The object exists and the operation asked it not to."""


class AccessDeniedError(WbemError, hresult=_E.WBEM_E_ACCESS_DENIED):
    """The caller lacks the right for the operation."""


class NotSupportedError(WbemError, hresult=_E.WBEM_E_NOT_SUPPORTED):
    """The feature or operation is not supported."""


class InvalidQueryError(WbemError, hresult=_E.WBEM_E_INVALID_QUERY):
    """A data query is not valid (details: line, column, snippet)."""


class UnparsableQueryError(InvalidQueryError, hresult=_E.WBEM_E_UNPARSABLE_QUERY):
    """An event (filtering) query is not syntactically valid."""


class InvalidQueryTypeError(InvalidQueryError, hresult=_E.WBEM_E_INVALID_QUERY_TYPE):
    """The query language is not WQL."""


class QuotaViolationError(WbemError, hresult=_E.WBEM_E_QUOTA_VIOLATION):
    """A size, length or complexity limit was exceeded."""


class ProviderError(WbemError, hresult=_E.WBEM_E_PROVIDER_FAILURE):
    """A provider (or the repository store) failed."""


class ProviderNotFoundError(ProviderError, hresult=_E.WBEM_E_PROVIDER_NOT_FOUND):
    """The class names a provider that is not registered."""


class ProviderNotCapableError(ProviderError, hresult=_E.WBEM_E_PROVIDER_NOT_CAPABLE):
    """The provider does not implement the operation."""


class ProviderLoadError(ProviderError, hresult=_E.WBEM_E_PROVIDER_LOAD_FAILURE):
    """The provider could not be loaded."""


class ProviderTimedOutError(ProviderError, hresult=_E.WBEM_E_PROVIDER_TIMED_OUT):
    """The provider did not answer within its timeout."""


class CallCancelledError(WbemError, hresult=_E.WBEM_E_CALL_CANCELLED):
    """The call was cancelled (by the client, a sink error, a deadline)."""


class ShuttingDownError(WbemError, hresult=_E.WBEM_E_SHUTTING_DOWN):
    """The object manager is shutting down."""


class TransportError(WbemError, hresult=_E.WBEM_E_TRANSPORT_FAILURE):
    """The connection to a remote server failed."""


# --- HRESULT <-> CIM status (spec §11.3) ---------------------------------------

CIM_STATUS_NAMES: dict[int, str] = {
    0: "CIM_ERR_OK",
    1: "CIM_ERR_FAILED",
    2: "CIM_ERR_ACCESS_DENIED",
    3: "CIM_ERR_INVALID_NAMESPACE",
    4: "CIM_ERR_INVALID_PARAMETER",
    5: "CIM_ERR_INVALID_CLASS",
    6: "CIM_ERR_NOT_FOUND",
    7: "CIM_ERR_NOT_SUPPORTED",
    8: "CIM_ERR_CLASS_HAS_CHILDREN",
    9: "CIM_ERR_CLASS_HAS_INSTANCES",
    10: "CIM_ERR_INVALID_SUPERCLASS",
    11: "CIM_ERR_ALREADY_EXISTS",
    12: "CIM_ERR_NO_SUCH_PROPERTY",
    13: "CIM_ERR_TYPE_MISMATCH",
    14: "CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED",
    15: "CIM_ERR_INVALID_QUERY",
    16: "CIM_ERR_METHOD_NOT_AVAILABLE",
    17: "CIM_ERR_METHOD_NOT_FOUND",
    20: "CIM_ERR_NAMESPACE_NOT_EMPTY",
    21: "CIM_ERR_INVALID_ENUMERATION_CONTEXT",
    22: "CIM_ERR_INVALID_OPERATION_TIMEOUT",
    23: "CIM_ERR_PULL_HAS_BEEN_ABANDONED",
    24: "CIM_ERR_PULL_CANNOT_BE_ABANDONED",
    25: "CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED",
    26: "CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED",
    27: "CIM_ERR_SERVER_LIMITS_EXCEEDED",
    28: "CIM_ERR_SERVER_IS_SHUTTING_DOWN",
}

_TO_CIM: dict[int, int] = {
    _E.WBEM_S_NO_ERROR: 0,
    _E.WBEM_E_ACCESS_DENIED: 2,
    0x80070005: 2,  # E_ACCESSDENIED (DCOM), spec §11.3
    _E.WBEM_E_INVALID_NAMESPACE: 3,
    _E.WBEM_E_INVALID_PARAMETER: 4,
    _E.WBEM_E_INVALID_CONTEXT: 4,
    _E.WBEM_E_INVALID_METHOD_PARAMETERS: 4,
    _E.WBEM_E_INVALID_OBJECT_PATH: 4,
    _E.WBEM_E_INVALID_OBJECT: 4,
    _E.WBEM_E_ILLEGAL_NULL: 4,
    _E.WBEM_E_NO_KEY: 4,
    _E.WBEM_E_INVALID_CLASS: 5,
    _E.WBEM_E_NOT_FOUND: 6,
    _E.WBEM_E_NOT_SUPPORTED: 7,
    _E.WBEM_E_PROVIDER_NOT_CAPABLE: 7,
    _E.WBEM_E_VETO_PUT: 7,
    _E.WBEM_E_VETO_DELETE: 7,
    _E.WBEM_E_CLASS_HAS_CHILDREN: 8,
    _E.WBEM_E_CLASS_HAS_INSTANCES: 9,
    _E.WBEM_E_INVALID_SUPERCLASS: 10,
    _E.WBEM_E_ALREADY_EXISTS: 11,
    _E.WBEM_E_INVALID_PROPERTY: 12,
    _E.WBEM_E_TYPE_MISMATCH: 13,
    _E.WBEM_E_INVALID_QUERY_TYPE: 14,
    _E.WBEM_E_INVALID_QUERY: 15,
    _E.WBEM_E_UNPARSABLE_QUERY: 15,
    _E.WBEM_E_INVALID_OPERATOR: 15,
    _E.WBEM_E_NOT_EVENT_CLASS: 15,
    _E.WBEM_E_METHOD_DISABLED: 16,
    _E.WBEM_E_METHOD_NOT_IMPLEMENTED: 16,
    _E.WBEM_E_INVALID_METHOD: 17,
    _E.WBEM_E_QUOTA_VIOLATION: 27,
    _E.WBEM_E_SERVER_TOO_BUSY: 27,
    _E.WBEM_E_SHUTTING_DOWN: 28,
}

# Reverse direction: one canonical HRESULT per CIM status; 20-26 have none.
_FROM_CIM: dict[int, int] = {
    0: _E.WBEM_S_NO_ERROR,
    1: _E.WBEM_E_FAILED,
    2: _E.WBEM_E_ACCESS_DENIED,
    3: _E.WBEM_E_INVALID_NAMESPACE,
    4: _E.WBEM_E_INVALID_PARAMETER,
    5: _E.WBEM_E_INVALID_CLASS,
    6: _E.WBEM_E_NOT_FOUND,
    7: _E.WBEM_E_NOT_SUPPORTED,
    8: _E.WBEM_E_CLASS_HAS_CHILDREN,
    9: _E.WBEM_E_CLASS_HAS_INSTANCES,
    10: _E.WBEM_E_INVALID_SUPERCLASS,
    11: _E.WBEM_E_ALREADY_EXISTS,
    12: _E.WBEM_E_INVALID_PROPERTY,
    13: _E.WBEM_E_TYPE_MISMATCH,
    14: _E.WBEM_E_INVALID_QUERY_TYPE,
    15: _E.WBEM_E_INVALID_QUERY,
    16: _E.WBEM_E_METHOD_NOT_IMPLEMENTED,
    17: _E.WBEM_E_INVALID_METHOD,
    27: _E.WBEM_E_QUOTA_VIOLATION,
    28: _E.WBEM_E_SHUTTING_DOWN,
}


def hresult_to_cim_status(code: int, *, in_pull_session: bool = False) -> int:
    """The CIM status code (DSP0200) for a WMI HRESULT (spec §11.3).

    ``WBEM_E_CALL_CANCELLED`` becomes 23 (PULL_HAS_BEEN_ABANDONED) inside a pull
    session and 1 elsewhere; every code without an entry becomes 1 (FAILED).
    """
    if code == _E.WBEM_E_CALL_CANCELLED:
        return 23 if in_pull_session else 1
    if not is_error(code):
        return 0
    return _TO_CIM.get(code, 1)


def cim_status_to_hresult(status: int) -> int:
    """The WMI HRESULT for a CIM status code; unknown codes (20-26…) → WBEM_E_FAILED."""
    return _FROM_CIM.get(status, _E.WBEM_E_FAILED)
