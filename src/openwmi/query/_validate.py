"""Semantic validation: bind a parsed query to its FROM class.

Owns ``validate_query`` (data and event SELECTs) and the *bound* tree it
produces: every property resolved to its declared type, every constant coerced
once to that type, every operator checked. ``_evaluate`` compiles the bound tree
into a predicate and ``_plan`` reads it. Imports openwmi.model and
openwmi.errors only; never asyncio.

Rules (spec §7.1, §7.3, §7.5, §6.4, §12 item 10):

* Rule 1. An unknown FROM class → ``InvalidClassError``; an unknown property in
  the select list, WHERE, GROUP BY or HAVING → ``InvalidQueryError``.
* Rule 2 (operators by type). Booleans take only ``=``, ``<>``; references
  ``=``, ``<>``; embedded objects only ``IS [NOT] NULL`` and ``ISA``; arrays
  only ``IS [NOT] NULL`` ("WQL does not support queries of array datatypes").
  A wrong operator is WBEM_E_INVALID_QUERY (the MS-WMI code; we do not use
  WBEM_E_INVALID_OPERATOR, which only the error-constant page mentions).
* Rule 3 (constants, coerced once). Numeric properties compare as numbers
  (``'42'`` is accepted and read as 42); strings compare case-insensitively
  (a number constant is read as its decimal text); datetimes compare as
  ``CIMDateTime`` (DMTF form only; ``*`` fields are refused in WHERE, §7.5);
  booleans accept TRUE/FALSE, 0/1 (any non-zero is TRUE) and 'TRUE'/'FALSE';
  references accept an object path string. Anything else → InvalidQueryError.
* Rule 4 (LIKE). On strings, a pattern; on any other type, LIKE is ``=`` with
  the pattern's literal text, and a pattern with ``%``, ``_`` or ``[`` is
  WBEM_E_INVALID_QUERY (spec §7.3).
* Rule 5 (dot notation). ``P.x`` needs ``P`` to be an embedded object, else
  WBEM_E_PROPERTY_NOT_AN_OBJECT (spec §6.4; also in data queries). Inside the
  object, properties are typed from the ``EmbeddedInstance`` class or from a
  top-level ``P ISA 'C'`` conjunct (so ``TargetInstance ISA 'Win32_Process'
  AND TargetInstance.ProcessId > 4`` compares numbers); a name the class does
  not declare is no error and matches nothing (DOC SELECT for data queries).
  Untyped paths compare by the runtime value's type.
* Rule 6 (ISA). The left side must be an embedded-object property and the class
  must exist (``InvalidClassError``). In event queries that covers
  ``TargetInstance``/``PreviousInstance`` (and ``TargetClass``… on class
  events); anything else is WBEM_E_INVALID_QUERY.
* Rule 7 (events, spec §6.4). The FROM class must derive from ``__Event``
  (WBEM_E_NOT_EVENT_CLASS); GROUP BY needs GROUP WITHIN
  (WBEM_E_MISSING_GROUP_WITHIN); GROUP BY on an embedded object without a dot
  → WBEM_E_AGGREGATING_BY_OBJECT; HAVING tests only ``NumberOfEvents`` and
  needs GROUP WITHIN; WITHIN and GROUP WITHIN must lie in 0.001…418937 s
  (spec §6.7), else WBEM_E_INVALID_QUERY.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from ..errors import HResult, InvalidClassError, TypeMismatchError, WbemError
from ..model import (
    CIMClass,
    CIMDateTime,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
)
from ._ast import (
    And,
    CompareOp,
    Comparison,
    EventQuery,
    Expr,
    IsA,
    IsNull,
    Not,
    Or,
    PropertyRef,
    SelectQuery,
)
from ._diag import located_error
from ._like import like_has_wildcards, like_literal

__all__ = [
    "BoundAnd",
    "BoundExpr",
    "BoundNot",
    "BoundOr",
    "BoundProperty",
    "BoundQuery",
    "ClassResolver",
    "Domain",
    "Predicate",
    "validate_query",
]

ClassResolver: TypeAlias = Callable[[str], CIMClass | None]

_E = HResult
MIN_INTERVAL = 0.001
MAX_INTERVAL = 418937.0


class Domain(enum.Enum):
    """How a property's values compare (chosen from its CIM type, Rule 3)."""

    STRING = "string"  # case-insensitive (casefold)
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    REFERENCE = "reference"
    OBJECT = "object"  # embedded object: IS NULL / ISA only
    ARRAY = "array"  # IS NULL only
    DYNAMIC = "dynamic"  # untyped path inside an embedded object (Rule 5)


