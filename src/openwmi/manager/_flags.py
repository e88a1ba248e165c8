"""Per-method flag validation (spec §4.1 "Flag validation rule", §4.2 table).

Owns ``ALLOWED_FLAGS`` and ``check_flags``. A flag bit not in the method's
allowed set → ``WBEM_E_INVALID_PARAMETER`` (MS-WMI §2.2.11 reason 2).
"""

from __future__ import annotations

from ..constants import (
    WBEM_FLAG_CREATE_ONLY,
    WBEM_FLAG_DIRECT_READ,
    WBEM_FLAG_ENSURE_LOCATABLE,
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_PROTOTYPE,
    WBEM_FLAG_RETURN_IMMEDIATELY,
    WBEM_FLAG_SEND_STATUS,
    WBEM_FLAG_SHALLOW,
    WBEM_FLAG_UPDATE_FORCE_MODE,
    WBEM_FLAG_UPDATE_ONLY,
    WBEM_FLAG_UPDATE_SAFE_MODE,
    WBEM_FLAG_USE_AMENDED_QUALIFIERS,
)
from ..errors import InvalidParameterError

__all__ = ["ALLOWED_FLAGS", "check_flags"]

_AMENDED = WBEM_FLAG_USE_AMENDED_QUALIFIERS
_RI = WBEM_FLAG_RETURN_IMMEDIATELY
_FO = WBEM_FLAG_FORWARD_ONLY
_SS = WBEM_FLAG_SEND_STATUS

#: Method → flags it accepts, in sync/semisync form; the *Async form swaps
#: RETURN_IMMEDIATELY/FORWARD_ONLY for SEND_STATUS (spec §4.2).
ALLOWED_FLAGS: dict[str, int] = {
    "OpenNamespace": _RI,
    "GetObject": _AMENDED | _RI | WBEM_FLAG_DIRECT_READ,
    "PutClass": _AMENDED
    | _RI
    | WBEM_FLAG_UPDATE_ONLY
    | WBEM_FLAG_CREATE_ONLY
    | WBEM_FLAG_UPDATE_SAFE_MODE
    | WBEM_FLAG_UPDATE_FORCE_MODE,
    "DeleteClass": _RI,
    "CreateClassEnum": _AMENDED | _RI | WBEM_FLAG_SHALLOW | _FO,
    "PutInstance": _AMENDED | _RI | WBEM_FLAG_UPDATE_ONLY | WBEM_FLAG_CREATE_ONLY,
    "DeleteInstance": _RI,
    "CreateInstanceEnum": _AMENDED
    | _RI
    | WBEM_FLAG_DIRECT_READ
    | WBEM_FLAG_SHALLOW
    | _FO,
    "ExecQuery": _AMENDED
    | _RI
    | WBEM_FLAG_DIRECT_READ
    | WBEM_FLAG_PROTOTYPE
    | _FO
    | WBEM_FLAG_ENSURE_LOCATABLE,
    "ExecNotificationQuery": _AMENDED | _RI | _FO,
    "ExecMethod": _RI,
}


def check_flags(method: str, flags: object, *, asynchronous: bool = False) -> None:
    """Raise ``InvalidParameterError`` when ``flags`` has a bit ``method`` does not allow.

    Also rejects contradictory combinations (CREATE_ONLY with UPDATE_ONLY,
    SAFE with FORCE mode).
    """
    if isinstance(flags, bool) or not isinstance(flags, int) or flags < 0:
        raise InvalidParameterError(
            f"{method}: flags must be a non-negative int, got {flags!r}"
        )
    allowed = ALLOWED_FLAGS[method]
    if asynchronous:
        allowed = (allowed & ~(_RI | _FO)) | _SS
    bad = flags & ~allowed
    if bad:
        raise InvalidParameterError(
            f"{method}{'Async' if asynchronous else ''}: flag 0x{bad:X} is not allowed "
            f"(allowed: 0x{allowed:X})",
            flags=flags,
        )
    if method in ("PutClass", "PutInstance"):
        both = WBEM_FLAG_CREATE_ONLY | WBEM_FLAG_UPDATE_ONLY
        if flags & both == both:
            raise InvalidParameterError(
                f"{method}: WBEM_FLAG_CREATE_ONLY and WBEM_FLAG_UPDATE_ONLY exclude each other"
            )
        modes = WBEM_FLAG_UPDATE_SAFE_MODE | WBEM_FLAG_UPDATE_FORCE_MODE
        if flags & modes == modes:
            raise InvalidParameterError(
                f"{method}: SAFE_MODE and FORCE_MODE exclude each other"
            )
