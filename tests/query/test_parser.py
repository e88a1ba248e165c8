"""Parser tests: accepted forms, canonical trees, and every syntax error path.

Spec sections: §7.1 (general rules), §7.2 (data/schema/association ABNF and
the observed corrections), §7.4 (event queries), §6.4 (event error codes),
§12 items 9 and 11, §13 item 15.
"""

from __future__ import annotations

from typing import Any

import pytest

from openwmi.constants import WBEM_MAX_QUERY
from openwmi.errors import (
    HResult,
    InvalidParameterError,
    InvalidQueryError,
    QuotaViolationError,
    UnparsableQueryError,
    WbemError,
)
from openwmi.query import (
    MAX_NESTING,
    MAX_PREDICATES,
    And,
    AssociatorsQuery,
    Comparison,
    EventQuery,
    Expr,
    IsA,
    IsNull,
    Not,
    Or,
    PropertyRef,
    ReferencesQuery,
    SchemaQuery,
    SelectQuery,
    format_wql,
    parse_event_query,
    parse_wql,
)


def P(*path: str) -> PropertyRef:
    return PropertyRef(path)


def where(text: str) -> Expr | None:
    q = parse_wql(f"SELECT * FROM C WHERE {text}")
    assert isinstance(q, SelectQuery)
    return q.where


# --- accepted data queries ---------------------------------------------------------

SELECTS = [
    ("SELECT * FROM Win32_Process", SelectQuery(None, "Win32_Process"), "star"),
    (
        "select Name, ProcessId from Win32_Process",
        SelectQuery((P("Name"), P("ProcessId")), "Win32_Process"),
        "lower-case-keywords",
    ),
    (
        "SELECT\na\rFROM\tb",
        SelectQuery((P("a"),), "b"),
        "cr-lf-tab-whitespace",
    ),
    (
        "SELECT \u00c6 FROM \u00c6",
        SelectQuery((P("\u00c6"),), "\u00c6"),
        "unicode-latin",
    ),
    ("SELECT \u200c FROM \u200c", SelectQuery((P("\u200c"),), "\u200c"), "zwnj"),
    ("SELECT \uff21 FROM \ufffd", SelectQuery((P("\uff21"),), "\ufffd"), "fullwidth"),
    (
        "SELECT a, a, b FROM C",
        SelectQuery((P("a"), P("a"), P("b")), "C"),
        "repeated-property-kept",
    ),
    (
        "SELECT Group, Within, Like FROM Order",
        SelectQuery((P("Group"), P("Within"), P("Like")), "Order"),
        "keywords-as-names-where-unambiguous",
    ),
    (
        "SELECT __CLASS, __PATH FROM C",
        SelectQuery((P("__CLASS"), P("__PATH")), "C"),
        "system-properties",
    ),
    (
        "SELECT Obj.Prop FROM C",
        SelectQuery((P("Obj", "Prop"),), "C"),
        "dotted-select",
    ),
]


@pytest.mark.parametrize(
    ("text", "tree"), [s[:2] for s in SELECTS], ids=[s[2] for s in SELECTS]
)
def test_select_forms(text: str, tree: Any) -> None:
    """spec §7.1, §7.2 OBS: case-insensitive keywords, Unicode names, any blanks."""
    assert parse_wql(text) == tree