_NUMERIC = {
    CIMType.UINT8, CIMType.SINT8, CIMType.UINT16, CIMType.SINT16, CIMType.UINT32,
    CIMType.SINT32, CIMType.UINT64, CIMType.SINT64, CIMType.REAL32, CIMType.REAL64,
}  # fmt: skip
_SYSTEM: dict[str, tuple[str, CIMType, bool]] = {
    "__class": ("__CLASS", CIMType.STRING, False),
    "__superclass": ("__SUPERCLASS", CIMType.STRING, False),
    "__dynasty": ("__DYNASTY", CIMType.STRING, False),
    "__namespace": ("__NAMESPACE", CIMType.STRING, False),
    "__path": ("__PATH", CIMType.STRING, False),
    "__relpath": ("__RELPATH", CIMType.STRING, False),
    "__server": ("__SERVER", CIMType.STRING, False),
    "__genus": ("__GENUS", CIMType.SINT32, False),
    "__property_count": ("__PROPERTY_COUNT", CIMType.SINT32, False),
    "__derivation": ("__DERIVATION", CIMType.STRING, True),
}


def _is_object(prop: CIMProperty) -> bool:
    return prop.type in (CIMType.OBJECT, CIMType.INSTANCE) or (
        prop.embedded_class is not None
    )


def _domain(cimtype: CIMType | None, is_array: bool, is_object: bool) -> Domain:
    if cimtype is None:
        return Domain.DYNAMIC
    if is_array:
        return Domain.ARRAY
    if is_object:
        return Domain.OBJECT
    if cimtype in _NUMERIC:
        return Domain.NUMBER
    if cimtype is CIMType.BOOLEAN:
        return Domain.BOOLEAN
    if cimtype is CIMType.DATETIME:
        return Domain.DATETIME
    if cimtype is CIMType.REFERENCE:
        return Domain.REFERENCE
    return Domain.STRING  # string, char16


@dataclass(frozen=True, slots=True)
class BoundProperty:
    """A property reference resolved against the class.

    ``path`` holds the class's spelling of each name it could resolve;
    ``indexed`` is True for keys and ``Indexed`` properties (planner hint).
    """

    ref: PropertyRef
    path: tuple[str, ...]
    type: CIMType | None
    domain: Domain
    is_key: bool = False
    indexed: bool = False
    is_system: bool = False
    embedded_class: str | None = None

    @property
    def is_top_level(self) -> bool:
        return len(self.path) == 1


@dataclass(frozen=True, slots=True)
class Predicate:
    """A bound leaf: ``prop op value`` with ``value`` coerced (Rule 3).

    ``op`` is a comparison operator, ``"ISNULL"``/``"NOTNULL"``, or ``"ISA"``
    (``value`` is then the class name). ``source`` is the AST node.
    """

    prop: BoundProperty
    op: str
    value: Any
    source: Expr


@dataclass(frozen=True, slots=True)
class BoundAnd:
    operands: tuple[BoundExpr, ...]
    source: Expr


@dataclass(frozen=True, slots=True)
class BoundOr:
    operands: tuple[BoundExpr, ...]
    source: Expr


@dataclass(frozen=True, slots=True)
class BoundNot:
    operand: BoundExpr
    source: Expr


BoundExpr: TypeAlias = Predicate | BoundAnd | BoundOr | BoundNot


