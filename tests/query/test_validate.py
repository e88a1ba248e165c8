"""Semantic validation tests: classes, properties, operators, constants, events.

Spec sections: §7.1 (unknown property → INVALID_QUERY, booleans only with
= != <>, operator not applicable → INVALID_QUERY, arrays), §7.3 (LIKE on
non-strings), §7.5 (DMTF datetimes, no * in WHERE), §6.4 (event query codes),
§6.7 (interval limits), §12 item 10 (unknown class → INVALID_CLASS).
"""

from __future__ import annotations

from typing import Any

import pytest

from openwmi.errors import HResult, InvalidClassError, WbemError
from openwmi.model import CIMDateTime, CIMType
from openwmi.query import (
    Domain,
    EventQuery,
    Predicate,
    PropertyRef,
    SelectQuery,
    parse_event_query,
    parse_wql,
    validate_query,
)


def bind(text: str, world: Any, *, event: bool = False) -> Any:
    query = parse_event_query(text) if event else parse_wql(text)
    assert isinstance(query, (SelectQuery, EventQuery))
    return validate_query(query, world.resolver)


DATA_ERRORS = [
    # (query, HResult name, id)
    ("SELECT * FROM NoSuchClass", "INVALID_CLASS", "unknown-class"),
    ("SELECT Nope FROM Proc", "INVALID_QUERY", "unknown-select-property"),
    ("SELECT * FROM Proc WHERE Nope = 1", "INVALID_QUERY", "unknown-where-property"),
    ("SELECT * FROM Proc WHERE __NOPE = 1", "INVALID_QUERY", "unknown-system-property"),
    ("SELECT * FROM Proc WHERE __this ISA 'Proc'", "INVALID_QUERY", "this-in-data"),
    ("SELECT * FROM Proc WHERE Enabled <= TRUE", "INVALID_QUERY", "bool-le"),
    ("SELECT * FROM Proc WHERE Enabled >= 0", "INVALID_QUERY", "bool-ge"),
    ("SELECT * FROM Proc WHERE Enabled > FALSE", "INVALID_QUERY", "bool-gt"),
    ("SELECT * FROM Proc WHERE Enabled = 'maybe'", "INVALID_QUERY", "bool-bad-string"),
    ("SELECT * FROM Proc WHERE ProcessId = 'four'", "INVALID_QUERY", "number-bad"),
    ("SELECT * FROM Proc WHERE ProcessId = TRUE", "INVALID_QUERY", "number-bool"),
    ("SELECT * FROM Proc WHERE ProcessId LIKE '4%'", "INVALID_QUERY", "like-wild-num"),
    ("SELECT * FROM Proc WHERE Enabled LIKE 'T_'", "INVALID_QUERY", "like-wild-bool"),
    ("SELECT * FROM Proc WHERE Name = TRUE", "INVALID_QUERY", "string-bool"),
    ("SELECT * FROM Proc WHERE Started = 'yesterday'", "INVALID_QUERY", "datetime-bad"),
    (
        "SELECT * FROM Proc WHERE Started = '2024****120000.000000+000'",
        "INVALID_QUERY",
        "datetime-wildcard-in-where",
    ),
    ("SELECT * FROM Proc WHERE Started = 5", "INVALID_QUERY", "datetime-number"),
    ("SELECT * FROM Proc WHERE Tags = 'a'", "INVALID_QUERY", "array-compare"),
    ("SELECT * FROM Proc WHERE Blob = 'x'", "INVALID_QUERY", "object-compare"),
    ("SELECT * FROM Proc WHERE Owner < 'Base.Name=\"x\"'", "INVALID_QUERY", "ref-lt"),
    ("SELECT * FROM Proc WHERE Owner = 'not a path !'", "INVALID_QUERY", "ref-bad"),
    ("SELECT * FROM Proc WHERE Name ISA 'Proc'", "INVALID_QUERY", "isa-non-object"),
    ("SELECT * FROM Proc WHERE Blob ISA 'Nope'", "INVALID_CLASS", "isa-unknown-class"),
    (
        "SELECT * FROM Proc WHERE Name.Length = 3",
        "PROPERTY_NOT_AN_OBJECT",
        "dot-on-string",
    ),
    (
        "SELECT * FROM Proc WHERE Inner.Size.X = 3",
        "PROPERTY_NOT_AN_OBJECT",
        "dot-on-embedded-number",
    ),
    ("SELECT Name.X FROM Proc", "PROPERTY_NOT_AN_OBJECT", "dot-in-select"),
    ("SELECT * FROM Proc WHERE __PATH.X = 1", "PROPERTY_NOT_AN_OBJECT", "dot-system"),
]


