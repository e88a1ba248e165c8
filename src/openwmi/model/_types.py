"""CIM data types (DSP0004 §5.2): the type enum, datetime values, value checks.

Owns ``CIMType``, ``CIMDateTime`` and ``coerce_value``, the single place where a
Python value is checked against a CIM type and normalised. Imports only
openwmi.errors; no I/O, no asyncio.

Rule 1: integers are Python ``int`` (never ``bool``) within the type's range.
Rule 2: reals are ``float``; an ``int`` is accepted and widened.
Rule 3: datetimes are ``CIMDateTime``; ``datetime``/``timedelta``/DMTF strings
        are converted.
Rule 4: references are ``ObjectPath`` (strings are parsed by the caller layer,
        which knows the path syntax; see ``_paths``).
Rule 5: arrays are lists; elements may be NULL (None).
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterError, TypeMismatchError

__all__ = ["INT_RANGES", "CIMDateTime", "CIMType", "coerce_value", "type_of_value"]


class CIMType(enum.Enum):
    """The intrinsic CIM data types, valued by their MOF keyword."""

    BOOLEAN = "boolean"
    UINT8 = "uint8"
    SINT8 = "sint8"
    UINT16 = "uint16"
    SINT16 = "sint16"
    UINT32 = "uint32"
    SINT32 = "sint32"
    UINT64 = "uint64"
    SINT64 = "sint64"
    REAL32 = "real32"
    REAL64 = "real64"
    CHAR16 = "char16"
    STRING = "string"
    DATETIME = "datetime"
    REFERENCE = "reference"
    OBJECT = "object"  # embedded object (class or instance); WMI's `object`
    INSTANCE = "instance"  # embedded instance (EmbeddedInstance qualifier)

    @property
    def is_integer(self) -> bool:
        return self in INT_RANGES

    @property
    def is_numeric(self) -> bool:
        return self in INT_RANGES or self in (CIMType.REAL32, CIMType.REAL64)

    @classmethod
    def from_name(cls, name: str) -> CIMType:
        """The type for a MOF/CIM-XML type keyword (case-insensitive)."""
        try:
            return _BY_NAME[name.lower()]
        except KeyError:
            raise InvalidParameterError(f"unknown CIM type {name!r}") from None


_BY_NAME = {t.value: t for t in CIMType}
_BY_NAME["ref"] = CIMType.REFERENCE

INT_RANGES: dict[CIMType, tuple[int, int]] = {
    CIMType.UINT8: (0, 0xFF),
    CIMType.SINT8: (-0x80, 0x7F),
    CIMType.UINT16: (0, 0xFFFF),
    CIMType.SINT16: (-0x8000, 0x7FFF),
    CIMType.UINT32: (0, 0xFFFFFFFF),
    CIMType.SINT32: (-0x80000000, 0x7FFFFFFF),
    CIMType.UINT64: (0, 0xFFFFFFFFFFFFFFFF),
    CIMType.SINT64: (-0x8000000000000000, 0x7FFFFFFFFFFFFFFF),
}

_TS_RE = re.compile(
    r"^(?P<y>[\d*]{4})(?P<mo>[\d*]{2})(?P<d>[\d*]{2})(?P<h>[\d*]{2})(?P<mi>[\d*]{2})"
    r"(?P<s>[\d*]{2})\.(?P<us>[\d*]{6})(?P<sign>[+-])(?P<off>[\d*]{3})$"
)
_IV_RE = re.compile(
    r"^(?P<d>[\d*]{8})(?P<h>[\d*]{2})(?P<mi>[\d*]{2})(?P<s>[\d*]{2})\.(?P<us>[\d*]{6}):000$"
)


@dataclass(frozen=True, slots=True)
class CIMDateTime:
    """A DMTF datetime: a timestamp ``yyyymmddHHMMSS.mmmmmmsUUU`` or an interval
    ``ddddddddHHMMSS.mmmmmm:000`` (DSP0004 §5.2.4; WMI CIM_DATETIME).

    Fields written as ``*`` make a *relative* value that compares only for
    equality, character by character (spec §7.5). Ordered comparisons are
    between two timestamps (by UTC instant) or two intervals.
    """

    text: str

    def __post_init__(self) -> None:
        if not (_TS_RE.match(self.text) or _IV_RE.match(self.text)):
            raise TypeMismatchError(
                f"{self.text!r} is not a DMTF datetime "
                "(yyyymmddHHMMSS.mmmmmmsUUU or ddddddddHHMMSS.mmmmmm:000)"
            )
        if "*" not in self.text:
            self._sort_key()  # validates field ranges (month 13, hour 25 …)

    @classmethod
    def trusted(cls, text: str) -> CIMDateTime:
        """A datetime from text already validated (repository data): no re-check."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "text", text)
        return obj

    @classmethod
    def parse(cls, text: str) -> CIMDateTime:
        return cls(text.strip())

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> CIMDateTime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        offset = value.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "-" if minutes < 0 else "+"
        return cls(
            f"{value.year:04d}{value.month:02d}{value.day:02d}{value.hour:02d}"
            f"{value.minute:02d}{value.second:02d}.{value.microsecond:06d}"
            f"{sign}{abs(minutes):03d}"
        )

    @classmethod
    def from_timedelta(cls, value: _dt.timedelta) -> CIMDateTime:
        if value < _dt.timedelta(0):
            raise TypeMismatchError("a CIM interval cannot be negative")
        secs = value.seconds
        return cls(
            f"{value.days:08d}{secs // 3600:02d}{secs % 3600 // 60:02d}{secs % 60:02d}"
            f".{value.microseconds:06d}:000"
        )

    @property
    def is_interval(self) -> bool:
        return (
            self.text.endswith(":000") and len(self.text) == 25 and self.text[21] == ":"
        )

    @property
    def is_relative(self) -> bool:
        return "*" in self.text

    def to_python(self) -> _dt.datetime | _dt.timedelta:
        """The value as aware ``datetime`` or ``timedelta`` (not for wildcards)."""
        if self.is_relative:
            raise TypeMismatchError(f"{self.text!r} has wildcard fields")
        return self._sort_key()

    def _sort_key(self) -> _dt.datetime | _dt.timedelta:
        m = _IV_RE.match(self.text)
        try:
            if m:
                if int(m["h"]) > 23 or int(m["mi"]) > 59 or int(m["s"]) > 59:
                    raise ValueError("time field out of range")
                return _dt.timedelta(
                    days=int(m["d"]),
                    hours=int(m["h"]),
                    minutes=int(m["mi"]),
                    seconds=int(m["s"]),
                    microseconds=int(m["us"]),
                )
            m = _TS_RE.match(self.text)
            assert m is not None
            off = int(m["off"]) * (-1 if m["sign"] == "-" else 1)
            if int(m["h"]) > 23 or int(m["mi"]) > 59 or int(m["s"]) > 59:
                raise ValueError("time field out of range")
            return _dt.datetime(
                int(m["y"]),
                int(m["mo"]),
                int(m["d"]),
                int(m["h"]),
                int(m["mi"]),
                int(m["s"]),
                int(m["us"]),
                tzinfo=_dt.timezone(_dt.timedelta(minutes=off)),
            )
        except ValueError as exc:
            raise TypeMismatchError(
                f"{self.text!r} is not a valid datetime: {exc}"
            ) from None

    def _cmp_key(self, other: object) -> tuple[Any, Any]:
        if not isinstance(other, CIMDateTime):
            raise TypeError("CIMDateTime compares only with CIMDateTime")
        if self.is_relative or other.is_relative:
            raise TypeError("relative (wildcard) datetimes compare only for equality")
        a, b = self._sort_key(), other._sort_key()
        if type(a) is not type(b):
            raise TypeError("cannot order a timestamp against an interval")
        return a, b

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIMDateTime):
            return NotImplemented
        if (
            self.is_relative
            or other.is_relative
            or self.is_interval != other.is_interval
        ):
            return self.text == other.text
        return self._sort_key() == other._sort_key()

    def __hash__(self) -> int:
        if self.is_relative:
            return hash(self.text)
        return hash(self._sort_key())

    def __lt__(self, other: object) -> bool:
        a, b = self._cmp_key(other)
        return bool(a < b)

    def __le__(self, other: object) -> bool:
        a, b = self._cmp_key(other)
        return bool(a <= b)

    def __gt__(self, other: object) -> bool:
        a, b = self._cmp_key(other)
        return bool(a > b)

    def __ge__(self, other: object) -> bool:
        a, b = self._cmp_key(other)
        return bool(a >= b)

    def __str__(self) -> str:
        return self.text


