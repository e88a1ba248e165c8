"""Evaluation tests: predicates, NULL semantics, projection, prototype, schema.

Spec sections: §7.1 (case-insensitive strings, NULL, booleans, either operand
order, dot notation), §7.2 (__CLASS exact class, ISA, schema queries), §7.3
(LIKE), §7.5 (datetimes), §7.6 (system properties), §4.3 (prototype), §6.5
(event objects with TargetInstance).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import pytest

from openwmi.model import CIMClass, CIMInstance
from openwmi.query import (
    OBJECT_FLAG_KEY_DROPPED,
    OBJECT_FLAG_PROPERTY_LIST,
    SchemaQuery,
    compile_schema_where,
    make_projector,
    parse_event_query,
    parse_wql,
    prepare_query,
    prototype,
    validate_query,
)

EXPLORER, PCI, PYTHON, IDLE = "explorer.exe", "PCI\\VEN_8086", "python3", "idle"
ALL = {EXPLORER, PCI, PYTHON, IDLE}

CASES = [
    # (WHERE text, names that match, id)
    ("Name = 'EXPLORER.EXE'", {EXPLORER}, "string-eq-case-insensitive"),
    ("Name <> 'idle'", {EXPLORER, PCI, PYTHON}, "string-ne"),
    ("Name < 'j'", {EXPLORER, IDLE}, "string-order-casefolded"),
    ("Caption = 'explorer.exe'", {EXPLORER}, "caption-case"),
    ("Name LIKE 'EXPL%'", {EXPLORER}, "like-prefix"),
    ("Name LIKE 'pci\\\\\\\\%'", {PCI}, "like-literal-backslash"),
    ("Name LIKE '%[_]%'", {PCI}, "like-bracketed-underscore"),
    ("Name LIKE '_dle'", {IDLE}, "like-underscore"),
    ("ProcessId > 50", {EXPLORER, PYTHON}, "number-gt"),
    ("ProcessId > '50'", {EXPLORER, PYTHON}, "number-from-string"),
    ("50 < ProcessId", {EXPLORER, PYTHON}, "constant-first"),
    ("ProcessId >= 100.0", {EXPLORER, PYTHON}, "number-real-constant"),
    ("ProcessId <> 4", {EXPLORER, PYTHON}, "ne-excludes-null"),
    ("NOT ProcessId = 4", {EXPLORER, PYTHON, IDLE}, "not-includes-null"),
    ("ProcessId LIKE '4'", {PCI}, "like-on-number-is-eq"),
    ("Ratio >= 1", {PCI}, "real"),
    ("Caption IS NULL", {PCI, PYTHON, IDLE}, "is-null"),
    ("Caption IS NOT NULL", {EXPLORER}, "is-not-null"),
    ("Caption <> NULL", {EXPLORER}, "obs-ne-null-is-not-null"),
    ("NULL = Caption", {PCI, PYTHON, IDLE}, "obs-null-eq-is-null"),
    ("Caption = 'x' OR Caption <> 'x'", {EXPLORER}, "null-fails-both"),
    ("Enabled = TRUE", {EXPLORER}, "bool-true"),
    ("Enabled = 0", {PCI}, "bool-zero"),
    ("Enabled <> TRUE", {PCI}, "bool-ne"),
    ("Enabled != 'TRUE'", {PCI}, "bool-string"),
    ("Started > '20231231000000.000000+000'", {EXPLORER}, "datetime-gt"),
    ("Started = '20240101130000.000000+060'", {EXPLORER}, "datetime-same-instant"),
    ("Started < '20240101000000.000000+000'", {PCI}, "datetime-lt"),
    ("__CLASS = 'Proc'", {EXPLORER, PCI, IDLE}, "class-exact-excludes-subclass"),
    ("__CLASS = subproc", {PYTHON}, "class-bare-name"),
    ("__CLASS LIKE '%Proc'", ALL, "class-like"),
    ("__SUPERCLASS = 'Base'", {EXPLORER, PCI, IDLE}, "superclass"),
    ("__DYNASTY = 'base'", ALL, "dynasty"),
    ("__GENUS = 2", ALL, "genus"),
    ("__DERIVATION IS NOT NULL", ALL, "derivation-not-null"),
    ("__RELPATH = 'Proc.Name=\"idle\"'", {IDLE}, "relpath"),
    ("Inner.Size > 100", {PCI}, "dot-typed-embedded-instance"),
    ("Inner.Size > '100'", {PCI}, "dot-typed-coerced"),
    ("Inner.Label = 'SMALL'", {EXPLORER}, "dot-string"),
    ("Inner.Nope = 1", set(), "dot-undeclared-matches-nothing"),
    ("Blob ISA 'Pair'", {EXPLORER}, "isa-embedded"),
    ("Blob ISA 'Inner'", {PCI}, "isa-other"),
    ("Blob.Size = 1", {PCI}, "dot-untyped-number"),
    ("Blob.A = 'X'", {EXPLORER}, "dot-untyped-string"),
    ("Blob.A LIKE 'x%'", {EXPLORER}, "dot-untyped-like"),
    ("Blob ISA 'Pair' AND Blob.B = 1", {EXPLORER}, "isa-narrows-dot"),
    ("Owner = 'Base.Name=\"ROOT\"'", {EXPLORER}, "reference-eq"),
    ("Tags IS NOT NULL", {EXPLORER}, "array-is-not-null"),
    (
        "Priority = 8 AND (ProcessId < 10 OR Name LIKE 'py%')",
        {PYTHON},
        "and-or-parens",
    ),
    (
        "Priority = 8 OR ProcessId = 4 AND Enabled = FALSE",
        {EXPLORER, PYTHON, PCI},
        "and-binds-tighter",
    ),
    ("NOT (Priority = 8 OR Name = 'idle')", {PCI}, "not-or"),
    ("Name = 'a' OR Name = 'b' OR Name = 'idle'", {IDLE}, "or-chain"),
    (
        "Priority = 8 AND ProcessId > 1 AND Name LIKE '%e%'",
        {EXPLORER},
        "and-chain",
    ),
]


@pytest.mark.parametrize(
    ("where", "expected"), [c[:2] for c in CASES], ids=[c[2] for c in CASES]
)
def test_where_semantics(where: str, expected: set[str], world: Any) -> None:
    """spec §7.1-§7.6: typed comparisons, NULL rules, LIKE, ISA, __CLASS."""
    prepared = prepare_query(f"SELECT * FROM Proc WHERE {where}", world.resolver)
    got = {i["Name"] for i in world.instances() if prepared.matches(i)}
    assert got == expected


def test_no_where_matches_everything(world: Any) -> None:
    """spec §7.2: SELECT without WHERE returns every instance."""
    prepared = prepare_query("SELECT * FROM Base", world.resolver)
    assert all(prepared.matches(i) for i in world.instances())


EVENT_CASES = [
    ("TargetInstance ISA 'Proc'", True, "isa-class"),
    ("TargetInstance ISA 'Base'", True, "isa-ancestor"),
    ("TargetInstance ISA 'SubProc'", False, "isa-descendant"),
    ("TargetInstance ISA 'Proc' AND TargetInstance.ProcessId > '50'", True, "typed"),
    ("TargetInstance ISA 'Proc' AND TargetInstance.ProcessId < 50", False, "typed-no"),
    ("TargetInstance.Name LIKE 'explorer%'", True, "untyped-like"),
    ("TargetInstance.Inner.Size = 10", True, "two-dots"),
    ("TargetInstance IS NOT NULL AND TIME_CREATED IS NULL", True, "null-tests"),
]


@pytest.mark.parametrize(
    ("where", "expected"), [c[:2] for c in EVENT_CASES], ids=[c[2] for c in EVENT_CASES]
)
def test_event_filter_semantics(where: str, expected: bool, world: Any) -> None:
    """spec §6.5/§7.4: filters see TargetInstance; ISA follows derivation."""
    query = parse_event_query(
        f"SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE {where}"
    )
    prepared = prepare_query(query, world.resolver)
    event = CIMInstance(
        world.cls("__InstanceCreationEvent"), {"TargetInstance": world.instances()[0]}
    )
    assert prepared.matches(event) is expected


def test_event_on_extrinsic_class(world: Any) -> None:
    """spec §7.4: extrinsic events need no WITHIN; properties compare typed."""
    prepared = prepare_query(
        parse_event_query("SELECT * FROM MyEvent WHERE Hive = 'hklm'"), world.resolver
    )
    assert prepared.matches(CIMInstance(world.cls("MyEvent"), {"Hive": "HKLM"}))
    assert not prepared.matches(CIMInstance(world.cls("MyEvent"), {}))


def test_having_on_aggregate_event(world: Any) -> None:
    """spec §7.4: HAVING operates on NumberOfEvents of the aggregate event."""
    query = parse_wql(
        "SELECT * FROM MyEvent GROUP WITHIN 60 BY Hive HAVING NumberOfEvents > 2"
    )
    bound = validate_query(query, world.resolver)  # type: ignore[arg-type]
    from openwmi.query import compile_where

    having = compile_where(bound.having)
    agg = world.cls("__AggregateEvent")
    assert having(CIMInstance(agg, {"NumberOfEvents": 3}))
    assert not having(CIMInstance(agg, {"NumberOfEvents": 2}))


# --- projection ------------------------------------------------------------------


def test_projection_keeps_selected_and_system_properties(world: Any) -> None:
    """spec §7.1: "The result set includes all system properties and the
    specified nonsystem properties"."""
    prepared = prepare_query("SELECT Caption, ProcessId FROM Proc", world.resolver)
    source = world.instances()[0]
    out = prepared.project(source)
    assert out.property_names() == ["ProcessId", "Caption"]
    assert out["Caption"] == "Explorer.EXE"
    assert out["__CLASS"] == "Proc"
    assert out["__PROPERTY_COUNT"] == 2
    assert out["__RELPATH"] == source["__RELPATH"]  # key not selected, path kept
    with pytest.raises(KeyError):
        out["Priority"]