@dataclass(frozen=True, slots=True)
class BoundQuery:
    """A validated data or event query, ready for ``compile_where`` / ``plan``."""

    query: SelectQuery | EventQuery
    cimclass: CIMClass
    select: tuple[BoundProperty, ...] | None
    where: BoundExpr | None
    group_by: tuple[BoundProperty, ...] | None = None
    having: BoundExpr | None = None

    @property
    def is_event(self) -> bool:
        return isinstance(self.query, EventQuery)


# --- binding ------------------------------------------------------------------------


class _Binder:
    def __init__(self, query: SelectQuery | EventQuery, resolve: ClassResolver) -> None:
        self.query = query
        self.resolve = resolve
        self.text = query.text
        self.narrowed: dict[str, str] = {}  # object property (lower) → ISA class

    def fail(self, code: int, message: str, ref: PropertyRef | None) -> WbemError:
        return located_error(code, message, self.text, None if ref is None else ref.pos)

    def invalid(self, message: str, ref: PropertyRef | None) -> WbemError:
        return self.fail(_E.WBEM_E_INVALID_QUERY, message, ref)

    def resolve_class(self, name: str, ref: PropertyRef | None) -> CIMClass:
        cls = self.resolve(name)
        if cls is None:
            raise self.fail(
                _E.WBEM_E_INVALID_CLASS, f"class {name} does not exist", ref
            )
        return cls

    # properties ----------------------------------------------------------------------
    def bind(self, ref: PropertyRef, cls: CIMClass) -> BoundProperty:
        first = ref.path[0]
        if first.startswith("__"):
            sysinfo = _SYSTEM.get(first.lower())
            if sysinfo is None:
                raise self.invalid(f"{first} is not a WMI system property", ref)
            if len(ref.path) > 1:
                raise self.fail(
                    _E.WBEM_E_PROPERTY_NOT_AN_OBJECT,
                    f"{first} is not an embedded object",
                    ref,
                )
            name, cimtype, is_array = sysinfo
            return BoundProperty(
                ref, (name,), cimtype, _domain(cimtype, is_array, False), is_system=True
            )
        prop = cls.properties.get(first)
        if prop is None:
            raise self.invalid(f"class {cls.name} has no property {first}", ref)
        if len(ref.path) == 1:
            return self._leaf(ref, (prop.name,), prop, top=True)
        path = [prop.name]
        current: CIMProperty | None = prop
        embedded = prop.embedded_class or self.narrowed.get(prop.name.lower())
        for seg in ref.path[1:]:
            if current is not None and not _is_object(current):
                raise self.fail(
                    _E.WBEM_E_PROPERTY_NOT_AN_OBJECT,
                    f"{'.'.join(path)} is not an embedded object",
                    ref,
                )
            inner = self.resolve(embedded) if embedded else None
            current = inner.properties.get(seg) if inner is not None else None
            path.append(current.name if current is not None else seg)
            embedded = current.embedded_class if current is not None else None
        if current is None:  # Rule 5: untyped
            return BoundProperty(ref, tuple(path), None, Domain.DYNAMIC)
        return self._leaf(ref, tuple(path), current, top=False)

    def _leaf(
        self, ref: PropertyRef, path: tuple[str, ...], prop: CIMProperty, *, top: bool
    ) -> BoundProperty:
        is_obj = _is_object(prop)
        indexed = top and (prop.is_key or bool(prop.qualifier("indexed", False)))
        return BoundProperty(
            ref,
            path,
            prop.type,
            _domain(prop.type, prop.is_array, is_obj),
            is_key=top and prop.is_key,
            indexed=indexed,
            embedded_class=prop.embedded_class,
        )

    # expressions ---------------------------------------------------------------------
    def collect_narrowing(self, where: Expr | None) -> None:
        """Rule 5: top-level ``P ISA 'C'`` conjuncts type ``P.x``."""
        if where is None:
            return
        conjuncts = where.operands if isinstance(where, And) else (where,)
        for node in conjuncts:
            if isinstance(node, IsA) and len(node.prop.path) == 1:
                self.narrowed.setdefault(node.prop.path[0].lower(), node.classname)

    def expr(self, node: Expr, cls: CIMClass) -> BoundExpr:
        if isinstance(node, And):
            return BoundAnd(tuple(self.expr(e, cls) for e in node.operands), node)
        if isinstance(node, Or):
            return BoundOr(tuple(self.expr(e, cls) for e in node.operands), node)
        if isinstance(node, Not):
            return BoundNot(self.expr(node.operand, cls), node)
        bp = self.bind(node.prop, cls)
        if isinstance(node, IsNull):
            return Predicate(bp, "NOTNULL" if node.negated else "ISNULL", None, node)
        if isinstance(node, IsA):
            if bp.domain not in (Domain.OBJECT, Domain.DYNAMIC):
                raise self.invalid(
                    f"ISA needs an embedded object; {bp.ref.dotted} is not one",
                    node.prop,
                )
            target = self.resolve_class(node.classname, node.prop)
            return Predicate(bp, "ISA", target.name, node)
        return self.comparison(node, bp)

    def comparison(self, node: Comparison, bp: BoundProperty) -> Predicate:
        op: CompareOp = node.op
        value = node.value
        dom = bp.domain
        where = bp.ref.dotted
        if dom is Domain.ARRAY:
            raise self.invalid(
                f"{where} is an array; WQL compares arrays only with IS [NOT] NULL",
                node.prop,
            )
        if dom is Domain.OBJECT:
            raise self.invalid(
                f"{where} is an embedded object; use ISA, IS [NOT] NULL or "
                "dot notation",
                node.prop,
            )
        if op == "LIKE":
            if dom in (Domain.STRING, Domain.DYNAMIC):
                pattern = value if isinstance(value, str) else _text(value)
                return Predicate(bp, "LIKE", pattern, node)
            if isinstance(value, str):
                if like_has_wildcards(value):
                    raise self.invalid(
                        f"LIKE wildcards are valid only on strings; {where} is "
                        f"{_type_name(bp)}",
                        node.prop,
                    )
                value = like_literal(value)
            op = "="
        if dom is Domain.BOOLEAN and op not in ("=", "<>"):
            raise self.invalid(
                f"{where} is boolean: only =, != and <> apply", node.prop
            )
        if dom is Domain.REFERENCE and op not in ("=", "<>"):
            raise self.invalid(
                f"{where} is a reference: only =, != and <> apply", node.prop
            )
        return Predicate(bp, op, self.coerce(bp, value, node.prop), node)

    def coerce(self, bp: BoundProperty, value: Any, ref: PropertyRef) -> Any:
        try:
            return self._coerce(bp, value, ref)
        except _BadConstant:
            raise self.invalid(
                f"{value!r} is not a valid {_type_name(bp)} for {bp.ref.dotted}", ref
            ) from None

    def _coerce(self, bp: BoundProperty, value: Any, ref: PropertyRef) -> Any:
        dom = bp.domain
        bad = _BadConstant()
        if dom is Domain.DYNAMIC:
            return value
        if dom is Domain.STRING:
            if isinstance(value, bool):
                raise bad
            return value if isinstance(value, str) else _text(value)
        if dom is Domain.NUMBER:
            if isinstance(value, bool):
                raise bad
            if isinstance(value, str):
                return _parse_number(value.strip(), bad)
            return value
        if dom is Domain.BOOLEAN:
            if isinstance(value, str):
                low = value.strip().lower()
                if low not in ("true", "false"):
                    raise bad
                return low == "true"
            return bool(value)
        if dom is Domain.DATETIME:
            if not isinstance(value, str):
                raise bad
            try:
                dt = CIMDateTime.parse(value)
            except TypeMismatchError:
                raise bad from None
            if dt.is_relative:
                raise self.invalid(
                    "datetime wildcards (*) are not allowed in WHERE", ref
                )
            return dt
        # REFERENCE
        if not isinstance(value, str):
            raise bad
        try:
            return ObjectPath.parse(value)
        except WbemError:
            raise bad from None