def _fail(cimtype: CIMType, value: object, where: str) -> TypeMismatchError:
    return TypeMismatchError(
        f"{where}: {value!r} ({type(value).__name__}) is not a valid {cimtype.value}"
    )


def _coerce_scalar(cimtype: CIMType, value: Any, where: str) -> Any:
    if value is None:
        return None
    rng = INT_RANGES.get(cimtype)
    if rng is not None:
        if type(value) is not int:
            if isinstance(value, int) and not isinstance(value, bool):
                value = int(value)  # IntEnum and friends
            else:
                raise _fail(cimtype, value, where)
        if not rng[0] <= value <= rng[1]:
            raise TypeMismatchError(
                f"{where}: {value} is out of range for {cimtype.value} "
                f"({rng[0]}..{rng[1]})"
            )
        return value
    if cimtype is CIMType.STRING:
        if isinstance(value, str):
            return value
        raise _fail(cimtype, value, where)
    if cimtype is CIMType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise _fail(cimtype, value, where)
    if cimtype in (CIMType.REAL32, CIMType.REAL64):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _fail(cimtype, value, where)
    if cimtype is CIMType.CHAR16:
        if isinstance(value, str) and len(value) == 1 and ord(value) <= 0xFFFF:
            return value
        raise _fail(cimtype, value, where)
    if cimtype is CIMType.DATETIME:
        if isinstance(value, CIMDateTime):
            return value
        if isinstance(value, _dt.datetime):
            return CIMDateTime.from_datetime(value)
        if isinstance(value, _dt.timedelta):
            return CIMDateTime.from_timedelta(value)
        if isinstance(value, str):
            try:
                return CIMDateTime.parse(value)
            except TypeMismatchError as exc:
                raise TypeMismatchError(f"{where}: {exc.message}") from None
        raise _fail(cimtype, value, where)
    # REFERENCE / OBJECT / INSTANCE are checked by the layer that knows paths and
    # instances (``_instances.coerce_property``); here they pass through.
    return value