def test_projection_of_subclass_instance_and_dotted_item(world: Any) -> None:
    """spec §7.1/§7.4: a dotted item returns its whole embedded object; a
    subclass instance keeps its own class."""
    prepared = prepare_query("SELECT Inner.Size, __PATH FROM Proc", world.resolver)
    sub = world.instances()[2]
    out = prepared.project(sub)
    assert out["__CLASS"] == "SubProc"
    assert out.property_names() == ["Inner"]
    first = prepared.project(world.instances()[0])
    assert first["Inner"]["Label"] == "small"


def test_star_projection_is_identity(world: Any) -> None:
    """spec §7.2: SELECT * returns the objects unchanged."""
    bound = validate_query(parse_wql("SELECT * FROM Proc"), world.resolver)  # type: ignore[arg-type]
    inst = world.instances()[0]
    assert make_projector(bound)(inst) is inst


# --- prototype (§4.3) ------------------------------------------------------------


def test_prototype_orders_and_flags(world: Any) -> None:
    """spec §4.3: select prop1,prop2,prop1 gives prop1 → {0,2}, prop2 → {1};
    ObjectFlags 0x10 with a property list."""
    bound = validate_query(
        parse_wql("SELECT Name, ProcessId, name FROM Proc"),  # type: ignore[arg-type]
        world.resolver,
    )
    proto = prototype(bound)
    assert dict(proto.orders) == {"Name": (0, 2), "ProcessId": (1,)}
    assert proto.object_flags == OBJECT_FLAG_PROPERTY_LIST
    assert list(proto.cimclass.properties) == ["Name", "ProcessId"]
    assert proto.cimclass.properties["Name"].qualifiers["Order"].value == [0, 2]
    assert proto.cimclass.properties["Name"].is_key


