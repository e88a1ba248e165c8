"""A tiny schema and instance set for the WQL tests (built from openwmi.model).

Classes (resolved, so ``derivation`` is set)::

    Base            Name: string [key]
    └── Proc        ProcessId uint32, Priority uint32 [Indexed], Caption string,
        │           Started datetime, Enabled boolean, Ratio real64,
        │           Tags string[], Owner ref, Blob object, Inner object:Inner
        └── SubProc Extra string
    Inner           Size uint64, Label string
    Pair            A string [key], B sint32 [key]
    __IndicationRelated → __Event (TIME_CREATED uint64)
        ├── __InstanceOperationEvent (TargetInstance object)
        │   ├── __InstanceCreationEvent
        │   └── __InstanceModificationEvent (PreviousInstance object)
        └── __ExtrinsicEvent → MyEvent (Hive string, Payload object)
    __IndicationRelated → __AggregateEvent (NumberOfEvents uint32)
"""

from __future__ import annotations

import pytest

from openwmi.model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
    qualifier_dict,
    resolve_class,
)

T = CIMType


def _prop(
    name: str,
    cimtype: CIMType,
    *,
    key: bool = False,
    indexed: bool = False,
    array: bool = False,
    embedded: str | None = None,
) -> CIMProperty:
    quals = []
    if key:
        quals.append(Qualifier("Key", True, T.BOOLEAN))
    if indexed:
        quals.append(Qualifier("Indexed", True, T.BOOLEAN))
    return CIMProperty(
        name,
        cimtype,
        is_array=array,
        qualifiers=qualifier_dict(quals),
        embedded_class=embedded,
    )


def _local(name: str, superclass: str | None, *props: CIMProperty) -> CIMClass:
    return CIMClass(name, superclass, NocaseDict((p.name, p) for p in props))


LOCAL = [
    _local("Base", None, _prop("Name", T.STRING, key=True)),
    _local(
        "Proc",
        "Base",
        _prop("ProcessId", T.UINT32),
        _prop("Priority", T.UINT32, indexed=True),
        _prop("Caption", T.STRING),
        _prop("Started", T.DATETIME),
        _prop("Enabled", T.BOOLEAN),
        _prop("Ratio", T.REAL64),
        _prop("Tags", T.STRING, array=True),
        _prop("Owner", T.REFERENCE),
        _prop("Blob", T.OBJECT),
        _prop("Inner", T.OBJECT, embedded="Inner"),
    ),
    _local("SubProc", "Proc", _prop("Extra", T.STRING)),
    _local("Inner", None, _prop("Size", T.UINT64), _prop("Label", T.STRING)),
    _local(
        "Pair", None, _prop("A", T.STRING, key=True), _prop("B", T.SINT32, key=True)
    ),
    _local("__IndicationRelated", None),
    _local("__Event", "__IndicationRelated", _prop("TIME_CREATED", T.UINT64)),
    _local("__InstanceOperationEvent", "__Event", _prop("TargetInstance", T.OBJECT)),
    _local("__InstanceCreationEvent", "__InstanceOperationEvent"),
    _local(
        "__InstanceModificationEvent",
        "__InstanceOperationEvent",
        _prop("PreviousInstance", T.OBJECT),
    ),
    _local("__ExtrinsicEvent", "__Event"),
    _local(
        "MyEvent",
        "__ExtrinsicEvent",
        _prop("Hive", T.STRING),
        _prop("Payload", T.OBJECT),
    ),
    _local(
        "__AggregateEvent", "__IndicationRelated", _prop("NumberOfEvents", T.UINT32)
    ),
]


def build_schema() -> dict[str, CIMClass]:
    resolved: dict[str, CIMClass] = {}
    for local in LOCAL:
        parent = resolved[local.superclass.lower()] if local.superclass else None
        resolved[local.name.lower()] = resolve_class(local, parent)
    return resolved


SCHEMA = build_schema()


def resolver(name: str) -> CIMClass | None:
    return SCHEMA.get(name.lower())


def cls(name: str) -> CIMClass:
    return SCHEMA[name.lower()]


def build_instances() -> list[CIMInstance]:
    proc, sub, inner = cls("Proc"), cls("SubProc"), cls("Inner")
    return [
        CIMInstance(
            proc,
            {
                "Name": "explorer.exe",
                "ProcessId": 100,
                "Priority": 8,
                "Caption": "Explorer.EXE",
                "Started": CIMDateTime.parse("20240101120000.000000+000"),
                "Enabled": True,
                "Ratio": 0.5,
                "Tags": ["a", "b"],
                "Owner": ObjectPath.parse('Base.Name="root"'),
                "Inner": CIMInstance(inner, {"Size": 10, "Label": "small"}),
                "Blob": CIMInstance(cls("Pair"), {"A": "x", "B": 1}),
            },
        ),
        CIMInstance(
            proc,
            {
                "Name": "PCI\\VEN_8086",
                "ProcessId": 4,
                "Priority": 13,
                "Started": CIMDateTime.parse("20230601000000.000000+000"),
                "Enabled": False,
                "Ratio": 2.0,
                "Inner": CIMInstance(inner, {"Size": 5000, "Label": "big"}),
                "Blob": CIMInstance(inner, {"Size": 1}),
            },
        ),
        CIMInstance(
            sub,
            {"Name": "python3", "ProcessId": 2000, "Priority": 8, "Extra": "x"},
        ),
        CIMInstance(proc, {"Name": "idle"}),
    ]


class World:
    """What the tests use (conftest cannot be imported under importlib mode)."""

    schema = SCHEMA

    @staticmethod
    def resolver(name: str) -> CIMClass | None:
        return resolver(name)

    @staticmethod
    def cls(name: str) -> CIMClass:
        return cls(name)

    @staticmethod
    def instances() -> list[CIMInstance]:
        return build_instances()


@pytest.fixture
def world() -> World:
    return World()