def coerce_value(cimtype: CIMType, value: Any, *, is_array: bool, where: str) -> Any:
    """Check ``value`` against ``cimtype`` and return its normalised form.

    Args:
        cimtype: the declared type.
        value: the Python value (None is NULL).
        is_array: whether the property/parameter is an array.
        where: names the property for the error message (``"Cls.Prop"``).

    Raises:
        TypeMismatchError: the value does not fit the type or its range.
    """
    if value is None:
        return None
    if is_array:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeMismatchError(
                f"{where}: expected an array of {cimtype.value}, got "
                f"{type(value).__name__}"
            )
        return [
            _coerce_scalar(cimtype, v, f"{where}[{i}]") for i, v in enumerate(value)
        ]
    if isinstance(value, (list, tuple)):
        raise TypeMismatchError(
            f"{where}: expected a single {cimtype.value}, got an array"
        )
    return _coerce_scalar(cimtype, value, where)


def type_of_value(value: Any) -> CIMType:
    """A reasonable CIM type for an untyped Python value (used for loose instances)."""
    if isinstance(value, (list, tuple)):
        for v in value:
            if v is not None:
                return type_of_value(v)
        return CIMType.STRING
    if isinstance(value, bool):
        return CIMType.BOOLEAN
    if isinstance(value, int):
        return CIMType.SINT64 if value < 0 else CIMType.UINT64
    if isinstance(value, float):
        return CIMType.REAL64
    if isinstance(value, (CIMDateTime, _dt.datetime, _dt.timedelta)):
        return CIMType.DATETIME
    return CIMType.STRING