def test_prototype_key_dropped_flag(world: Any) -> None:
    """spec §4.3: ObjectFlags 0x40 when a key property was dropped."""
    bound = validate_query(
        parse_wql("SELECT ProcessId, __CLASS FROM Proc"),  # type: ignore[arg-type]
        world.resolver,
    )
    proto = prototype(bound)
    assert proto.object_flags == OBJECT_FLAG_PROPERTY_LIST | OBJECT_FLAG_KEY_DROPPED
    assert dict(proto.orders) == {"ProcessId": (0,)}


def test_prototype_star(world: Any) -> None:
    """spec §4.3: without a property list the prototype is the whole class."""
    bound = validate_query(parse_wql("SELECT * FROM Proc"), world.resolver)  # type: ignore[arg-type]
    proto = prototype(bound)
    assert proto.object_flags == 0
    assert proto.cimclass is world.cls("Proc")


# --- schema queries ----------------------------------------------------------------

SCHEMA_CASES = [
    ("__this ISA 'Proc'", {"Proc", "SubProc"}, "this-isa"),
    ("__CLASS = 'proc'", {"Proc"}, "class-eq"),
    ("__SUPERCLASS = 'Base'", {"Proc"}, "immediate-children"),
    (
        "__SUPERCLASS IS NULL",
        {"Base", "Inner", "Pair", "__IndicationRelated"},
        "top-level",
    ),
    (
        "__DYNASTY = '__IndicationRelated' AND NOT __this ISA '__Event'",
        {"__IndicationRelated", "__AggregateEvent"},
        "dynasty-and-not",
    ),
    (
        "__CLASS LIKE '__Instance%Event'",
        {
            "__InstanceOperationEvent",
            "__InstanceCreationEvent",
            "__InstanceModificationEvent",
        },
        "class-like",
    ),
]


@pytest.mark.parametrize(
    ("where", "expected"),
    [c[:2] for c in SCHEMA_CASES],
    ids=[c[2] for c in SCHEMA_CASES],
)
def test_schema_where(where: str, expected: set[str], world: Any) -> None:
    """spec §7.2 schema queries: __this ISA = the class and its subclasses,
    __SUPERCLASS = immediate children, IS NULL = top-level classes."""
    query = parse_wql(f"SELECT * FROM meta_class WHERE {where}")
    assert isinstance(query, SchemaQuery)
    test: Callable[[CIMClass], bool] = compile_schema_where(query.where)
    assert {c.name for c in world.schema.values() if test(c)} == expected


def test_schema_without_where_is_all_classes(world: Any) -> None:
    """spec §7.2: SELECT * FROM meta_class returns every class."""
    query = parse_wql("SELECT * FROM meta_class")
    assert isinstance(query, SchemaQuery)
    assert all(map(compile_schema_where(query.where), world.schema.values()))


def test_predicates_are_closures_not_tree_walks(world: Any) -> None:
    """issue 3 (evaluation): the compiled predicate is a plain callable reused
    for every row."""
    prepared = prepare_query("SELECT * FROM Proc WHERE ProcessId > 1", world.resolver)
    assert callable(prepared.matches)
    rows = world.instances()
    assert list(map(prepared.matches, rows)) == list(
        map(operator.truth, [True, True, True, False])
    )
