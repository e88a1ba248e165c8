"""WBEM flag, status, timeout, genus, limit and access-right constants.

Owns the numeric values of spec §4.1 (flags and limits), §3.2 (SetStatus
flags) and §4.2 (access rights), taken from wbemcli.h. Imports nothing.
HRESULT codes live in :mod:`openwmi.errors`.
"""

from __future__ import annotations

from typing import Final

# --- call flags (spec §4.1) -----------------------------------------------------
WBEM_FLAG_RETURN_WBEM_COMPLETE: Final = 0x0
WBEM_RETURN_WHEN_COMPLETE: Final = 0x0
WBEM_FLAG_BIDIRECTIONAL: Final = 0x0
WBEM_FLAG_RETURN_ERROR_OBJECT: Final = 0x0
WBEM_FLAG_DONT_SEND_STATUS: Final = 0x0
WBEM_FLAG_SEND_ONLY_SELECTED: Final = 0x0
WBEM_FLAG_RETURN_IMMEDIATELY: Final = 0x10
WBEM_RETURN_IMMEDIATELY: Final = 0x10
WBEM_FLAG_FORWARD_ONLY: Final = 0x20
WBEM_FLAG_NO_ERROR_OBJECT: Final = 0x40
WBEM_FLAG_SEND_STATUS: Final = 0x80
WBEM_FLAG_ENSURE_LOCATABLE: Final = 0x100
WBEM_FLAG_DIRECT_READ: Final = 0x200
WBEM_MASK_RESERVED_FLAGS: Final = 0x1F000
WBEM_FLAG_USE_AMENDED_QUALIFIERS: Final = 0x20000
WBEM_FLAG_STRONG_VALIDATION: Final = 0x100000
WBEM_FLAG_DEEP: Final = 0x0
WBEM_FLAG_SHALLOW: Final = 0x1
WBEM_FLAG_PROTOTYPE: Final = 0x2
WBEM_FLAG_CREATE_OR_UPDATE: Final = 0x0
WBEM_FLAG_UPDATE_ONLY: Final = 0x1
WBEM_FLAG_CREATE_ONLY: Final = 0x2
WBEM_FLAG_UPDATE_COMPATIBLE: Final = 0x0
WBEM_FLAG_UPDATE_SAFE_MODE: Final = 0x20
WBEM_FLAG_UPDATE_FORCE_MODE: Final = 0x40
WBEM_MASK_UPDATE_MODE: Final = 0x60
WBEM_FLAG_ADVISORY: Final = 0x10000
WBEM_FLAG_CONNECT_REPOSITORY_ONLY: Final = 0x40
WBEM_FLAG_CONNECT_PROVIDERS: Final = 0x100

# --- timeouts (IEnumWbemClassObject::Next, IWbemCallResult) ------------------------
WBEM_NO_WAIT: Final = 0
WBEM_INFINITE: Final = 0xFFFFFFFF

# --- IWbemObjectSink::SetStatus lFlags (spec §3.2) --------------------------------
WBEM_STATUS_COMPLETE: Final = 0x0
WBEM_STATUS_REQUIREMENTS: Final = 0x1
WBEM_STATUS_PROGRESS: Final = 0x2
WBEM_STATUS_LOGGING_INFORMATION: Final = 0x100
WBEM_STATUS_LOGGING_INFORMATION_PROVIDER: Final = 0x200
WBEM_STATUS_LOGGING_INFORMATION_HOST: Final = 0x400
WBEM_STATUS_LOGGING_INFORMATION_REPOSITORY: Final = 0x800
WBEM_STATUS_LOGGING_INFORMATION_ESS: Final = 0x1000
WBEM_REQUIREMENTS_START_POSTFILTER: Final = 0
WBEM_REQUIREMENTS_STOP_POSTFILTER: Final = 1
WBEM_REQUIREMENTS_RECHECK_SUBSCRIPTIONS: Final = 2

# --- __GENUS ---------------------------------------------------------------------
WBEM_GENUS_CLASS: Final = 1
WBEM_GENUS_INSTANCE: Final = 2

# --- limits (WBEM_LIMITS) ----------------------------------------------------------
WBEM_MAX_IDENTIFIER: Final = 0x1000
WBEM_MAX_QUERY: Final = 0x4000
WBEM_MAX_PATH: Final = 0x2000
WBEM_MAX_OBJECT_NESTING: Final = 64
WBEM_MAX_USER_PROPERTIES: Final = 1024

# --- namespace access rights (spec §4.2) -------------------------------------------
WBEM_ENABLE: Final = 0x1
WBEM_METHOD_EXECUTE: Final = 0x2
WBEM_FULL_WRITE_REP: Final = 0x4
WBEM_PARTIAL_WRITE_REP: Final = 0x8
WBEM_WRITE_PROVIDER: Final = 0x10
WBEM_REMOTE_ACCESS: Final = 0x20
WBEM_RIGHT_SUBSCRIBE: Final = 0x40
WBEM_RIGHT_PUBLISH: Final = 0x80