@pytest.mark.parametrize(
    ("text", "code"), [e[:2] for e in DATA_ERRORS], ids=[e[2] for e in DATA_ERRORS]
)
def test_data_query_errors(text: str, code: str, world: Any) -> None:
    """spec §7.1, §7.3, §7.5, §12 item 10: each rejection and its HRESULT."""
    with pytest.raises(WbemError) as info:
        bind(text, world)
    assert info.value.hresult == HResult[f"WBEM_E_{code}"]


def test_errors_point_at_the_property(world: Any) -> None:
    """spec §7.1 / issue 3: validation errors carry line, column and a caret."""
    with pytest.raises(WbemError) as info:
        bind("SELECT * FROM Proc\nWHERE  Nope = 1", world)
    err = info.value
    assert (err.details["line"], err.details["column"]) == (2, 8)
    assert err.details["snippet"] == "WHERE  Nope = 1\n       ^"


def test_unknown_class_is_invalid_class(world: Any) -> None:
    """spec §12 item 10 (design #10): unknown class → WBEM_E_INVALID_CLASS."""
    with pytest.raises(InvalidClassError):
        bind("SELECT * FROM Nope", world)


COERCIONS = [
    # (WHERE, expected coerced constant, expected domain, id)
    ("ProcessId = '42'", 42, Domain.NUMBER, "string-to-int"),
    ("ProcessId = ' 4.5 '", 4.5, Domain.NUMBER, "string-to-real"),
    ("ProcessId = 7", 7, Domain.NUMBER, "int"),
    ("Ratio = 1", 1, Domain.NUMBER, "int-on-real"),
    ("Name = 42", "42", Domain.STRING, "number-to-string"),
    ("Enabled = 1", True, Domain.BOOLEAN, "one-is-true"),
    ("Enabled = -1", True, Domain.BOOLEAN, "variant-true"),
    ("Enabled = 'false'", False, Domain.BOOLEAN, "string-false"),
    (
        "Started > '20240101000000.000000+000'",
        CIMDateTime.parse("20240101000000.000000+000"),
        Domain.DATETIME,
        "datetime",
    ),
    ("ProcessId LIKE '42'", 42, Domain.NUMBER, "like-without-wildcards-is-eq"),
    ("Name LIKE 42", "42", Domain.STRING, "like-number-pattern"),
]


@pytest.mark.parametrize(
    ("where", "value", "domain"),
    [c[:3] for c in COERCIONS],
    ids=[c[3] for c in COERCIONS],
)
def test_constants_coerced_once(
    where: str, value: Any, domain: Domain, world: Any
) -> None:
    """spec §7.1/§7.5: literals are coerced to the property type at validation."""
    bound = bind(f"SELECT * FROM Proc WHERE {where}", world)
    pred = bound.where
    assert isinstance(pred, Predicate)
    assert pred.value == value
    assert type(pred.value) is type(value)
    assert pred.prop.domain is domain


def test_bound_property_details(world: Any) -> None:
    """spec §7.2/§7.6: properties resolve to the class spelling and type;
    keys and Indexed properties are flagged for the planner."""
    bound = bind("SELECT name, priority, __class, inner.size FROM SubProc", world)
    name, prio, klass, size = bound.select
    assert (name.path, name.is_key, name.indexed) == (("Name",), True, True)
    assert (prio.path, prio.is_key, prio.indexed) == (("Priority",), False, True)
    assert klass.is_system
    assert klass.path == ("__CLASS",)
    assert size.path == ("Inner", "Size")
    assert size.type is CIMType.UINT64
    assert size.ref == PropertyRef(("inner", "size"))


# --- event queries (spec §6.4) -------------------------------------------------------