WHERES = [
    ("a = 1", Comparison(P("a"), "=", 1), "int"),
    ("a = -5", Comparison(P("a"), "=", -5), "negative-int"),
    ("a = +5", Comparison(P("a"), "=", 5), "plus-int"),
    ("a = 1.5", Comparison(P("a"), "=", 1.5), "real"),
    ("a = .5", Comparison(P("a"), "=", 0.5), "real-leading-dot"),
    ("a = 2e3", Comparison(P("a"), "=", 2000.0), "real-exponent"),
    ("a = TRUE", Comparison(P("a"), "=", True), "true"),
    ("a = false", Comparison(P("a"), "=", False), "false-lower"),
    ("a = 'x'", Comparison(P("a"), "=", "x"), "single-quoted"),
    ('a = "x"', Comparison(P("a"), "=", "x"), "double-quoted"),
    ("a = 'it\\'s'", Comparison(P("a"), "=", "it's"), "escaped-single-quote"),
    ('a = "say \\"hi\\""', Comparison(P("a"), "=", 'say "hi"'), "escaped-double"),
    ("a = 'C:\\\\Windows'", Comparison(P("a"), "=", "C:\\Windows"), "backslash"),
    ("a != 1", Comparison(P("a"), "<>", 1), "bang-equals-normalised"),
    ("a <> 1", Comparison(P("a"), "<>", 1), "angle-not-equal"),
    ("a <= 1", Comparison(P("a"), "<=", 1), "le"),
    ("a >= 1", Comparison(P("a"), ">=", 1), "ge"),
    ("a<1", Comparison(P("a"), "<", 1), "lt-no-spaces"),
    ("a>1", Comparison(P("a"), ">", 1), "gt-no-spaces"),
    ("a LIKE 'x%'", Comparison(P("a"), "LIKE", "x%"), "like"),
    ('"NTFS" = FileSystem', Comparison(P("FileSystem"), "=", "NTFS"), "const-first"),
    ("5 < a", Comparison(P("a"), ">", 5), "const-first-mirrored"),
    ("5 >= a", Comparison(P("a"), "<=", 5), "const-first-mirrored-ge"),
    ("a IS NULL", IsNull(P("a")), "is-null"),
    ("a IS NOT NULL", IsNull(P("a"), negated=True), "is-not-null"),
    ("NAME <> NULL", IsNull(P("NAME"), negated=True), "obs-ne-null"),
    ("NULL = NAME", IsNull(P("NAME")), "obs-null-eq"),
    ("a = NULL", IsNull(P("a")), "eq-null"),
    ("__CLASS = 'Device'", Comparison(P("__CLASS"), "=", "Device"), "class-quoted"),
    ("__class = Device", Comparison(P("__class"), "=", "Device"), "class-bare-abnf"),
    ("__CLASS LIKE 'Win%'", Comparison(P("__CLASS"), "LIKE", "Win%"), "class-like"),
    ("Obj ISA 'ClassZ'", IsA(P("Obj"), "ClassZ"), "isa-string"),
    ("Obj ISA ClassZ", IsA(P("Obj"), "ClassZ"), "isa-bare"),
    ("Obj.Prop = 5", Comparison(P("Obj", "Prop"), "=", 5), "dot-notation"),
    ("a.b.c = 5", Comparison(P("a", "b", "c"), "=", 5), "deep-dot"),
    (
        "NOT PortName LIKE '%10.%'",
        Not(Comparison(P("PortName"), "LIKE", "%10.%")),
        "not-comparison",
    ),
    (
        "NOT __class = 'X'",
        Not(Comparison(P("__class"), "=", "X")),
        "not-class",
    ),
    ("NOT (a = 1)", Not(Comparison(P("a"), "=", 1)), "not-paren"),
    ("NOT NOT a = 1", Not(Not(Comparison(P("a"), "=", 1))), "double-not"),
    (
        "a = 1 OR b = 2 AND c = 3",
        Or(
            (
                Comparison(P("a"), "=", 1),
                And((Comparison(P("b"), "=", 2), Comparison(P("c"), "=", 3))),
            )
        ),
        "and-binds-tighter",
    ),
    (
        "(a = 1 OR b = 2) AND c = 3",
        And(
            (
                Or((Comparison(P("a"), "=", 1), Comparison(P("b"), "=", 2))),
                Comparison(P("c"), "=", 3),
            )
        ),
        "parens-override",
    ),
    (
        "a = 1 AND b = 2 AND c = 3",
        And(
            (
                Comparison(P("a"), "=", 1),
                Comparison(P("b"), "=", 2),
                Comparison(P("c"), "=", 3),
            )
        ),
        "chain-flattened",
    ),
    (
        "a = 1 AND (b = 2 AND c = 3)",
        And(
            (
                Comparison(P("a"), "=", 1),
                And((Comparison(P("b"), "=", 2), Comparison(P("c"), "=", 3))),
            )
        ),
        "explicit-group-kept",
    ),
    ("((a = 1))", Comparison(P("a"), "=", 1), "redundant-parens"),
    (
        "Notes = 1 AND Origin = 2",
        And((Comparison(P("Notes"), "=", 1), Comparison(P("Origin"), "=", 2))),
        "keyword-prefixed-names",
    ),
]


