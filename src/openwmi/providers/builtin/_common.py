"""Shared helpers of the built-in Linux providers: host names, time, key access.

Owns the small facts every built-in class repeats (the computer name used in
``CSName``/``SystemName``, DMTF datetimes from epoch seconds, reading one key
from an ``ObjectPath``, reading small /proc and /sys files) and
``BuiltinProvider``, the base that serves ``get_instance`` by filtering its
own enumeration for classes whose enumeration is small. Imports model and
errors only (never socket: host names come from ``os.uname``).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterator
from typing import Any

from ...errors import InvalidObjectPathError, NotFoundError, WbemError
from ...model import CIMDateTime, ObjectPath

__all__ = [
    "BuiltinProvider",
    "computer_name",
    "dmtf_from_epoch",
    "key_of",
    "read_text",
]


def computer_name() -> str:
    """The host name as WMI shows ``CSName`` (upper case NetBIOS-style on
    Windows; openwmi keeps the Linux spelling, short form)."""
    return os.uname().nodename.split(".", 1)[0]


def dmtf_from_epoch(seconds: float | None) -> CIMDateTime | None:
    """A local-time DMTF datetime (with the UTC offset) for epoch ``seconds``."""
    if seconds is None:
        return None
    return CIMDateTime.from_datetime(
        _dt.datetime.fromtimestamp(seconds, _dt.UTC).astimezone()
    )


def utc_offset_minutes() -> int:
    """The local UTC offset in minutes (WMI ``CurrentTimeZone``)."""
    offset = _dt.datetime.now().astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def read_text(path: str, default: str | None = None) -> str | None:
    """The stripped content of a small text file, or ``default`` if unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return default


def key_of(path: ObjectPath, name: str) -> Any:
    """The value of key ``name`` in ``path`` (an unnamed single key counts).

    Raises:
        InvalidObjectPathError: the path does not give that key.
    """
    for k, v in path.keybindings:
        if k.lower() == name.lower() or (k == "" and len(path.keybindings) == 1):
            return v
    raise InvalidObjectPathError(f"{path.relpath}: key {name} is missing")


class BuiltinProvider:
    """Base for small classes: ``get_instance`` filters the enumeration.

    Subclasses set ``classname`` and ``keys`` and implement ``instances()``.
    """

    classname: str = ""
    keys: tuple[str, ...] = ()

    def instances(self) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        return self.instances()

    def get_instance(self, ctx: Any, path: ObjectPath) -> dict[str, Any]:
        if path.singleton:
            for inst in self.instances():
                return inst
            raise NotFoundError(f"{path.relpath} not found")
        wanted = {k: key_of(path, k) for k in self.keys}
        for inst in self.instances():
            if all(_same(inst.get(k), wanted[k]) for k in self.keys):
                return inst
        raise NotFoundError(f"{path.relpath} not found on this machine")


def _same(have: Any, want: Any) -> bool:
    """Key equality: strings case-insensitively, references by identity."""
    if isinstance(have, ObjectPath):
        if isinstance(want, str):
            try:
                want = ObjectPath.parse(want)
            except WbemError:
                return False
        return isinstance(want, ObjectPath) and have.identity() == want.identity()
    if isinstance(have, str) and isinstance(want, str):
        return have.lower() == want.lower()
    if isinstance(have, int) and isinstance(want, str):
        return want.strip().lstrip("-").isdigit() and have == int(want)
    return bool(have == want)