EVENT_ERRORS = [
    ("SELECT * FROM Proc WITHIN 5", "NOT_EVENT_CLASS", "not-event-class"),
    ("SELECT * FROM __IndicationRelated WITHIN 5", "NOT_EVENT_CLASS", "indication"),
    ("SELECT * FROM __NoSuchEvent WITHIN 5", "INVALID_CLASS", "unknown-event-class"),
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance.X.Y = 1 "
        "AND TIME_CREATED.Z = 1",
        "PROPERTY_NOT_AN_OBJECT",
        "dot-on-non-object",
    ),
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TIME_CREATED ISA 'Proc'",
        "INVALID_QUERY",
        "isa-on-non-object",
    ),
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Nope'",
        "INVALID_CLASS",
        "isa-unknown-class",
    ),
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA "
        "'Proc' AND TargetInstance.ProcessId = 'x'",
        "INVALID_QUERY",
        "narrowed-type-checked",
    ),
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 GROUP WITHIN 10 "
        "BY TargetInstance",
        "AGGREGATING_BY_OBJECT",
        "group-by-object",
    ),
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 GROUP WITHIN 10 BY Nope",
        "INVALID_QUERY",
        "group-by-unknown",
    ),
    (
        "SELECT * FROM MyEvent GROUP WITHIN 10 HAVING Hive = 'x'",
        "INVALID_QUERY",
        "having-other-property",
    ),
    ("SELECT * FROM MyEvent WITHIN 0", "INVALID_QUERY", "within-zero"),
    ("SELECT * FROM MyEvent WITHIN 0.0001", "INVALID_QUERY", "within-too-small"),
    ("SELECT * FROM MyEvent WITHIN 418938", "INVALID_QUERY", "within-too-large"),
    ("SELECT * FROM MyEvent GROUP WITHIN 500000", "INVALID_QUERY", "group-too-large"),
]


@pytest.mark.parametrize(
    ("text", "code"), [e[:2] for e in EVENT_ERRORS], ids=[e[2] for e in EVENT_ERRORS]
)
def test_event_query_errors(text: str, code: str, world: Any) -> None:
    """spec §6.4 error table and §6.7 interval limits."""
    with pytest.raises(WbemError) as info:
        bind(text, world, event=True)
    assert info.value.hresult == HResult[f"WBEM_E_{code}"]


@pytest.mark.parametrize(
    ("tree", "code"),
    [
        (
            EventQuery(None, "MyEvent", group_by=(PropertyRef(("Hive",)),)),
            "MISSING_GROUP_WITHIN",
        ),
        (
            EventQuery(
                None,
                "MyEvent",
                having=parse_event_query(
                    "SELECT * FROM MyEvent GROUP WITHIN 1 HAVING NumberOfEvents > 1"
                ).having,
            ),
            "INVALID_QUERY",
        ),
    ],
    ids=["group-by-without-group-within", "having-without-group-within"],
)
def test_event_trees_built_by_hand(tree: EventQuery, code: str, world: Any) -> None:
    """spec §6.4: GROUP BY without GROUP WITHIN → WBEM_E_MISSING_GROUP_WITHIN
    also for trees that did not come from the parser."""
    with pytest.raises(WbemError) as info:
        validate_query(tree, world.resolver)
    assert info.value.hresult == HResult[f"WBEM_E_{code}"]


EVENT_OK = [
    "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Proc'",
    "SELECT * FROM __InstanceModificationEvent WITHIN 0.001 WHERE TargetInstance "
    "ISA 'Proc' AND PreviousInstance.Priority <> 3",
    "SELECT * FROM __InstanceOperationEvent WITHIN 418937 WHERE TargetInstance ISA "
    "'Base' AND TargetInstance.Name LIKE 'x%'",
    "SELECT TargetInstance.Name FROM __InstanceCreationEvent WITHIN 5 GROUP WITHIN "
    "600 BY TargetInstance.Name HAVING NumberOfEvents > 25",
    "SELECT * FROM MyEvent WHERE Payload ISA 'Pair' AND Payload.B = 3",
    "SELECT * FROM __Event",
]


@pytest.mark.parametrize(
    "text", EVENT_OK, ids=[f"ok-{i}" for i in range(len(EVENT_OK))]
)
def test_event_queries_that_validate(text: str, world: Any) -> None:
    """spec §7.4: the documented event query forms validate."""
    bound = bind(text, world, event=True)
    assert bound.is_event
