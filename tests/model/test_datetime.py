"""Tests for CIMDateTime: DMTF timestamps and intervals (spec §7.5; DSP0004 §5.2.4)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openwmi.errors import HResult, TypeMismatchError
from openwmi.model import CIMDateTime


def tz(minutes: int) -> dt.timezone:
    return dt.timezone(dt.timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "20240229130509.123456+000",
            dt.datetime(2024, 2, 29, 13, 5, 9, 123456, tzinfo=dt.UTC),
            id="utc-leap-day",
        ),
        pytest.param(
            "19991231235959.999999-480",
            dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=tz(-480)),
            id="negative-offset",
        ),
        pytest.param(
            "00010101000000.000000+999",
            dt.datetime(1, 1, 1, tzinfo=tz(999)),
            id="year-1-max-offset",
        ),
        pytest.param(
            "99991231235959.999999-999",
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=tz(-999)),
            id="year-9999-min-offset",
        ),
    ],
)
def test_parse_timestamp(text: str, expected: dt.datetime) -> None:
    """Spec §7.5: ``yyyymmddHHMMSS.mmmmmmsUUU``, UUU = UTC offset in minutes."""
    value = CIMDateTime.parse(text)
    assert not value.is_interval
    assert not value.is_relative
    out = value.to_python()
    assert out == expected
    assert isinstance(out, dt.datetime)
    assert out.utcoffset() == expected.utcoffset()
    assert str(value) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "00000001120032.000000:000",
            dt.timedelta(days=1, hours=12, seconds=32),
            id="doc-example",
        ),
        pytest.param("00000000000000.000000:000", dt.timedelta(0), id="zero"),
        pytest.param(
            "99999999235959.999999:000",
            dt.timedelta(days=99999999, hours=23, minutes=59, seconds=59)
            + dt.timedelta(microseconds=999999),
            id="max",
        ),
    ],
)
def test_parse_interval(text: str, expected: dt.timedelta) -> None:
    """Spec §7.5: interval ``ddddddddHHMMSS.mmmmmm:000``."""
    value = CIMDateTime.parse(text)
    assert value.is_interval
    assert value.to_python() == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("2024", id="short"),
        pytest.param("20240101000000.000000+00", id="24-chars"),
        pytest.param("20240101000000.000000+0000", id="26-chars"),
        pytest.param("20240101000000,000000+000", id="comma-not-dot"),
        pytest.param("20240101000000.000000 000", id="no-sign"),
        pytest.param("2024010100000a.000000+000", id="letter"),
        pytest.param("00000001120032.000000:001", id="interval-bad-tail"),
        pytest.param("00000001120032.000000-000:", id="mixed"),
        pytest.param("2024-01-01T00:00:00+00:00", id="iso-8601"),
    ],
)
def test_invalid_strings(text: str) -> None:
    """Spec §7.5: only the 25-character DMTF forms are datetimes."""
    with pytest.raises(TypeMismatchError) as info:
        CIMDateTime(text)
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert repr(text) in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("20241301000000.000000+000", id="month-13"),
        pytest.param("20240001000000.000000+000", id="month-00"),
        pytest.param("20240100000000.000000+000", id="day-00"),
        pytest.param("20240132000000.000000+000", id="day-32"),
        pytest.param("20230229000000.000000+000", id="feb-29-non-leap"),
        pytest.param("00000101000000.000000+000", id="year-0"),
        pytest.param("20240101240000.000000+000", id="hour-24"),
        pytest.param("20240101006000.000000+000", id="minute-60"),
        pytest.param("20240101000060.000000+000", id="second-60"),
    ],
)
def test_timestamp_fields_out_of_range(text: str) -> None:
    """DSP0004 §5.2.4: each field has its calendar range."""
    with pytest.raises(TypeMismatchError) as info:
        CIMDateTime(text)
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert "not a valid datetime" in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("00000000240000.000000:000", id="hour-24"),
        pytest.param("00000000006000.000000:000", id="minute-60"),
        pytest.param("00000000000060.000000:000", id="second-60"),
    ],
)
def test_interval_fields_out_of_range(text: str) -> None:
    """Spec §7.5 / WMI Interval Format: HH 00-23, MM 00-59, SS 00-59."""
    with pytest.raises(TypeMismatchError):
        CIMDateTime(text)


# --- comparison ---------------------------------------------------------------------


def test_equal_across_time_zones() -> None:
    """The same instant written in two zones is one value (and one hash)."""
    a = CIMDateTime("20240101120000.000000+060")
    b = CIMDateTime("20240101110000.000000+000")
    c = CIMDateTime("20240101030000.000000-480")
    assert a == b == c
    assert hash(a) == hash(b) == hash(c)
    assert len({a, b, c}) == 1
    assert a <= b
    assert a >= c
    assert not a < b


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        pytest.param(
            "20240101120000.000000+000", "20240101120000.000001+000", id="microsecond"
        ),
        pytest.param(
            "20240101120000.000000+000",
            "20240101120000.000000-001",
            id="negative-offset-is-later",
        ),
        pytest.param(
            "20240101130000.000000+120",
            "20240101120000.000000+000",
            id="local-text-larger-but-earlier",
        ),
        pytest.param(
            "19991231235959.999999+000", "20000101000000.000000+000", id="year"
        ),
    ],
)
def test_timestamp_ordering_by_utc_instant(earlier: str, later: str) -> None:
    """CIMDateTime docstring: timestamps order by UTC instant, not by text."""
    a, b = CIMDateTime(earlier), CIMDateTime(later)
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert a != b
    assert not b < a


def test_interval_ordering() -> None:
    short = CIMDateTime("00000000235959.999999:000")
    day = CIMDateTime("00000001000000.000000:000")
    assert short < day
    assert day > short
    assert sorted([day, short]) == [short, day]
    assert CIMDateTime.from_timedelta(dt.timedelta(days=1)) == day


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(lambda a, b: a < b, id="lt"),
        pytest.param(lambda a, b: a <= b, id="le"),
        pytest.param(lambda a, b: a > b, id="gt"),
        pytest.param(lambda a, b: a >= b, id="ge"),
    ],
)
def test_timestamp_vs_interval_ordering_raises(op: object) -> None:
    ts = CIMDateTime("20240101000000.000000+000")
    iv = CIMDateTime("00000001000000.000000:000")
    assert callable(op)
    with pytest.raises(TypeError, match="timestamp against an interval"):
        op(ts, iv)
    with pytest.raises(TypeError):
        op(iv, ts)


def test_timestamp_never_equals_interval() -> None:
    ts = CIMDateTime("00010101000000.000000+000")
    iv = CIMDateTime("00010101000000.000000:000")
    assert ts != iv
    assert iv != ts


@pytest.mark.parametrize(
    "other",
    [
        pytest.param("20240101000000.000000+000", id="str"),
        pytest.param(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), id="datetime"),
    ],
)
def test_compare_with_other_types(other: object) -> None:
    value = CIMDateTime("20240101000000.000000+000")
    assert value != other
    with pytest.raises(TypeError):
        value < other  # noqa: B015


# --- relative (wildcard) values ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("********120000.000000+000", id="any-day-at-noon"),
        pytest.param("2024**********.******+***", id="year-only"),
        pytest.param("********0000**.******:000", id="interval-wildcard"),
    ],
)
def test_relative_values_parse(text: str) -> None:
    value = CIMDateTime(text)
    assert value.is_relative
    with pytest.raises(TypeMismatchError):
        value.to_python()


def test_relative_equal_only_character_by_character() -> None:
    """Spec §7.5: relative datetimes compare "on a character-for-character basis"."""
    rel = CIMDateTime("********120000.000000+000")
    assert rel == CIMDateTime("********120000.000000+000")
    assert hash(rel) == hash(CIMDateTime("********120000.000000+000"))
    # same pattern, another zone: would be equal as instants, not as text
    assert rel != CIMDateTime("********130000.000000+060")
    # a concrete value the pattern "matches" is still not equal
    assert rel != CIMDateTime("20240101120000.000000+000")


@pytest.mark.parametrize(
    "other",
    [
        pytest.param("********120000.000000+000", id="relative"),
        pytest.param("20240101120000.000000+000", id="concrete"),
    ],
)
def test_relative_values_do_not_order(other: str) -> None:
    """Spec §7.5: relative datetimes compare "for equality only"."""
    rel = CIMDateTime("********110000.000000+000")
    with pytest.raises(TypeError, match="equality"):
        rel < CIMDateTime(other)  # noqa: B015
    with pytest.raises(TypeError):
        CIMDateTime(other) > rel  # noqa: B015


def test_wildcards_skip_field_validation() -> None:
    """A relative value's digits are not a calendar date, so only the shape counts."""
    assert CIMDateTime("****13**000000.000000+000").is_relative


