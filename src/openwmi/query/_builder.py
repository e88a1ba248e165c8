"""The lark tree builder for WQL: grammar reductions → ``_ast`` nodes.

Owns the inline transformer used by ``_parser`` (one callback per rule of
``wql.lark``), string-literal unescaping, numeric literals, and the checks
made while building (Rule 5 of ``_parser``), which raise ``SyntaxFault``.
Imports nothing from openwmi outside this package (+ lark); never asyncio.
"""

from __future__ import annotations

import math
from typing import Any

import lark

from ._ast import (
    And,
    CompareOp,
    Comparison,
    Expr,
    IsA,
    IsNull,
    Not,
    Or,
    PropertyRef,
    Value,
)
from ._like import LikePatternError, compile_like

__all__ = ["Builder", "Group", "SyntaxFault"]

_MIRROR: dict[str, CompareOp] = {
    "=": "=",
    "<>": "<>",
    "<": ">",
    ">": "<",
    "<=": ">=",
    ">=": "<=",
    "LIKE": "LIKE",
}
_OPS: dict[str, CompareOp] = {
    "=": "=",
    "!=": "<>",
    "<>": "<>",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}


class SyntaxFault(Exception):
    """Raised by the tree builder; becomes a WbemError in ``_parse``."""

    def __init__(self, message: str, pos: int, code: int | None = None) -> None:
        super().__init__(message)
        self.message, self.pos, self.code = message, pos, code


# --- the tree builder (lark inline transformer) -----------------------------------


class _Within(float):
    """Tags the WITHIN interval among ``select``'s children."""


class _Where:
    __slots__ = ("expr",)

    def __init__(self, expr: Expr) -> None:
        self.expr = expr


class Group:
    __slots__ = ("by", "having", "within")

    def __init__(
        self, within: float, by: tuple[PropertyRef, ...] | None, having: Expr | None
    ) -> None:
        self.within, self.by, self.having = within, by, having


class _By(tuple[PropertyRef, ...]):
    """Tags the GROUP BY list."""


class _Having:
    __slots__ = ("expr",)

    def __init__(self, expr: Expr) -> None:
        self.expr = expr


def _unescape(tok: lark.Token) -> str:
    inner: str = tok.value[1:-1]
    if "\\" not in inner:
        return inner
    out: list[str] = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\":
            nxt = inner[i + 1]  # the STRING terminal guarantees a follower
            if nxt not in "\\\"'":
                raise SyntaxFault(
                    f"invalid escape \\{nxt} in string literal "
                    "(only \\\\, \\\" and \\' are escapes)",
                    (tok.start_pos or 0) + 1 + i,
                )
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _number(tok: lark.Token) -> int | float:
    text = tok.value
    if tok.type == "INT":
        try:
            return int(text)
        except ValueError:  # more digits than int() accepts
            raise SyntaxFault("integer literal too long", tok.start_pos or 0) from None
    value = float(text)
    if not math.isfinite(value):
        raise SyntaxFault("number out of range", tok.start_pos or 0)
    return value


def _constant(tok: lark.Token) -> Value | None:
    kind = tok.type
    if kind == "STRING":
        return _unescape(tok)
    if kind in ("INT", "REAL"):
        return _number(tok)
    if kind == "TRUE":
        return True
    if kind == "FALSE":
        return False
    return None  # NULL


def _make_comparison(
    prop: PropertyRef, op: CompareOp, value: Value | None, value_pos: int
) -> Expr:
    if value is None:
        return IsNull(prop, negated=op == "<>")
    if op == "LIKE" and isinstance(value, str):
        try:
            compile_like(value)
        except LikePatternError as exc:
            raise SyntaxFault(exc.message, value_pos) from None
    return Comparison(prop, op, value)