@pytest.mark.parametrize(
    ("text", "tree"), [w[:2] for w in WHERES], ids=[w[2] for w in WHERES]
)
def test_where_forms(text: str, tree: Any) -> None:
    """spec §7.1: operators, either operand order, NULL forms, precedence, NOT."""
    assert where(text) == tree


def test_positions_recorded() -> None:
    """spec §7.2: property positions feed validation errors (not equality)."""
    q = parse_wql("SELECT * FROM C WHERE  abc = 1")
    assert isinstance(q, SelectQuery)
    assert isinstance(q.where, Comparison)
    assert q.where.prop.pos == 23
    assert q.text == "SELECT * FROM C WHERE  abc = 1"


# --- schema queries ----------------------------------------------------------------

SCHEMAS = [
    ("SELECT * FROM meta_class", SchemaQuery(), "all-classes"),
    (
        "select * from META_CLASS where __this isa 'CIM_Device'",
        SchemaQuery(IsA(P("__this"), "CIM_Device")),
        "this-isa",
    ),
    (
        "SELECT * FROM meta_class WHERE __CLASS = 'Win32_Process'",
        SchemaQuery(Comparison(P("__CLASS"), "=", "Win32_Process")),
        "class-eq",
    ),
    (
        "SELECT * FROM meta_class WHERE __SUPERCLASS = 'CIM_Process'",
        SchemaQuery(Comparison(P("__SUPERCLASS"), "=", "CIM_Process")),
        "superclass-eq",
    ),
    (
        "SELECT * FROM meta_class WHERE __SUPERCLASS IS NULL",
        SchemaQuery(IsNull(P("__SUPERCLASS"))),
        "top-level",
    ),
    (
        "SELECT * FROM meta_class WHERE __DYNASTY = 'CIM_ManagedSystemElement'",
        SchemaQuery(Comparison(P("__DYNASTY"), "=", "CIM_ManagedSystemElement")),
        "dynasty",
    ),
]


@pytest.mark.parametrize(
    ("text", "tree"), [s[:2] for s in SCHEMAS], ids=[s[2] for s in SCHEMAS]
)
def test_schema_queries(text: str, tree: Any) -> None:
    """spec §7.2 schema queries: meta_class with __this ISA / __CLASS / … ."""
    assert parse_wql(text) == tree


# --- associators / references ------------------------------------------------------

ASSOCS = [
    (
        'ASSOCIATORS OF {Win32_LogicalDisk.DeviceID="C:"}',
        AssociatorsQuery('Win32_LogicalDisk.DeviceID="C:"'),
        "plain",
    ),
    (
        'ASSOCIATORS OF{Win32_LogicalDisk.DeviceID="C:"}',
        AssociatorsQuery('Win32_LogicalDisk.DeviceID="C:"'),
        "no-space-after-of",
    ),
    (
        "ASSOCIATORS OF {Win32_LogicalDisk.DeviceID} WHERE ClassDefsOnly "
        "AssocClass = Win32_LogicalDiskToPartition",
        AssociatorsQuery(
            "Win32_LogicalDisk.DeviceID",
            assoc_class="Win32_LogicalDiskToPartition",
            class_defs_only=True,
        ),
        "any-order-spaces-round-equals",
    ),
    (
        "associators of {A.k='}{'} where assocclass=X resultclass=Y role=R "
        "resultrole=RR requiredqualifier=Q requiredassocqualifier=AQ keysonly "
        "schemaonly",
        AssociatorsQuery(
            "A.k='}{'",
            assoc_class="X",
            result_class="Y",
            role="R",
            result_role="RR",
            required_qualifier="Q",
            required_assoc_qualifier="AQ",
            keys_only=True,
            schema_only=True,
        ),
        "all-clauses-braces-in-key",
    ),
    ("ASSOCIATORS OF {myClass} WHERE SchemaOnly", None, "schema-only-doc-example"),
    (
        "REFERENCES OF {Win32_Process.Handle='4'} WHERE ResultClass = X Role=Y "
        "RequiredQualifier = Q KeysOnly",
        ReferencesQuery(
            "Win32_Process.Handle='4'",
            result_class="X",
            role="Y",
            required_qualifier="Q",
            keys_only=True,
        ),
        "references",
    ),
    (
        "REFERENCES OF {C=@} WHERE ClassDefsOnly",
        ReferencesQuery("C=@", class_defs_only=True),
        "references-classdefsonly",
    ),
]