# --- conversion ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(
            dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=tz(330)),
            "20240506070809.000010+330",
            id="india",
        ),
        pytest.param(
            dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=tz(-570)),
            "20240506070809.000000-570",
            id="marquesas",
        ),
        pytest.param(
            dt.datetime(2024, 5, 6), "20240506000000.000000+000", id="naive-utc"
        ),
    ],
)
def test_from_datetime_text(value: dt.datetime, text: str) -> None:
    assert CIMDateTime.from_datetime(value).text == text


def test_from_datetime_year_below_1000() -> None:
    """DSP0004 §5.2.4: yyyy is four digits, years 0001-0999 included."""
    value = dt.datetime(5, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert CIMDateTime.from_datetime(value).text == "00050102030405.000000+000"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(dt.timedelta(0), "00000000000000.000000:000", id="zero"),
        pytest.param(
            dt.timedelta(days=3, hours=4, minutes=5, seconds=6, microseconds=7),
            "00000003040506.000007:000",
            id="all-fields",
        ),
    ],
)
def test_from_timedelta_text(value: dt.timedelta, text: str) -> None:
    assert CIMDateTime.from_timedelta(value).text == text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(dt.timedelta(microseconds=-1), id="negative"),
        pytest.param(dt.timedelta(days=100_000_000), id="nine-digit-days"),
    ],
)
def test_from_timedelta_rejects(value: dt.timedelta) -> None:
    with pytest.raises(TypeMismatchError):
        CIMDateTime.from_timedelta(value)