class Builder(lark.Transformer[lark.Token, Any]):
    """Inline callbacks, one per grammar rule (names match ``wql.lark``)."""

    def start(self, c: list[Any]) -> Any:
        return c[0]

    # select ------------------------------------------------------------------------
    def select(self, c: list[Any]) -> tuple[str, Any]:
        props, cls_tok = c[0], c[1]
        within = where = group = None
        for item in c[2:]:
            if isinstance(item, _Within):
                within = float(item)
            elif isinstance(item, _Where):
                where = item.expr
            else:
                group = item
        return ("select", (props, cls_tok, within, where, group))

    def select_all(self, c: list[Any]) -> None:
        return None

    def select_props(self, c: list[PropertyRef]) -> tuple[PropertyRef, ...]:
        return tuple(c)

    def within(self, c: list[lark.Token]) -> _Within:
        return _Within(_number_interval(c[0]))

    def where(self, c: list[Expr]) -> _Where:
        return _Where(c[0])

    def group(self, c: list[Any]) -> Group:
        by = next((x for x in c[1:] if isinstance(x, _By)), None)
        having = next((x.expr for x in c[1:] if isinstance(x, _Having)), None)
        return Group(_number_interval(c[0]), None if by is None else tuple(by), having)

    def group_by(self, c: list[PropertyRef]) -> _By:
        return _By(c)

    def having(self, c: list[Expr]) -> _Having:
        return _Having(c[0])

    # expressions ---------------------------------------------------------------------
    def or_expr(self, c: list[Expr]) -> Or:
        return Or(tuple(c))

    def and_expr(self, c: list[Expr]) -> And:
        return And(tuple(c))

    def negation(self, c: list[Expr]) -> Not:
        return Not(c[0])

    def cmp_prop_first(self, c: list[Any]) -> Expr:
        prop = c[0] if isinstance(c[0], PropertyRef) else _class_prop(c[0])
        op: CompareOp = c[1]
        rhs = c[2]
        if isinstance(rhs, _Bare):
            return Comparison(prop, op, str(rhs))  # __CLASS = Name (ABNF EXPR)
        return _make_comparison(prop, op, _constant(rhs), rhs.start_pos or 0)

    def cmp_const_first(self, c: list[Any]) -> Expr:
        tok, op, prop = c[0], c[1], c[2]
        return _make_comparison(prop, _MIRROR[op], _constant(tok), tok.start_pos or 0)

    def is_null(self, c: list[Any]) -> IsNull:
        return IsNull(c[0])

    def is_not_null(self, c: list[Any]) -> IsNull:
        return IsNull(c[0], negated=True)

    def isa(self, c: list[Any]) -> IsA:
        return IsA(c[0], c[1])

    def class_rhs(self, c: list[lark.Token]) -> Any:
        tok = c[0]
        return _Bare(tok.value) if tok.type == "IDENT" else tok

    def class_ref(self, c: list[lark.Token]) -> str:
        tok = c[0]
        return _unescape(tok) if tok.type == "STRING" else str(tok.value)

    def property(self, c: list[Any]) -> PropertyRef:
        return c[0] if isinstance(c[0], PropertyRef) else _class_prop(c[0])

    def dotted(self, c: list[lark.Token]) -> PropertyRef:
        return PropertyRef(tuple(t.value for t in c), c[0].start_pos or 0)

    def equiv_op(self, c: list[lark.Token]) -> CompareOp:
        return _OPS[c[0].value]

    def order_op(self, c: list[lark.Token]) -> CompareOp:
        return _OPS.get(c[0].value, "LIKE")

    # associators / references ------------------------------------------------------
    def associators(self, c: list[Any]) -> tuple[str, Any]:
        return ("associators", c)

    def references(self, c: list[Any]) -> tuple[str, Any]:
        return ("references", c)

    def assoc_item(self, c: list[Any]) -> tuple[str, Any, int]:
        if isinstance(c[0], tuple):
            return c[0]
        return self.named_item(c)

    def ref_item(self, c: list[Any]) -> tuple[str, Any, int]:
        return c[0]  # type: ignore[no-any-return]  # a common_item

    def named_item(self, c: list[lark.Token]) -> tuple[str, Any, int]:
        return (c[0].type, c[1].value, c[0].start_pos or 0)

    def flag_item(self, c: list[lark.Token]) -> tuple[str, Any, int]:
        return (c[0].type, True, c[0].start_pos or 0)


class _Bare(str):
    """An unquoted class name on the right of ``__CLASS =``."""


def _class_prop(tok: lark.Token) -> PropertyRef:
    return PropertyRef((tok.value,), tok.start_pos or 0)


def _number_interval(tok: lark.Token) -> float:
    value = float(tok.value)
    if not math.isfinite(value):
        raise SyntaxFault("interval out of range", tok.start_pos or 0)
    return value
