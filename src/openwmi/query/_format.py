"""AST → canonical WQL text.

Owns ``format_wql`` (and ``format_expr``): keywords in upper case, names as
stored, strings in single quotes with ``\\\\`` and ``\\'`` escaped, the
fewest parentheses that keep the tree, and sub-clauses in the ABNF order.
``parse_wql(format_wql(q)) == q`` for every tree the parser can produce
(``parse_event_query`` for an ``EventQuery`` without WITHIN/GROUP on a class
not named ``__…Event``). Imports nothing from openwmi outside this package;
never asyncio.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ._ast import (
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
    Query,
    ReferencesQuery,
    SchemaQuery,
    SelectQuery,
    Value,
)

__all__ = ["format_expr", "format_value", "format_wql"]


def format_value(value: Value) -> str:
    """A WQL literal for ``value``.

    Raises:
        ValueError: a NaN or infinite real (WQL has no literal for it).
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no WQL literal")
        return repr(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _interval(value: float) -> str:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{value!r} is not a WQL interval")
    if value.is_integer() and value < 1e15:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _props(props: tuple[PropertyRef, ...] | None) -> str:
    return "*" if props is None else ", ".join(p.dotted for p in props)


def _operand(expr: Expr, parent: type[And] | type[Or] | type[Not]) -> str:
    text = format_expr(expr)
    if isinstance(expr, Or) or (isinstance(expr, And) and parent is not Or):
        return f"({text})"
    return text


def format_expr(expr: Expr) -> str:
    """Canonical text of a WHERE/HAVING expression."""
    if isinstance(expr, Comparison):
        return f"{expr.prop.dotted} {expr.op} {format_value(expr.value)}"
    if isinstance(expr, IsNull):
        return f"{expr.prop.dotted} IS {'NOT ' if expr.negated else ''}NULL"
    if isinstance(expr, IsA):
        return f"{expr.prop.dotted} ISA {format_value(expr.classname)}"
    if isinstance(expr, Not):
        return f"NOT {_operand(expr.operand, Not)}"
    if isinstance(expr, And):
        return " AND ".join(_operand(e, And) for e in expr.operands)
    return " OR ".join(_operand(e, Or) for e in expr.operands)


def format_wql(query: Query) -> str:
    """Canonical WQL text of a query tree."""
    if isinstance(query, SelectQuery):
        out = f"SELECT {_props(query.properties)} FROM {query.classname}"
        if query.where is not None:
            out += f" WHERE {format_expr(query.where)}"
        return out
    if isinstance(query, SchemaQuery):
        out = "SELECT * FROM meta_class"
        if query.where is not None:
            out += f" WHERE {format_expr(query.where)}"
        return out
    if isinstance(query, EventQuery):
        out = f"SELECT {_props(query.properties)} FROM {query.classname}"
        if query.within is not None:
            out += f" WITHIN {_interval(query.within)}"
        if query.where is not None:
            out += f" WHERE {format_expr(query.where)}"
        if query.group_within is not None or query.group_by is not None:
            out += " GROUP"
            if query.group_within is not None:
                out += f" WITHIN {_interval(query.group_within)}"
            if query.group_by is not None:
                out += f" BY {_props(query.group_by)}"
            if query.having is not None:
                out += f" HAVING {format_expr(query.having)}"
        return out
    if isinstance(query, AssociatorsQuery):
        head = f"ASSOCIATORS OF {{{query.path}}}"
        items = [
            ("AssocClass", query.assoc_class),
            ("RequiredAssocQualifier", query.required_assoc_qualifier),
            ("RequiredQualifier", query.required_qualifier),
            ("ResultClass", query.result_class),
            ("ResultRole", query.result_role),
            ("Role", query.role),
        ]
    else:
        assert isinstance(query, ReferencesQuery)
        head = f"REFERENCES OF {{{query.path}}}"
        items = [
            ("RequiredQualifier", query.required_qualifier),
            ("ResultClass", query.result_class),
            ("Role", query.role),
        ]
    words = [f"{k} = {v}" for k, v in items if v is not None]
    words += [
        k
        for k, on in (
            ("KeysOnly", query.keys_only),
            ("ClassDefsOnly", query.class_defs_only),
            ("SchemaOnly", query.schema_only),
        )
        if on
    ]
    return f"{head} WHERE {' '.join(words)}" if words else head
