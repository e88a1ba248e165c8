"""Tests for openwmi.constants: the numeric values of spec §4.1, §3.2, §4.2, §7.6.

Values are copied by hand from wmi-semantics.md (which takes them from wbemcli.h).
"""

from __future__ import annotations

import pytest

from openwmi import constants

SPEC_4_1_FLAGS: dict[str, int] = {
    "WBEM_FLAG_RETURN_WBEM_COMPLETE": 0x0,
    "WBEM_RETURN_WHEN_COMPLETE": 0x0,
    "WBEM_FLAG_BIDIRECTIONAL": 0x0,
    "WBEM_FLAG_RETURN_ERROR_OBJECT": 0x0,
    "WBEM_FLAG_DONT_SEND_STATUS": 0x0,
    "WBEM_FLAG_SEND_ONLY_SELECTED": 0x0,
    "WBEM_FLAG_RETURN_IMMEDIATELY": 0x10,
    "WBEM_RETURN_IMMEDIATELY": 0x10,
    "WBEM_FLAG_FORWARD_ONLY": 0x20,
    "WBEM_FLAG_NO_ERROR_OBJECT": 0x40,
    "WBEM_FLAG_SEND_STATUS": 0x80,
    "WBEM_FLAG_ENSURE_LOCATABLE": 0x100,
    "WBEM_FLAG_DIRECT_READ": 0x200,
    "WBEM_MASK_RESERVED_FLAGS": 0x1F000,
    "WBEM_FLAG_USE_AMENDED_QUALIFIERS": 0x20000,
    "WBEM_FLAG_STRONG_VALIDATION": 0x100000,
    "WBEM_FLAG_DEEP": 0,
    "WBEM_FLAG_SHALLOW": 1,
    "WBEM_FLAG_PROTOTYPE": 2,
    "WBEM_FLAG_CREATE_OR_UPDATE": 0,
    "WBEM_FLAG_UPDATE_ONLY": 1,
    "WBEM_FLAG_CREATE_ONLY": 2,
    "WBEM_FLAG_UPDATE_COMPATIBLE": 0,
    "WBEM_FLAG_UPDATE_SAFE_MODE": 0x20,
    "WBEM_FLAG_UPDATE_FORCE_MODE": 0x40,
    "WBEM_MASK_UPDATE_MODE": 0x60,
    "WBEM_FLAG_ADVISORY": 0x10000,
    "WBEM_NO_WAIT": 0,
    "WBEM_INFINITE": 0xFFFFFFFF,
    "WBEM_FLAG_CONNECT_REPOSITORY_ONLY": 0x40,
    "WBEM_FLAG_CONNECT_PROVIDERS": 0x100,
    # limits under the table
    "WBEM_MAX_IDENTIFIER": 0x1000,
    "WBEM_MAX_QUERY": 0x4000,
    "WBEM_MAX_PATH": 0x2000,
    "WBEM_MAX_OBJECT_NESTING": 64,
    "WBEM_MAX_USER_PROPERTIES": 1024,
}

SPEC_3_2_STATUS: dict[str, int] = {
    "WBEM_STATUS_COMPLETE": 0,
    "WBEM_STATUS_REQUIREMENTS": 0x1,
    "WBEM_STATUS_PROGRESS": 2,
    "WBEM_STATUS_LOGGING_INFORMATION": 0x100,
    "WBEM_STATUS_LOGGING_INFORMATION_PROVIDER": 0x200,
    "WBEM_STATUS_LOGGING_INFORMATION_HOST": 0x400,
    "WBEM_STATUS_LOGGING_INFORMATION_REPOSITORY": 0x800,
    "WBEM_STATUS_LOGGING_INFORMATION_ESS": 0x1000,
    "WBEM_REQUIREMENTS_START_POSTFILTER": 0,
    "WBEM_REQUIREMENTS_STOP_POSTFILTER": 1,
    "WBEM_REQUIREMENTS_RECHECK_SUBSCRIPTIONS": 2,
}

# spec §4.2 / §5.2 access rights under their wbemcli.h names
ACCESS_RIGHTS: dict[str, int] = {
    "WBEM_ENABLE": 0x1,
    "WBEM_METHOD_EXECUTE": 0x2,
    "WBEM_FULL_WRITE_REP": 0x4,
    "WBEM_PARTIAL_WRITE_REP": 0x8,
    "WBEM_WRITE_PROVIDER": 0x10,
    "WBEM_REMOTE_ACCESS": 0x20,
    "WBEM_RIGHT_SUBSCRIBE": 0x40,
    "WBEM_RIGHT_PUBLISH": 0x80,
}


@pytest.mark.parametrize(
    ("name", "value"), SPEC_4_1_FLAGS.items(), ids=list(SPEC_4_1_FLAGS)
)
def test_flag_values_match_spec_4_1(name: str, value: int) -> None:
    """Spec §4.1 flag table and WBEM_LIMITS."""
    assert getattr(constants, name) == value
    assert type(getattr(constants, name)) is int


@pytest.mark.parametrize(
    ("name", "value"), SPEC_3_2_STATUS.items(), ids=list(SPEC_3_2_STATUS)
)
def test_status_values_match_spec_3_2(name: str, value: int) -> None:
    """Spec §3.2: SetStatus lFlags and the post-filter requirement values."""
    assert getattr(constants, name) == value


@pytest.mark.parametrize(
    ("name", "value"), ACCESS_RIGHTS.items(), ids=list(ACCESS_RIGHTS)
)
def test_access_rights(name: str, value: int) -> None:
    """Spec §4.2: namespace access-right bits (header names)."""
    assert getattr(constants, name) == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("WBEM_GENUS_CLASS", 1, id="class"),
        pytest.param("WBEM_GENUS_INSTANCE", 2, id="instance"),
    ],
)
def test_genus(name: str, value: int) -> None:
    """Spec §7.6: __GENUS is 1 for classes and 2 for instances."""
    assert getattr(constants, name) == value


def test_infinite_is_minus_one_as_a_long() -> None:
    """Spec §4.1: WBEM_INFINITE is 0xFFFFFFFF, i.e. -1 as a 32-bit ``long``."""
    assert constants.WBEM_INFINITE.to_bytes(4, "little") == (-1).to_bytes(
        4, "little", signed=True
    )


def test_reserved_mask_does_not_overlap_defined_flags() -> None:
    """Spec §4.1: the reserved bits MUST NOT be set, so no defined flag uses them."""
    mask = constants.WBEM_MASK_RESERVED_FLAGS
    for name, value in SPEC_4_1_FLAGS.items():
        if name.startswith("WBEM_FLAG_") and name != "WBEM_FLAG_ADVISORY":
            assert value & mask == 0, name


def test_update_mode_mask_covers_safe_and_force() -> None:
    mode = constants.WBEM_FLAG_UPDATE_SAFE_MODE | constants.WBEM_FLAG_UPDATE_FORCE_MODE
    assert mode == constants.WBEM_MASK_UPDATE_MODE
