"""Hypothesis properties of the WQL parser and formatter (house-style §5).

* format → parse is the identity on every tree the parser can produce
  (spec §7.2, §7.4);
* every string generated from the grammar (keyword terminals padded, hypothesis
  #1804) parses;
* any text either parses or raises WbemError — never anything else (the h11
  fuzz invariant; spec §12 item 9 for the codes).
"""

from __future__ import annotations

import contextlib
import re
from importlib import resources

import lark
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from openwmi.errors import InvalidQueryError, QuotaViolationError, WbemError
from openwmi.query import (
    And,
    AssociatorsQuery,
    Comparison,
    EventQuery,
    Expr,
    IsA,
    IsNull,
    LikePatternError,
    Not,
    Or,
    PropertyRef,
    Query,
    ReferencesQuery,
    SchemaQuery,
    SelectQuery,
    compile_like,
    format_wql,
    parse_event_query,
    parse_wql,
)

SETTINGS = settings(
    deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)

KEYWORDS = {
    "select", "from", "where", "within", "group", "by", "having", "and", "or",
    "not", "is", "isa", "null", "true", "false", "like", "__class", "associators",
    "references", "of", "assocclass", "resultclass", "role", "resultrole",
    "requiredqualifier", "requiredassocqualifier", "classdefsonly", "keysonly",
    "schemaonly", "meta_class",
}  # fmt: skip
EVENTISH = re.compile(r"__\w*event", re.IGNORECASE)

names = (
    st.from_regex(
        r"[A-Za-z_\u00c0-\u00ff][A-Za-z0-9_\u00c0-\u00ff]{0,12}", fullmatch=True
    )
    .filter(lambda s: s.lower() not in KEYWORDS)
    .filter(lambda s: not EVENTISH.fullmatch(s))
)
props = st.lists(names, min_size=1, max_size=3).map(lambda p: PropertyRef(tuple(p)))
class_prop = st.sampled_from(["__CLASS", "__class"]).map(lambda n: PropertyRef((n,)))


def _valid_like(s: str) -> bool:
    try:
        compile_like(s)
    except LikePatternError:
        return False
    return True


values = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
comparisons = st.one_of(
    st.builds(
        Comparison,
        st.one_of(props, class_prop),
        st.sampled_from(["=", "<>", "<", "<=", ">", ">="]),
        values,
    ),
    st.builds(
        Comparison,
        st.one_of(props, class_prop),
        st.just("LIKE"),
        st.one_of(st.text(max_size=12).filter(_valid_like), st.integers()),
    ),
)
leaves = st.one_of(
    comparisons,
    st.builds(IsNull, st.one_of(props, class_prop), st.booleans()),
    st.builds(IsA, props, names),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    many = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(st.builds(Not, children), many.map(And), many.map(Or))


exprs: st.SearchStrategy[Expr] = st.recursive(leaves, _extend, max_leaves=12)
select_lists = st.one_of(st.none(), st.lists(props, min_size=1, max_size=4).map(tuple))
intervals = st.one_of(
    st.integers(min_value=0, max_value=418937).map(float),
    st.floats(min_value=0.001, max_value=418937),
)

schema_leaves = st.one_of(
    st.builds(IsA, st.just(PropertyRef(("__THIS",))), names),
    st.builds(
        Comparison,
        st.sampled_from(["__CLASS", "__SUPERCLASS", "__Dynasty"]).map(
            lambda n: PropertyRef((n,))
        ),
        st.sampled_from(["=", "<>"]),
        names,
    ),
    st.builds(IsNull, st.just(PropertyRef(("__SUPERCLASS",))), st.booleans()),
)
paths = st.builds(lambda c, k, v: f'{c}.{k}="{v}"', names, names, names)
opt_name = st.none() | names

queries: st.SearchStrategy[Query] = st.one_of(
    st.builds(SelectQuery, select_lists, names, st.none() | exprs),
    st.builds(
        SchemaQuery, st.none() | st.recursive(schema_leaves, _extend, max_leaves=4)
    ),
    st.builds(
        AssociatorsQuery,
        paths,
        assoc_class=opt_name,
        role=opt_name,
        result_role=opt_name,
        required_qualifier=opt_name,
        required_assoc_qualifier=opt_name,
        keys_only=st.booleans(),
        schema_only=st.booleans(),
    ),
    st.builds(
        AssociatorsQuery,
        paths,
        result_class=opt_name,
        keys_only=st.booleans(),
    ),
    st.builds(
        ReferencesQuery,
        paths,
        result_class=opt_name,
        role=opt_name,
        required_qualifier=opt_name,
        keys_only=st.booleans(),
        schema_only=st.booleans(),
    ),
    st.builds(ReferencesQuery, paths, role=opt_name, class_defs_only=st.just(True)),
    st.builds(
        EventQuery,
        select_lists,
        names,
        within=st.none() | intervals,
        where=st.none() | exprs,
    ),
    st.builds(
        EventQuery,
        select_lists,
        names,
        within=st.none() | intervals,
        where=st.none() | exprs,
        group_within=intervals,
        group_by=st.none() | st.lists(props, min_size=1, max_size=3).map(tuple),
        having=st.none() | exprs,
    ),
)


@SETTINGS
@given(queries)
def test_format_then_parse_is_identity(query: Query) -> None:
    """spec §7.2/§7.4: parse_wql(format_wql(q)) == q (parse_event_query for
    event trees, whose kind the text alone may not show)."""
    text = format_wql(query)
    parse = parse_event_query if isinstance(query, EventQuery) else parse_wql
    assert parse(text) == query
    assert format_wql(parse(text)) == text


def _grammar() -> lark.Lark:
    text = resources.files("openwmi.query").joinpath("wql.lark").read_text("utf-8")
    # IDENT and STRING get explicit strategies below; from_lark still builds a
    # regex strategy for every terminal, and the shipped all-of-Unicode IDENT
    # class takes minutes to build, so the generating grammar uses ASCII ones.
    text = re.sub(r"(?m)^IDENT: .*$", "IDENT: /[A-Za-z_][A-Za-z0-9_]*/i", text)
    text = re.sub(r"(?m)^STRING: .*$", "STRING: /'[a-z]*'/", text)
    return lark.Lark(text, parser="lalr", lexer="contextual")


def _padded(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([f" {word} ", f" {word.lower()} ", f"\n{word}\t"])


_KEYWORD_TERMINALS = {
    "_SELECT": "SELECT", "_FROM": "FROM", "_WHERE": "WHERE", "_WITHIN": "WITHIN",
    "_GROUP": "GROUP", "_BY": "BY", "_HAVING": "HAVING", "_AND": "AND", "_OR": "OR",
    "_NOT": "NOT", "_IS": "IS", "_ISA": "ISA", "NULL": "NULL", "TRUE": "TRUE",
    "FALSE": "FALSE", "LIKE": "LIKE", "CLASS_PROP": "__CLASS",
    "_ASSOCIATORS": "ASSOCIATORS", "_REFERENCES": "REFERENCES", "_OF": "OF",
    "ASSOCCLASS": "AssocClass", "RESULTCLASS": "ResultClass", "ROLE": "Role",
    "RESULTROLE": "ResultRole", "REQUIREDQUALIFIER": "RequiredQualifier",
    "REQUIREDASSOCQUALIFIER": "RequiredAssocQualifier",
    "CLASSDEFSONLY": "ClassDefsOnly", "KEYSONLY": "KeysOnly",
    "SCHEMAONLY": "SchemaOnly",
}  # fmt: skip
_safe_text = st.text(
    alphabet=st.characters(blacklist_characters="\\'\"[", blacklist_categories=["Cs"]),
    max_size=10,
)
EXPLICIT = {k: _padded(v) for k, v in _KEYWORD_TERMINALS.items()} | {
    "IDENT": names.map(lambda n: f" {n} "),
    "STRING": _safe_text.map(lambda s: f"'{s}'"),
}


@SETTINGS
@given(from_lark(_grammar(), start="start", explicit=EXPLICIT))
def test_grammar_strings_parse(text: str) -> None:
    """spec §7.2/§7.4: every sentence of the grammar is accepted, except the
    documented semantic rejections made while parsing (an association clause
    repeated, ClassDefsOnly with ResultClass/SchemaOnly, §7.2; a real literal
    beyond float range, §7.5) and the complexity quota."""
    try:
        parse_wql(text)
    except InvalidQueryError as err:
        if any(
            reason in err.message
            for reason in ("more than once", "mutually exclusive", "out of range")
        ):
            reject()
        raise
    except QuotaViolationError:
        reject()


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_wbem_error(text: str) -> None:
    """spec §12 item 9 / house-style §5: only WbemError ever escapes."""
    with contextlib.suppress(WbemError):
        parse_wql(text)
    with contextlib.suppress(WbemError):
        parse_event_query(text)


SEEDS = [
    "SELECT a, b.c FROM X WHERE a = 1 AND NOT (b <> 'x' OR c IS NOT NULL)",
    "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'P' "
    "GROUP WITHIN 10 BY TargetInstance.Name HAVING NumberOfEvents > 5",
    'ASSOCIATORS OF {A.k="v"} WHERE AssocClass = X ClassDefsOnly',
    "SELECT * FROM meta_class WHERE __this ISA 'C'",
    "SELECT * FROM x WHERE a LIKE 'P[a-c]\\\\\\\\%' OR __CLASS = Foo",
]


@SETTINGS
@given(
    st.sampled_from(SEEDS),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=5),
    st.text(max_size=4),
)
def test_mutated_queries_parse_or_raise_wbem_error(
    seed: str, at: int, cut: int, insert: str
) -> None:
    """house-style §5: near-valid input (splices of real queries) never leaks
    a lark exception or any other non-WbemError."""
    at %= len(seed) + 1
    text = seed[:at] + insert + seed[at + cut :]
    messages: list[str] = []
    for parse in (parse_wql, parse_event_query):
        try:
            parse(text)
        except WbemError as err:
            messages.append(err.message)
    assert all(messages)


@pytest.mark.parametrize(
    "text",
    ["SELECT * FROM x WHERE " + "(" * 5000, "SELECT " + "a," * 5000 + "a FROM x"],
    ids=["deep-open-parens", "long-select-list"],
)
def test_pathological_inputs(text: str) -> None:
    """spec §7.1 limitations: pathological text ends in a WbemError or a tree."""
    with contextlib.suppress(WbemError):
        parse_wql(text)
