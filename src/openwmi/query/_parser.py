"""WQL text → AST: the lark LALR parser, its tree builder and the error mapping.

Owns ``parse_wql`` and ``parse_event_query``. The grammar is data
(``wql.lark``); this module turns lark's reductions straight into ``_ast``
nodes (an inline transformer: no intermediate tree, no recursion) and turns
every lark failure into a ``WbemError`` carrying line, column and a caret
snippet. Imports only openwmi.errors and openwmi.constants (+ lark); never
asyncio.

Rules:

* Rule 1 (bad parameters). None, a non-string, or blank text →
  ``InvalidParameterError`` (WBEM_E_INVALID_PARAMETER, spec §13 item 15).
* Rule 2 (limits, WBEM_E_QUOTA_VIOLATION). More than ``WBEM_MAX_QUERY``
  (0x4000) characters; boolean nesting deeper than ``MAX_NESTING`` (64)
  levels of AND/OR/NOT; more than ``MAX_PREDICATES`` (1024) comparisons.
* Rule 3 (which error for a syntax error, spec §12 item 9, design #9). A query
  is an *event query* when it goes through ``parse_event_query``, or when its
  text (string literals and ``{paths}`` blanked) names a FROM class
  ``__…Event`` (``__Event``, ``__InstanceCreationEvent``, ``__TimerEvent``…)
  or uses the keywords WITHIN, GROUP or HAVING. Syntax errors in event queries
  raise ``UnparsableQueryError`` (WBEM_E_UNPARSABLE_QUERY); in every other
  query ``InvalidQueryError`` (WBEM_E_INVALID_QUERY). ``GROUP BY`` without
  ``GROUP WITHIN`` raises WBEM_E_MISSING_GROUP_WITHIN (spec §6.4).
* Rule 4 (node kinds). A parsed SELECT becomes an ``EventQuery`` by the same
  rule (WITHIN/GROUP present or an ``__…Event`` class; always in
  ``parse_event_query``), else a ``SchemaQuery`` when the class is
  ``meta_class``, else a ``SelectQuery``. ``ASSOCIATORS OF`` and
  ``REFERENCES OF`` give their own nodes (never valid as event queries).
* Rule 5 (checks done while parsing, raised as syntax errors of the query's
  kind): string escapes other than ``\\\\``, ``\\"``, ``\\'``; malformed LIKE
  patterns (``_like`` Rule 4); integer/real literals out of range; a
  sub-clause repeated in ASSOCIATORS/REFERENCES, ``ClassDefsOnly`` with
  ``ResultClass`` or with ``SchemaOnly`` (spec §7.2); a schema query with a
  property list or a WHERE test other than those ``SchemaQuery`` allows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any, NoReturn, cast

import lark
from lark.common import LexerConf
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.lexer import Lexer

from ..constants import WBEM_MAX_QUERY
from ..errors import (
    HResult,
    InvalidParameterError,
    InvalidQueryTypeError,
    QuotaViolationError,
)
from ._ast import (
    And,
    AssociatorsQuery,
    Comparison,
    EventQuery,
    Expr,
    IsA,
    Not,
    Or,
    Query,
    ReferencesQuery,
    SchemaQuery,
    SelectQuery,
)
from ._builder import Builder, SyntaxFault
from ._diag import located_error

__all__ = [
    "MAX_NESTING",
    "MAX_PREDICATES",
    "check_query_language",
    "parse_event_query",
    "parse_wql",
]

MAX_NESTING = 64
MAX_PREDICATES = 1024

_E = HResult
_EVENT_CLASS = re.compile(r"__\w*event", re.IGNORECASE)
_BLANK = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^'\\]|\\.)*'?|\{[^}]*\}?", re.DOTALL)
_EVENT_HINT = re.compile(
    r"\bFROM\s+__\w*event\b|\b(?:WITHIN|GROUP|HAVING)\b", re.IGNORECASE
)
_GROUP_BY = re.compile(r"\bGROUP\s+BY\b", re.IGNORECASE)
_SCHEMA_PROPS = frozenset({"__class", "__superclass", "__dynasty"})
_ASSOC_FIELDS = {
    "ASSOCCLASS": "assoc_class",
    "RESULTCLASS": "result_class",
    "ROLE": "role",
    "RESULTROLE": "result_role",
    "REQUIREDQUALIFIER": "required_qualifier",
    "REQUIREDASSOCQUALIFIER": "required_assoc_qualifier",
    "CLASSDEFSONLY": "class_defs_only",
    "KEYSONLY": "keys_only",
    "SCHEMAONLY": "schema_only",
}
_FRIENDLY = {
    "IDENT": "a name",
    "STRING": "a string",
    "INT": "an integer",
    "REAL": "a number",
    "INTERVAL": "an interval in seconds",
    "OBJECT_PATH": "{object path}",
    "$END": "end of query",
}


@functools.cache
def _grammar_text() -> str:
    return resources.files(__package__).joinpath("wql.lark").read_text("utf-8")


class _WqlLexer(Lexer):
    """A contextual lexer built from the grammar's own terminals, ~2x faster
    than lark's (one master regex, keywords looked up in a dict).

    Like lark's contextual lexer, a word is a keyword only where the parser
    state accepts that keyword, so ``SELECT Group FROM Order`` works; unlike
    it, a keyword is never split off a longer name. Numbers become INTERVAL
    where only an interval is accepted (after WITHIN).
    """

    __future_interface__ = 2

    def __init__(self, conf: LexerConf) -> None:
        terms = {t.name: t for t in conf.terminals}
        ident = re.compile(terms["IDENT"].pattern.to_regexp())
        self.keywords: dict[str, str] = {}
        self.punct: dict[str, str] = {}
        for t in conf.terminals:
            if t.pattern.type != "str":
                continue
            value = t.pattern.value
            if ident.fullmatch(value):
                self.keywords[value.upper()] = t.name
            else:
                self.punct[value] = t.name
        parts = [f"(?P<WS>{terms[name].pattern.to_regexp()})" for name in conf.ignore]
        parts += [
            f"(?P<{name}>{terms[name].pattern.to_regexp()})"
            for name in ("STRING", "OBJECT_PATH", "REAL", "INT", "IDENT")
        ]
        ops = sorted(self.punct, key=len, reverse=True)
        parts.append("(?P<P>" + "|".join(re.escape(o) for o in ops) + ")")
        self.master = re.compile("|".join(parts))
        self.interval = re.compile(terms["INTERVAL"].pattern.to_regexp())

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[lark.Token]:
        text: str = lexer_state.text.text
        states = parser_state.parse_conf.states
        match, keywords, punct = self.master.match, self.keywords, self.punct
        pos, end = 0, len(text)
        while pos < end:
            m = match(text, pos)
            if m is None:
                allowed = set(states[parser_state.position])
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]  # lark's __init__ is unannotated
                    text, pos, 0, 0, allowed=allowed
                )
            kind = m.lastgroup
            stop = m.end()
            if kind != "WS":
                value = m.group()
                if kind == "IDENT":
                    kw = keywords.get(value.upper())
                    if kw is not None and kw in states[parser_state.position]:
                        kind = kw
                elif kind == "P":
                    kind = punct[value]
                elif (
                    kind in ("INT", "REAL")
                    and "INTERVAL" in states[parser_state.position]
                    and self.interval.fullmatch(value)
                ):
                    kind = "INTERVAL"
                yield lark.Token(kind, value, pos)  # type: ignore[arg-type]
            pos = stop


@functools.cache
def _parser() -> lark.Lark:
    return lark.Lark(
        _grammar_text(),
        parser="lalr",
        lexer=_WqlLexer,
        transformer=Builder(),
        maybe_placeholders=False,
    )


# --- assembling the query nodes ---------------------------------------------------


def _build(result: tuple[str, Any], text: str, event: bool) -> Query:
    kind, payload = result
    if kind == "select":
        return _build_select(payload, text, event)
    path_tok: lark.Token = payload[0]
    path = path_tok.value[1:-1].strip()
    fields: dict[str, Any] = {}
    for name, value, pos in payload[1:]:
        attr = _ASSOC_FIELDS[name]
        if attr in fields:
            raise SyntaxFault(f"{_keyword(name)} used more than once", pos)
        fields[attr] = value
    if fields.get("class_defs_only"):
        for other in ("result_class", "schema_only"):
            if other in fields:
                pos = next(p for n, _, p in payload[1:] if _ASSOC_FIELDS[n] == other)
                raise SyntaxFault(
                    f"ClassDefsOnly and {_keyword(other.upper().replace('_', ''))} "
                    "are mutually exclusive",
                    pos,
                )
    if event:
        raise SyntaxFault(
            "an event query must be SELECT … FROM an event class",
            path_tok.start_pos or 0,
        )
    if kind == "associators":
        return AssociatorsQuery(path, text=text, **fields)
    return ReferencesQuery(path, text=text, **fields)


def _build_select(payload: Any, text: str, event: bool) -> Query:
    props, cls_tok, within, where, group = payload
    classname: str = cls_tok.value
    if (
        event
        or within is not None
        or group is not None
        or _EVENT_CLASS.fullmatch(classname)
    ):
        return EventQuery(
            props,
            classname,
            within=within,
            where=where,
            group_within=None if group is None else group.within,
            group_by=None if group is None else group.by,
            having=None if group is None else group.having,
            text=text,
        )
    if classname.lower() == "meta_class":
        if props is not None:
            raise SyntaxFault(
                "schema queries (FROM meta_class) support only SELECT *",
                props[0].pos,
            )
        if where is not None:
            _check_schema_where(where)
        return SchemaQuery(where, text=text)
    return SelectQuery(props, classname, where, text=text)


def _check_schema_where(where: Expr) -> None:
    stack: list[Expr] = [where]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend(node.operands)
        elif isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, IsA):
            if node.prop.dotted.lower() != "__this":
                raise SyntaxFault(
                    "a schema query tests ISA only on __THIS", node.prop.pos
                )
        elif node.prop.dotted.lower() not in _SCHEMA_PROPS:
            raise SyntaxFault(
                "a schema query WHERE may test only __THIS ISA, __CLASS, "
                "__SUPERCLASS and __DYNASTY",
                node.prop.pos,
            )
        elif isinstance(node, Comparison) and not isinstance(node.value, str):
            raise SyntaxFault(
                f"{node.prop.dotted} compares only with a class name", node.prop.pos
            )


def _check_limits(query: Query) -> None:
    roots: list[Expr | None] = []
    if isinstance(query, (SelectQuery, SchemaQuery)):
        roots.append(query.where)
    elif isinstance(query, EventQuery):
        roots.extend((query.where, query.having))
    leaves = 0
    for root in roots:
        if root is None:
            continue
        stack: list[tuple[Expr, int]] = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, (And, Or, Not)):
                if depth >= MAX_NESTING:
                    raise QuotaViolationError(
                        f"query nests AND/OR/NOT deeper than {MAX_NESTING} levels"
                    )
                children = (
                    node.operands if not isinstance(node, Not) else (node.operand,)
                )
                stack.extend((child, depth + 1) for child in children)
            else:
                leaves += 1
    if leaves > MAX_PREDICATES:
        raise QuotaViolationError(
            f"query has {leaves} predicates; the limit is {MAX_PREDICATES}"
        )


# --- errors -------------------------------------------------------------------------


def _keyword(name: str) -> str:
    term = {t.name: t for t in _parser().terminals}.get(name)
    if term is not None and term.pattern.type == "str":
        return str(term.pattern.value)
    return _FRIENDLY.get(name, name.lstrip("_"))


def _display(name: str) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    return repr(_keyword(name))


def _syntax_code(text: str, event: bool) -> int:
    """Rule 3: the code for a syntax error in ``text``."""
    if event or _EVENT_HINT.search(_BLANK.sub("''", text)):
        return _E.WBEM_E_UNPARSABLE_QUERY
    return _E.WBEM_E_INVALID_QUERY


def _raise_syntax(exc: UnexpectedInput, text: str, code: int) -> NoReturn:
    if isinstance(exc, UnexpectedCharacters):
        offset: int = cast("int", exc.pos_in_stream)  # lark declares it None
        found = repr(text[offset]) if offset < len(text) else "end of query"
        expected = exc.allowed or set()
    elif isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            offset, found = len(text), "end of query"
        else:
            offset, found = tok.start_pos or 0, repr(tok.value)
        expected = exc.accepts or exc.expected
    else:
        assert isinstance(exc, UnexpectedEOF)
        offset, found, expected = len(text), "end of query", set(exc.expected)
    names = sorted({_display(n) for n in expected})
    hint = f"; expected {', '.join(names[:10])}" if names else ""
    raise located_error(code, f"unexpected {found}{hint}", text, offset) from None


def _parse(text: object, *, event: bool) -> Query:
    if text is None:
        raise InvalidParameterError("the query text is NULL")
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"the query text must be a string, not {type(text).__name__}"
        )
    if not text.strip():
        raise InvalidParameterError("the query text is empty")
    if len(text) > WBEM_MAX_QUERY:
        raise QuotaViolationError(
            f"query is {len(text)} characters; the limit is {WBEM_MAX_QUERY}"
        )
    return _parse_cached(text, event)


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, event: bool) -> Query:
    # Trees are immutable, so repeated texts (polling subscriptions, the same
    # query from many clients) share one; errors are never cached.
    try:
        result: Any = _parser().parse(text)  # the Builder returns a tagged tuple
        query = _build(result, text, event)
    except SyntaxFault as fault:
        syntax_code = _syntax_code(text, event)
        raise located_error(
            fault.code or syntax_code, fault.message, text, fault.pos
        ) from None
    except UnexpectedInput as exc:
        syntax_code = _syntax_code(text, event)
        if _GROUP_BY.search(_BLANK.sub("''", text)):
            pos = _GROUP_BY.search(text)
            raise located_error(
                _E.WBEM_E_MISSING_GROUP_WITHIN,
                "GROUP BY needs GROUP WITHIN <interval> before it",
                text,
                pos.start() if pos else 0,
            ) from None
        _raise_syntax(exc, text, syntax_code)
    except LarkError as exc:  # any other lark failure is still a syntax error
        syntax_code = _syntax_code(text, event)
        raise located_error(
            syntax_code, f"cannot parse query: {exc}", text, 0
        ) from None
    _check_limits(query)
    return query


def check_query_language(language: str | None) -> None:
    """Accept only WQL, case-insensitively (spec §13 item 15).

    Raises:
        InvalidParameterError: ``language`` is None.
        InvalidQueryTypeError: any other language (WBEM_E_INVALID_QUERY_TYPE).
    """
    if language is None:
        raise InvalidParameterError("the query language is NULL")
    if str(language).strip().upper() != "WQL":
        raise InvalidQueryTypeError(
            f"query language {language!r} is not supported; use 'WQL'"
        )


def parse_wql(text: str | None) -> Query:
    """Parse any WQL query: data, schema, association or event (Rule 4).

    Args:
        text: the query text (up to ``WBEM_MAX_QUERY`` characters).

    Returns:
        A ``SelectQuery``, ``SchemaQuery``, ``AssociatorsQuery``,
        ``ReferencesQuery`` or ``EventQuery``.

    Raises:
        InvalidParameterError: None or blank text.
        QuotaViolationError: too long, too deeply nested, too many predicates.
        InvalidQueryError: a syntax error in a data/schema/association query.
        UnparsableQueryError: a syntax error in an event query (Rule 3).
        WbemError: WBEM_E_MISSING_GROUP_WITHIN for GROUP BY without GROUP WITHIN.
    """
    return _parse(text, event=False)


def parse_event_query(text: str | None) -> EventQuery:
    """Parse a notification (filtering) query; every SELECT is an ``EventQuery``.

    Raises:
        InvalidParameterError: None or blank text.
        QuotaViolationError: too long, too deeply nested, too many predicates.
        UnparsableQueryError: any syntax error, or a query that is not SELECT.
        WbemError: WBEM_E_MISSING_GROUP_WITHIN for GROUP BY without GROUP WITHIN.
    """
    query = _parse(text, event=True)
    assert isinstance(query, EventQuery)
    return query