@pytest.mark.parametrize(
    ("text", "tree"), [a[:2] for a in ASSOCS], ids=[a[2] for a in ASSOCS]
)
def test_association_queries(text: str, tree: Any) -> None:
    """spec §7.2 OBS: no space after OF, spaces round '=', any clause order."""
    q = parse_wql(text)
    if tree is None:
        assert isinstance(q, AssociatorsQuery)
        assert q.schema_only
    else:
        assert q == tree


# --- event queries -----------------------------------------------------------------

EVENTS = [
    (
        "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA "
        "'Win32_Process'",
        EventQuery(
            None,
            "__InstanceCreationEvent",
            within=1.0,
            where=IsA(P("TargetInstance"), "Win32_Process"),
        ),
        "doc-example",
    ),
    (
        "SELECT * FROM __InstanceModificationEvent WITHIN 0.5 WHERE TargetInstance "
        "ISA 'X' AND TargetInstance.Size > 100",
        None,
        "dot-and-within-real",
    ),
    (
        "SELECT * FROM __TimerEvent",
        EventQuery(None, "__TimerEvent"),
        "event-class-by-name",
    ),
    (
        "SELECT * FROM MyEvent WITHIN 10",
        EventQuery(None, "MyEvent", within=10.0),
        "event-by-within",
    ),
    (
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'X' "
        "GROUP WITHIN 600 BY TargetInstance.SourceName, TargetInstance.Type "
        "HAVING NumberOfEvents > 25",
        EventQuery(
            None,
            "__InstanceCreationEvent",
            where=IsA(P("TargetInstance"), "X"),
            group_within=600.0,
            group_by=(P("TargetInstance", "SourceName"), P("TargetInstance", "Type")),
            having=Comparison(P("NumberOfEvents"), ">", 25),
        ),
        "group-by-having",
    ),
    (
        "SELECT * FROM EmailEvent GROUP WITHIN 600",
        EventQuery(None, "EmailEvent", group_within=600.0),
        "group-alone",
    ),
]


@pytest.mark.parametrize(
    ("text", "tree"), [e[:2] for e in EVENTS], ids=[e[2] for e in EVENTS]
)
def test_event_queries(text: str, tree: Any) -> None:
    """spec §7.4: clause order SELECT FROM [WITHIN] [WHERE] [GROUP WITHIN [BY]
    [HAVING]]; WITHIN is a real number of seconds."""
    q = parse_wql(text)
    assert isinstance(q, EventQuery)
    if tree is not None:
        assert q == tree


def test_parse_event_query_forces_event_kind() -> None:
    """spec §7.4: an extrinsic event class needs no WITHIN; parse_event_query
    treats every SELECT as an event query."""
    q = parse_event_query("SELECT * FROM RegistryKeyChangeEvent WHERE Hive = 'X'")
    assert q == EventQuery(
        None, "RegistryKeyChangeEvent", where=Comparison(P("Hive"), "=", "X")
    )
    assert isinstance(
        parse_wql("SELECT * FROM RegistryKeyChangeEvent WHERE Hive = 'X'"),
        SelectQuery,
    )


# --- errors ------------------------------------------------------------------------