class _BadConstant(Exception):
    """A constant that does not fit the property type (message built lazily)."""


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _parse_number(text: str, bad: Exception) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise bad from None
    if number != number or number in (float("inf"), float("-inf")):
        raise bad
    return number


def _type_name(bp: BoundProperty) -> str:
    return "untyped" if bp.type is None else bp.type.value


# --- entry point --------------------------------------------------------------------


def _is_event_class(cls: CIMClass) -> bool:
    return cls.name.lower() == "__event" or any(
        d.lower() == "__event" for d in cls.derivation
    )


def validate_query(
    query: SelectQuery | EventQuery, resolve_class: ClassResolver
) -> BoundQuery:
    """Bind a data or event SELECT to its FROM class (Rules 1-7).

    Args:
        query: from ``parse_wql`` / ``parse_event_query``.
        resolve_class: name → resolved ``CIMClass`` (with inherited properties
            and ``derivation``) or None when the class does not exist. Also
            used for ISA targets and embedded-object classes.

    Returns:
        The bound query.

    Raises:
        InvalidClassError: FROM class (or an ISA class) does not exist.
        InvalidQueryError: unknown property, operator or constant not valid for
            the property's type, LIKE wildcards on a non-string, bad interval.
        WbemError: WBEM_E_NOT_EVENT_CLASS, WBEM_E_MISSING_GROUP_WITHIN,
            WBEM_E_PROPERTY_NOT_AN_OBJECT, WBEM_E_AGGREGATING_BY_OBJECT.
    """
    binder = _Binder(query, resolve_class)
    cls = resolve_class(query.classname)
    if cls is None:
        raise InvalidClassError(f"class {query.classname} does not exist")
    group_by: tuple[BoundProperty, ...] | None = None
    having: BoundExpr | None = None
    if isinstance(query, EventQuery):
        if not _is_event_class(cls):
            raise WbemError.of(
                _E.WBEM_E_NOT_EVENT_CLASS,
                f"{cls.name} is not an event class (not derived from __Event)",
            )
        intervals = (("WITHIN", query.within), ("GROUP WITHIN", query.group_within))
        for label, interval in intervals:
            if interval is not None and not MIN_INTERVAL <= interval <= MAX_INTERVAL:
                raise binder.invalid(
                    f"{label} {interval:g} is outside {MIN_INTERVAL}…{MAX_INTERVAL:g} s",
                    None,
                )
        if query.group_within is None and query.group_by is not None:
            raise WbemError.of(
                _E.WBEM_E_MISSING_GROUP_WITHIN,
                "GROUP BY needs GROUP WITHIN <interval>",
            )
        if query.group_within is None and query.having is not None:
            raise binder.invalid("HAVING needs GROUP WITHIN <interval>", None)
    binder.collect_narrowing(query.where)
    select = (
        None
        if query.properties is None
        else tuple(binder.bind(p, cls) for p in query.properties)
    )
    where = None if query.where is None else binder.expr(query.where, cls)
    if isinstance(query, EventQuery):
        if query.group_by is not None:
            group_by = tuple(binder.bind(p, cls) for p in query.group_by)
            for bp in group_by:
                if bp.domain is Domain.OBJECT:
                    raise binder.fail(
                        _E.WBEM_E_AGGREGATING_BY_OBJECT,
                        f"GROUP BY {bp.ref.dotted} groups by an embedded object; "
                        "name one of its properties with dot notation",
                        bp.ref,
                    )
        if query.having is not None:
            having = binder.expr(query.having, _aggregate_class())
    return BoundQuery(query, cls, select, where, group_by, having)


def _aggregate_class() -> CIMClass:
    return CIMClass(
        "__AggregateEvent",
        properties=NocaseDict(
            {"NumberOfEvents": CIMProperty("NumberOfEvents", CIMType.UINT32)}
        ),
    )
