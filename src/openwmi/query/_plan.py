"""Query planning hooks (storage-independent) and the one-call ``prepare_query``.

Owns ``plan_query`` — which parts of a validated WHERE a store can answer
itself — the inspectable ``Plan`` with its ``explain()`` text, and
``prepare_query`` (parse + validate + compile + plan). Knows nothing about
SQLite or any repository. Imports openwmi.model and openwmi.errors only; never
asyncio.

Rules:

* Rule 1 (conjuncts). Only the top-level AND conjuncts of the WHERE are
  considered; anything under OR or NOT stays in the residual.
* Rule 2 (sargable). A conjunct is a ``Constraint`` when it compares a
  top-level, scalar, non-system property of the FROM class with a constant
  using ``=``, ``<``, ``<=``, ``>`` or ``>=`` (``<>``, LIKE, IS NULL, ISA and
  dotted paths stay residual). Constraint values are already coerced to the
  property's type; STRING constraints compare case-insensitively
  (``str.casefold``, order included), which a store must honour exactly or
  else treat the constraint as a pre-filter and still run ``Plan.where``.
* Rule 3 (lookup). When every key property of the FROM class has an ``=``
  constraint, ``Plan.key`` holds the bindings: at most one instance per class
  of the hierarchy can match, so the store can fetch it directly.
* Rule 4 (exact class). A conjunct ``__CLASS = 'X'`` becomes
  ``Plan.exact_class`` (only objects whose own class is X qualify, spec §7.2).
* Rule 5 (residual). ``Plan.residual`` is the AND of every conjunct that is not
  a constraint or the exact-class test. Rows that satisfy the constraints
  (applied exactly) and the exact class match the query iff they satisfy the
  residual; ``Plan.where`` is always the full WHERE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from ..errors import InvalidQueryError
from ..model import CIMInstance
from ._ast import And, EventQuery, Expr, SelectQuery
from ._evaluate import Matcher, compile_where, make_projector
from ._format import format_expr, format_value, format_wql
from ._parser import parse_wql
from ._validate import (
    BoundAnd,
    BoundExpr,
    BoundQuery,
    ClassResolver,
    Domain,
    Predicate,
    validate_query,
)

__all__ = ["Constraint", "Plan", "PreparedQuery", "plan_query", "prepare_query"]

_SARGABLE_OPS = ("=", "<", "<=", ">", ">=")
_SARGABLE_DOMAINS = (
    Domain.STRING,
    Domain.NUMBER,
    Domain.BOOLEAN,
    Domain.DATETIME,
    Domain.REFERENCE,
)

Access = Literal["lookup", "index", "scan"]


@dataclass(frozen=True, slots=True)
class Constraint:
    """``property op value`` that a store may evaluate itself (Rule 2)."""

    property: str
    op: Literal["=", "<", "<=", ">", ">="]
    value: Any
    domain: Domain
    indexed: bool
    is_key: bool

    def __str__(self) -> str:
        tag = " [key]" if self.is_key else " [indexed]" if self.indexed else ""
        return f"{self.property} {self.op} {_literal(self.value)}{tag}"


@dataclass(frozen=True, slots=True)
class Plan:
    """How to run a data query: access path, pushed-down parts, residual."""

    classname: str
    access: Access
    key: tuple[tuple[str, Any], ...] | None
    exact_class: str | None
    constraints: tuple[Constraint, ...]
    residual: BoundExpr | None
    where: BoundExpr | None

    def explain(self) -> str:
        """A readable rendering (``openwmi query --explain``)."""
        lines = [f"class: {self.classname}"]
        if self.exact_class is not None:
            lines.append(f"exact class: {self.exact_class} (subclasses excluded)")
        if self.access == "lookup":
            assert self.key is not None
            keys = ", ".join(f"{k} = {_literal(v)}" for k, v in self.key)
            lines.append(f"access: key lookup ({keys})")
        elif self.access == "index":
            used = ", ".join(str(c) for c in self.constraints if c.indexed)
            lines.append(f"access: index range ({used})")
        else:
            lines.append("access: full scan")
        if self.constraints:
            lines.append("constraints: " + "; ".join(str(c) for c in self.constraints))
        residual = (
            "none" if self.residual is None else format_expr(self.residual.source)
        )
        lines.append(f"residual filter: {residual}")
        return "\n".join(lines)


def _literal(value: Any) -> str:
    if isinstance(value, (str, int, float)):
        return format_value(value)
    return format_value(str(value))


def _constraint(node: BoundExpr) -> Constraint | None:
    if not isinstance(node, Predicate):
        return None
    bp = node.prop
    if (
        node.op not in _SARGABLE_OPS
        or bp.is_system
        or not bp.is_top_level
        or bp.domain not in _SARGABLE_DOMAINS
    ):
        return None
    op = cast("Literal['=', '<', '<=', '>', '>=']", node.op)  # checked above
    return Constraint(bp.path[0], op, node.value, bp.domain, bp.indexed, bp.is_key)


def _exact_class(node: BoundExpr) -> str | None:
    if (
        isinstance(node, Predicate)
        and node.op == "="
        and node.prop.is_system
        and node.prop.path[0] == "__CLASS"
    ):
        return str(node.value)
    return None


def plan_query(bound: BoundQuery) -> Plan:
    """Split a validated WHERE into lookup / constraints / residual (Rules 1-5).

    Pure: looks only at the bound query and its class (keys, ``Indexed``).
    """
    where = bound.where
    conjuncts: tuple[BoundExpr, ...] = ()
    if where is not None:
        conjuncts = where.operands if isinstance(where, BoundAnd) else (where,)
    constraints: list[Constraint] = []
    residual: list[BoundExpr] = []
    exact: str | None = None
    for node in conjuncts:
        c = _constraint(node)
        if c is not None:
            constraints.append(c)
            continue
        cls_name = _exact_class(node)
        if cls_name is not None and exact is None:
            exact = cls_name
            continue
        residual.append(node)
    key_names = bound.cimclass.key_names
    eq = {c.property.lower(): c for c in constraints if c.op == "="}
    key = None
    if key_names and all(k.lower() in eq for k in key_names):
        key = tuple((k, eq[k.lower()].value) for k in key_names)
    access: Access = (
        "lookup"
        if key is not None
        else "index"
        if any(c.indexed for c in constraints)
        else "scan"
    )
    rest: BoundExpr | None = None
    if len(residual) == 1:
        rest = residual[0]
    elif residual:
        rest = BoundAnd(tuple(residual), And(tuple(_source(r) for r in residual)))
    return Plan(
        bound.cimclass.name, access, key, exact, tuple(constraints), rest, where
    )


def _source(node: BoundExpr) -> Expr:
    return node.source


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    """Everything ``exec_query`` needs for a data (or event) SELECT."""

    bound: BoundQuery
    plan: Plan
    matches: Matcher
    project: Callable[[CIMInstance], CIMInstance]

    @property
    def text(self) -> str:
        return format_wql(self.bound.query)


def prepare_query(
    query: str | SelectQuery | EventQuery, resolve_class: ClassResolver
) -> PreparedQuery:
    """Parse (if text), validate, compile and plan a data or event SELECT.

    Raises:
        InvalidParameterError, QuotaViolationError, InvalidQueryError,
        UnparsableQueryError: see ``parse_wql``.
        InvalidQueryError: the text is a schema/association query (use
            ``parse_wql`` and handle those kinds directly).
        InvalidClassError, WbemError: see ``validate_query``.
    """
    parsed = parse_wql(query) if isinstance(query, str) else query
    if not isinstance(parsed, (SelectQuery, EventQuery)):
        raise InvalidQueryError(
            f"{type(parsed).__name__} is not a SELECT over a class; "
            "run it through the schema/association path"
        )
    bound = validate_query(parsed, resolve_class)
    return PreparedQuery(
        bound, plan_query(bound), compile_where(bound.where), make_projector(bound)
    )
