"""Tests for CIMType and coerce_value (DSP0004 §5.2 intrinsic data types)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import pytest

from openwmi.errors import HResult, InvalidParameterError, TypeMismatchError
from openwmi.model import CIMDateTime, CIMType, coerce_value, type_of_value

WHERE = "Cls.Prop"

INT_RANGES: list[tuple[CIMType, int, int]] = [
    (CIMType.UINT8, 0, 255),
    (CIMType.SINT8, -128, 127),
    (CIMType.UINT16, 0, 65535),
    (CIMType.SINT16, -32768, 32767),
    (CIMType.UINT32, 0, 4294967295),
    (CIMType.SINT32, -2147483648, 2147483647),
    (CIMType.UINT64, 0, 18446744073709551615),
    (CIMType.SINT64, -9223372036854775808, 9223372036854775807),
]
INT_TYPES = [t for t, _, _ in INT_RANGES]
INT_IDS = [t.value for t in INT_TYPES]


def coerce(t: CIMType, value: Any, *, is_array: bool = False) -> Any:
    return coerce_value(t, value, is_array=is_array, where=WHERE)


def assert_mismatch(t: CIMType, value: Any, *, is_array: bool = False) -> str:
    with pytest.raises(TypeMismatchError) as info:
        coerce(t, value, is_array=is_array)
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert WHERE in info.value.message
    return info.value.message


@pytest.mark.parametrize(("t", "lo", "hi"), INT_RANGES, ids=INT_IDS)
def test_integer_range_edges_accepted(t: CIMType, lo: int, hi: int) -> None:
    """DSP0004 §5.2: the full range of each integer type is valid."""
    assert coerce(t, lo) == lo
    assert coerce(t, hi) == hi
    assert type(coerce(t, hi)) is int


@pytest.mark.parametrize(("t", "lo", "hi"), INT_RANGES, ids=INT_IDS)
@pytest.mark.parametrize("side", ["below-min", "above-max"])
def test_integer_out_of_range_rejected(t: CIMType, lo: int, hi: int, side: str) -> None:
    """DSP0004 §5.2: one past either end is WBEM_E_TYPE_MISMATCH, naming the property."""
    value = lo - 1 if side == "below-min" else hi + 1
    message = assert_mismatch(t, value)
    assert "out of range" in message
    assert t.value in message


@pytest.mark.parametrize("t", INT_TYPES, ids=INT_IDS)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="bool-true"),
        pytest.param(False, id="bool-false"),
        pytest.param(1.0, id="float"),
        pytest.param("1", id="numeric-string"),
        pytest.param(b"\x01", id="bytes"),
    ],
)
def test_integer_rejects_non_int(t: CIMType, value: object) -> None:
    """Rule 1: integers are int, never bool, float or text."""
    assert_mismatch(t, value)


class Color(enum.IntEnum):
    RED = 3


def test_int_enum_is_accepted_as_plain_int() -> None:
    out = coerce(CIMType.UINT8, Color.RED)
    assert out == 3
    assert type(out) is int


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(0, id="int-0"),
        pytest.param(1, id="int-1"),
        pytest.param("true", id="string"),
        pytest.param(1.0, id="float"),
    ],
)
def test_boolean_rejects_non_bool(value: object) -> None:
    """DSP0004 §5.2: boolean takes TRUE/FALSE only, not 0/1."""
    assert_mismatch(CIMType.BOOLEAN, value)


@pytest.mark.parametrize("value", [True, False])
def test_boolean_accepts_bool(value: bool) -> None:
    assert coerce(CIMType.BOOLEAN, value) is value


@pytest.mark.parametrize("t", [CIMType.REAL32, CIMType.REAL64], ids=["r32", "r64"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(1, 1.0, id="int-widened"),
        pytest.param(-7, -7.0, id="negative-int"),
        pytest.param(2.5, 2.5, id="float"),
        pytest.param(Color.RED, 3.0, id="int-enum"),
    ],
)
def test_real_widening(t: CIMType, value: Any, expected: float) -> None:
    """Rule 2: reals are float; an int is widened."""
    out = coerce(t, value)
    assert out == expected
    assert type(out) is float


@pytest.mark.parametrize("t", [CIMType.REAL32, CIMType.REAL64], ids=["r32", "r64"])
@pytest.mark.parametrize(
    "value",
    [pytest.param(True, id="bool"), pytest.param("1.5", id="string")],
)
def test_real_rejects(t: CIMType, value: object) -> None:
    assert_mismatch(t, value)


@pytest.mark.parametrize(
    "value", [pytest.param("a", id="ascii"), pytest.param("\uffff", id="bmp-max")]
)
def test_char16_accepts_one_ucs2_char(value: str) -> None:
    """DSP0004 §5.2: char16 is one UCS-2 character."""
    assert coerce(CIMType.CHAR16, value) == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("ab", id="two-chars"),
        pytest.param("\U0001f600", id="astral"),
        pytest.param(65, id="int"),
    ],
)
def test_char16_rejects(value: object) -> None:
    assert_mismatch(CIMType.CHAR16, value)


@pytest.mark.parametrize(
    "value",
    [pytest.param("", id="empty"), pytest.param("héllo \u2603", id="unicode")],
)
def test_string_accepts_str(value: str) -> None:
    assert coerce(CIMType.STRING, value) == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(5, id="int"),
        pytest.param(b"x", id="bytes"),
        pytest.param(True, id="bool"),
    ],
)
def test_string_rejects_non_str(value: object) -> None:
    assert_mismatch(CIMType.STRING, value)


@pytest.mark.parametrize("t", list(CIMType), ids=[t.value for t in CIMType])
@pytest.mark.parametrize("is_array", [False, True], ids=["scalar", "array"])
def test_none_is_null_for_every_type(t: CIMType, is_array: bool) -> None:
    assert coerce(t, None, is_array=is_array) is None


# --- arrays ---------------------------------------------------------------------


def test_array_with_null_elements() -> None:
    """Rule 5: array elements may be NULL."""
    assert coerce(CIMType.UINT8, [1, None, 255], is_array=True) == [1, None, 255]


def test_array_tuple_becomes_list() -> None:
    out = coerce(CIMType.STRING, ("a", "b"), is_array=True)
    assert out == ["a", "b"]
    assert type(out) is list


def test_empty_array() -> None:
    assert coerce(CIMType.SINT32, [], is_array=True) == []


def test_array_element_error_names_the_index() -> None:
    message = assert_mismatch(CIMType.UINT8, [1, 2, 256], is_array=True)
    assert f"{WHERE}[2]" in message


def test_array_elements_are_coerced() -> None:
    assert coerce(CIMType.REAL64, [1, 2.5], is_array=True) == [1.0, 2.5]
    assert [type(x) for x in coerce(CIMType.REAL64, [1], is_array=True)] == [float]


@pytest.mark.parametrize(
    ("t", "value"),
    [
        pytest.param(CIMType.UINT8, 5, id="int"),
        pytest.param(CIMType.STRING, "abc", id="string-is-not-an-array"),
        pytest.param(CIMType.UINT8, b"\x01\x02", id="bytes"),
        pytest.param(CIMType.UINT8, {1, 2}, id="set"),
    ],
)
def test_scalar_given_to_array_rejected(t: CIMType, value: object) -> None:
    assert_mismatch(t, value, is_array=True)


@pytest.mark.parametrize(
    "value", [pytest.param([1], id="list"), pytest.param((1,), id="tuple")]
)
def test_array_given_to_scalar_rejected(value: object) -> None:
    message = assert_mismatch(CIMType.UINT8, value)
    assert "array" in message


# --- datetime coercion (Rule 3) ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(
            dt.datetime(2024, 2, 29, 13, 5, 9, 123456, tzinfo=dt.UTC),
            "20240229130509.123456+000",
            id="aware-utc",
        ),
        pytest.param(
            dt.datetime(
                2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-8))
            ),
            "20240102030405.000000-480",
            id="aware-negative-offset",
        ),
        pytest.param(
            dt.datetime(2024, 1, 2, 3, 4, 5, 6),
            "20240102030405.000006+000",
            id="naive-is-utc",
        ),
        pytest.param(
            dt.timedelta(days=1, hours=12, seconds=32),
            "00000001120032.000000:000",
            id="timedelta",
        ),
        pytest.param(
            "20240102030405.000000+060", "20240102030405.000000+060", id="str-timestamp"
        ),
        pytest.param(
            " 00000001120032.000000:000 ",
            "00000001120032.000000:000",
            id="str-stripped",
        ),
        pytest.param(
            CIMDateTime("20240102030405.000000+060"),
            "20240102030405.000000+060",
            id="cimdatetime",
        ),
    ],
)
def test_datetime_coercion(value: Any, text: str) -> None:
    """Rule 3 / spec §7.5: datetime, timedelta and DMTF strings become CIMDateTime."""
    out = coerce(CIMType.DATETIME, value)
    assert isinstance(out, CIMDateTime)
    assert out.text == text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2024-01-02T03:04:05", id="iso-string"),
        pytest.param("20241302030405.000000+000", id="month-13"),
        pytest.param(20240102, id="int"),
        pytest.param(dt.date(2024, 1, 2), id="date"),
        pytest.param(dt.timedelta(seconds=-1), id="negative-interval"),
    ],
)
def test_datetime_coercion_rejects(value: object) -> None:
    with pytest.raises(TypeMismatchError) as info:
        coerce(CIMType.DATETIME, value)
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH


def test_datetime_string_error_names_the_property() -> None:
    message = assert_mismatch(CIMType.DATETIME, "yesterday")
    assert message.startswith(f"{WHERE}: ")


def test_datetime_array() -> None:
    out = coerce(
        CIMType.DATETIME,
        [dt.timedelta(minutes=1), None, "20240102030405.000000+000"],
        is_array=True,
    )
    assert [None if v is None else v.text for v in out] == [
        "00000000000100.000000:000",
        None,
        "20240102030405.000000+000",
    ]


# --- CIMType ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("uint8", CIMType.UINT8, id="lower"),
        pytest.param("SINT64", CIMType.SINT64, id="upper"),
        pytest.param("DateTime", CIMType.DATETIME, id="mixed"),
        pytest.param("ref", CIMType.REFERENCE, id="ref-alias"),
        pytest.param("reference", CIMType.REFERENCE, id="reference"),
        pytest.param("object", CIMType.OBJECT, id="object"),
    ],
)
def test_from_name(name: str, expected: CIMType) -> None:
    assert CIMType.from_name(name) is expected


@pytest.mark.parametrize("name", ["int", "uint128", ""])
def test_from_name_unknown(name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        CIMType.from_name(name)
    assert info.value.hresult == HResult.WBEM_E_INVALID_PARAMETER


def test_integer_and_numeric_sets() -> None:
    assert {t for t in CIMType if t.is_integer} == set(INT_TYPES)
    assert {t for t in CIMType if t.is_numeric} == {
        *INT_TYPES,
        CIMType.REAL32,
        CIMType.REAL64,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(True, CIMType.BOOLEAN, id="bool"),
        pytest.param(5, CIMType.UINT64, id="positive-int"),
        pytest.param(-5, CIMType.SINT64, id="negative-int"),
        pytest.param(1.5, CIMType.REAL64, id="float"),
        pytest.param("x", CIMType.STRING, id="str"),
        pytest.param(dt.timedelta(1), CIMType.DATETIME, id="timedelta"),
        pytest.param([None, False], CIMType.BOOLEAN, id="array-first-non-null"),
        pytest.param([], CIMType.STRING, id="empty-array"),
    ],
)
def test_type_of_value(value: Any, expected: CIMType) -> None:
    assert type_of_value(value) is expected