def test_frozen() -> None:
    value = CIMDateTime("20240101000000.000000+000")
    with pytest.raises(AttributeError):
        value.text = "x"  # type: ignore[misc]  # frozen dataclass


# --- hypothesis round-trips -------------------------------------------------------------

offsets = st.integers(min_value=-999, max_value=999).map(tz)
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 1),
    max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    timezones=offsets,
)
intervals = st.timedeltas(
    min_value=dt.timedelta(0),
    max_value=dt.timedelta(days=99999999, hours=23, minutes=59, seconds=59),
)


@given(aware_datetimes)
def test_datetime_round_trip(value: dt.datetime) -> None:
    """from_datetime / to_python keep the instant, the offset and microseconds."""
    cim = CIMDateTime.from_datetime(value)
    back = cim.to_python()
    assert back == value
    assert isinstance(back, dt.datetime)
    assert back.utcoffset() == value.utcoffset()
    assert back.microsecond == value.microsecond
    assert CIMDateTime.parse(str(cim)) == cim


@given(intervals)
def test_timedelta_round_trip(value: dt.timedelta) -> None:
    cim = CIMDateTime.from_timedelta(value)
    assert cim.is_interval
    assert cim.to_python() == value


@given(aware_datetimes, aware_datetimes)
def test_order_and_hash_agree_with_python(a: dt.datetime, b: dt.datetime) -> None:
    """Ordering follows the UTC instant; equal values hash equal."""
    ca, cb = CIMDateTime.from_datetime(a), CIMDateTime.from_datetime(b)
    assert (ca < cb) is (a < b)
    assert (ca == cb) is (a == b)
    if ca == cb:
        assert hash(ca) == hash(cb)


@given(intervals, intervals)
def test_interval_order_agrees_with_python(a: dt.timedelta, b: dt.timedelta) -> None:
    ca, cb = CIMDateTime.from_timedelta(a), CIMDateTime.from_timedelta(b)
    assert (ca < cb) is (a < b)
    assert (ca == cb) is (a == b)
