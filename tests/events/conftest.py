"""Fixtures for the event tests: a connection whose event subsystem runs on a
FakeClock (no timer thread: tests call ``tick()``), test classes, a provider
whose data the test mutates (house-style §5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import openwmi
from openwmi.manager._events import EventManager, events_of
from openwmi.model import CIMClass, CIMProperty, CIMType, NocaseDict, Qualifier
from openwmi.testing import FakeClock


def key() -> NocaseDict[Qualifier]:
    q: NocaseDict[Qualifier] = NocaseDict()
    q["Key"] = Qualifier("Key", True, CIMType.BOOLEAN)
    return q


def make_class(
    svc: openwmi.Services, name: str, superclass: str | None = None, **props: CIMType
) -> None:
    """A class with a string key ``Name`` (unless derived) and ``props``."""
    pdict: NocaseDict[CIMProperty] = NocaseDict()
    if superclass is None:
        pdict["Name"] = CIMProperty("Name", CIMType.STRING, qualifiers=key())
    for pname, ptype in props.items():
        pdict[pname] = CIMProperty(pname, ptype)
    svc.put_class(CIMClass(name, superclass, pdict))


class DictProvider:
    """An instance provider serving ``rows`` (Name → values); counts enumerations."""

    def __init__(self, rows: dict[str, dict[str, Any]] | None = None) -> None:
        self.rows: dict[str, dict[str, Any]] = dict(rows or {})
        self.enumerations = 0
        self.fail = False

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        self.enumerations += 1
        if self.fail:
            raise RuntimeError("the data source went away")
        for row in list(self.rows.values()):
            yield dict(row)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def events(svc: openwmi.Services, clock: FakeClock) -> EventManager:
    ev = events_of(svc.manager)
    ev.configure(clock=clock, autotick=False)
    return ev


@pytest.fixture
def things(svc: openwmi.Services) -> openwmi.Services:
    """``Test_Thing`` (Name key, Size uint32, Color string) and ``Test_Sub`` below it."""
    make_class(svc, "Test_Thing", Size=CIMType.UINT32, Color=CIMType.STRING)
    make_class(svc, "Test_Sub", "Test_Thing", Extra=CIMType.STRING)
    make_class(svc, "Test_Other", Size=CIMType.UINT32)
    return svc


@pytest.fixture
def proc(svc: openwmi.Services) -> DictProvider:
    """``Test_Proc`` served by a DictProvider (provider-backed: needs WITHIN)."""
    make_class(svc, "Test_Proc", Size=CIMType.UINT32)
    provider = DictProvider(
        {"a": {"Name": "a", "Size": 1}, "b": {"Name": "b", "Size": 2}}
    )
    svc.register_provider("Test_Proc", provider)
    return provider


def put(svc: openwmi.Services, cls: str, name: str, **values: Any) -> str:
    return svc.put_instance(svc.spawn_instance(cls, Name=name, **values))