ERRORS = [
    # (text, error class, hresult, line, column, id)
    ("SELECT * FORM x", InvalidQueryError, "INVALID_QUERY", 1, 10, "misspelt-from"),
    ("SELECT * FROM", InvalidQueryError, "INVALID_QUERY", 1, 14, "missing-class"),
    ("SELECT FROM x", InvalidQueryError, "INVALID_QUERY", 1, 13, "missing-list"),
    ("SELECT * FROM x WHERE", InvalidQueryError, "INVALID_QUERY", 1, 22, "empty-where"),
    ("SELECT * FROM a, b", InvalidQueryError, "INVALID_QUERY", 1, 16, "two-classes"),
    ("SELECT *, a FROM x", InvalidQueryError, "INVALID_QUERY", 1, 9, "star-and-list"),
    (
        "SELECT * FROM x WHERE DriveType IS 5",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        36,
        "is-with-constant",
    ),
    (
        'SELECT * FROM x WHERE FileSystem IS NOT "NTFS"',
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        41,
        "is-not-with-constant",
    ),
    (
        "SELECT * FROM x WHERE a = b",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        27,
        "property-both-sides",
    ),
    (
        "SELECT * FROM x WHERE 1 = 1",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        27,
        "no-prop",
    ),
    (
        "SELECT * FROM x WHERE a + 1 = 2",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        25,
        "arithmetic",
    ),
    (
        "SELECT * FROM x WHERE a < NULL",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        27,
        "lt-null",
    ),
    (
        "SELECT * FROM x WHERE a LIKE NULL",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        30,
        "like-null",
    ),
    (
        "SELECT * FROM x WHERE a = 'C:\\Windows'",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        30,
        "unknown-escape",
    ),
    (
        "SELECT * FROM x WHERE a = 'open",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        27,
        "unterminated-string",
    ),
    (
        "SELECT * FROM x WHERE (a = 1",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        29,
        "unbalanced-paren",
    ),
    (
        "SELECT * FROM x WHERE TRUE = a",
        None,
        None,
        0,
        0,
        "reserved-word-true-is-constant",
    ),
    (
        "SELECT * FROM x\nWHERE a = 1\n  AND b ? 3",
        InvalidQueryError,
        "INVALID_QUERY",
        3,
        9,
        "multi-line-position",
    ),
    (
        "SELECT * FROM x ORDER BY a",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        17,
        "no-order-by",
    ),
    (
        "SELECT Name FROM meta_class",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        8,
        "schema-only-star",
    ),
    (
        "SELECT * FROM meta_class WHERE Name = 'x'",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        32,
        "schema-where-restricted",
    ),
    (
        "ASSOCIATORS OF {A.k=1} WHERE Role = X Role = Y",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        39,
        "assoc-clause-twice",
    ),
    (
        "ASSOCIATORS OF {A.k=1} WHERE ClassDefsOnly ResultClass = X",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        44,
        "classdefsonly-resultclass",
    ),
    (
        "ASSOCIATORS OF {A.k=1} WHERE AssocClass = X AND Role = Y",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        45,
        "assoc-no-and",
    ),
    (
        "REFERENCES OF {A.k=1} WHERE ResultRole = X",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        29,
        "references-no-resultrole",
    ),
    (
        "ASSOCIATORS OF A.k=1",
        InvalidQueryError,
        "INVALID_QUERY",
        1,
        16,
        "assoc-needs-braces",
    ),
    # event queries: syntax errors are WBEM_E_UNPARSABLE_QUERY (spec §12 item 9)
    (
        "SELECT * FROM __InstanceCreationEvent WHERE (",
        UnparsableQueryError,
        "UNPARSABLE_QUERY",
        1,
        46,
        "event-class-syntax",
    ),
    (
        "SELECT * FROM MyEvent WITHIN WHERE a = 1",
        UnparsableQueryError,
        "UNPARSABLE_QUERY",
        1,
        30,
        "within-without-interval",
    ),
    (
        "SELECT * FROM MyEvent WITHIN -5",
        UnparsableQueryError,
        "UNPARSABLE_QUERY",
        1,
        30,
        "negative-within",
    ),
    (
        "SELECT * FROM MyEvent WHERE a = 1 WITHIN 5",
        UnparsableQueryError,
        "UNPARSABLE_QUERY",
        1,
        35,
        "within-after-where",
    ),
    (
        "SELECT * FROM MyEvent HAVING NumberOfEvents > 5",
        UnparsableQueryError,
        "UNPARSABLE_QUERY",
        1,
        23,
        "having-without-group",
    ),
    (
        "SELECT * FROM MyEvent WITHIN 5 GROUP BY a",
        WbemError,
        "MISSING_GROUP_WITHIN",
        1,
        32,
        "group-by-without-group-within",
    ),
]


@pytest.mark.parametrize(
    ("text", "cls", "code", "line", "column"),
    [e[:5] for e in ERRORS],
    ids=[e[5] for e in ERRORS],
)
def test_errors(
    text: str, cls: type[WbemError] | None, code: str | None, line: int, column: int
) -> None:
    """spec §7.1 (IS only with NULL, one property per comparison, no
    arithmetic), §7.2 (association clause rules), §6.4 and §12 item 9 (event
    syntax → UNPARSABLE, GROUP BY without GROUP WITHIN); each error names
    line, column and a caret snippet."""
    if cls is None:
        assert parse_wql(text) is not None
        return
    with pytest.raises(cls) as info:
        parse_wql(text)
    err = info.value
    assert err.hresult == HResult[f"WBEM_E_{code}"]
    assert err.details["line"] == line
    assert err.details["column"] == column
    caret = err.details["snippet"].splitlines()[-1]
    assert caret == " " * (column - 1) + "^"
    assert f"line {line}, column {column}" in err.message
    assert err.details["snippet"] in err.message


def test_event_entry_point_always_unparsable() -> None:
    """spec §12 item 9 (design #9): a filter query's syntax error is
    WBEM_E_UNPARSABLE_QUERY even when nothing marks it as an event query."""
    with pytest.raises(UnparsableQueryError):
        parse_event_query("SELECT * FROM MyEvent WHERE")
    with pytest.raises(UnparsableQueryError):
        parse_event_query("ASSOCIATORS OF {A.k=1}")


@pytest.mark.parametrize(
    "text", [None, "", "   ", "\n\t"], ids=["none", "empty", "blank", "whitespace"]
)
def test_empty_query_is_invalid_parameter(text: str | None) -> None:
    """spec §13 item 15: empty query → WBEM_E_INVALID_PARAMETER."""
    with pytest.raises(InvalidParameterError) as info:
        parse_wql(text)
    assert info.value.hresult == HResult.WBEM_E_INVALID_PARAMETER


def test_non_string_is_invalid_parameter() -> None:
    """spec §13 item 1: a NULL/ill-typed query → WBEM_E_INVALID_PARAMETER."""
    with pytest.raises(InvalidParameterError):
        parse_wql(b"SELECT * FROM x")  # type: ignore[arg-type]


QUOTAS = [
    ("SELECT * FROM x WHERE a = '" + "y" * WBEM_MAX_QUERY + "'", "too-long"),
    (
        "SELECT * FROM x WHERE "
        + "(a = 1 AND " * (MAX_NESTING + 1)
        + "b = 1"
        + ")" * (MAX_NESTING + 1),
        "too-deep",
    ),
    ("SELECT * FROM x WHERE " + "NOT " * (MAX_NESTING + 1) + "a = 1", "too-many-nots"),
    (
        "SELECT * FROM x WHERE a=1" + " OR a=1" * MAX_PREDICATES,
        "too-many-predicates",
    ),
]


@pytest.mark.parametrize("text", [q[0] for q in QUOTAS], ids=[q[1] for q in QUOTAS])
def test_quota_violation(text: str) -> None:
    """spec §7.1 limitations, §4.1 WBEM_MAX_QUERY: absurd queries →
    WBEM_E_QUOTA_VIOLATION, never a RecursionError."""
    with pytest.raises(QuotaViolationError) as info:
        parse_wql(text)
    assert info.value.hresult == HResult.WBEM_E_QUOTA_VIOLATION


def test_limits_are_inclusive() -> None:
    """spec §7.1: exactly MAX_NESTING levels and MAX_PREDICATES predicates parse."""
    deep = "SELECT * FROM x WHERE " + "NOT " * MAX_NESTING + "a = 1"
    assert parse_wql(deep) is not None
    many = "SELECT * FROM x WHERE a=1" + " OR a=1" * (MAX_PREDICATES - 1)
    assert parse_wql(many) is not None


def test_huge_integer_literal_is_a_query_error() -> None:
    """spec §7.5: a literal Python cannot convert is a syntax error, not ValueError."""
    with pytest.raises(InvalidQueryError):
        parse_wql("SELECT * FROM x WHERE a = " + "9" * 5000)
    with pytest.raises(InvalidQueryError):
        parse_wql("SELECT * FROM x WHERE a = " + "9" * 400 + ".0")


def test_canonical_text_examples() -> None:
    """spec §7.2: the formatter writes the canonical form the parser reads back."""
    q = parse_wql(
        'select name from win32_process where "a" = name or not (x<1 and y>=2.5)'
    )
    assert format_wql(q) == (
        "SELECT name FROM win32_process WHERE name = 'a' OR NOT (x < 1 AND y >= 2.5)"
    )
