"""Evaluation: bound WHERE → fast predicate; projection; prototype results.

Owns ``compile_where`` (a tree of closures built once per query, so a row
costs a few calls, never an AST walk), ``compile_schema_where`` (meta_class
queries over class objects), ``make_projector`` (SELECT-list projection) and
``prototype`` (``WBEM_FLAG_PROTOTYPE``, spec §4.3). Imports openwmi.model and
openwmi.errors only; never asyncio.

Rules (spec §7.1, §7.3, §7.6):

* Rule 1 (NULL). A comparison with a NULL (or missing, or not-yet-typed)
  property value is false — ``=``, ``<>``, ``<``… and LIKE alike; only
  ``IS NULL`` / ``IS NOT NULL`` test NULL. ``X = NULL`` and ``NULL <> X``
  (accepted by Windows, spec §7.1 OBS) are parsed as ``X IS NULL`` and
  ``X IS NOT NULL``, so ``WHERE DefaultIPGateway != NULL`` keeps the idiom's
  meaning. Logic is two-valued: ``NOT (X = 1)`` is true when X is NULL.
* Rule 2 (strings). Compared case-insensitively (``str.casefold``), ordering
  included; LIKE per ``_like``.
* Rule 3 (``__CLASS = 'X'``) compares the object's own class name, so it
  excludes subclasses (spec §7.2); ``P ISA 'X'`` is true when the embedded
  object in P is X or derives from it (by ``derivation``; a loose instance
  without a class matches its own class name only).
* Rule 4 (projection). ``SELECT a, b`` keeps a and b (the whole embedded object
  for ``a.x``) and every system property; the object keeps its path, so
  ``__PATH``/``__RELPATH`` stay valid even when keys are not selected.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from ..errors import WbemError
from ..model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
)
from ._ast import And, Comparison, Expr, IsA, IsNull, Not, Or
from ._like import LikePatternError, compile_like, like_has_wildcards, like_literal
from ._validate import (
    BoundAnd,
    BoundExpr,
    BoundNot,
    BoundOr,
    BoundProperty,
    BoundQuery,
    Domain,
    Predicate,
)

__all__ = [
    "OBJECT_FLAG_KEY_DROPPED",
    "OBJECT_FLAG_PROPERTY_LIST",
    "Matcher",
    "Prototype",
    "compile_schema_where",
    "compile_where",
    "make_projector",
    "prototype",
]

Matcher: TypeAlias = Callable[[Any], bool]
Getter: TypeAlias = Callable[[Any], Any]

OBJECT_FLAG_PROPERTY_LIST = 0x10  # spec §4.3: a property list was used
OBJECT_FLAG_KEY_DROPPED = 0x40  # spec §4.3: a key property is not in the list

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _always(obj: Any) -> bool:
    return True


# --- property access ----------------------------------------------------------------


def _getter(bp: BoundProperty) -> Getter:
    """Reads the property. A top-level name is a C-level ``itemgetter`` that
    raises KeyError for an undeclared name (loose instances only); every
    matcher catches it and treats the value as NULL."""
    path = bp.path
    if len(path) == 1:
        return operator.itemgetter(path[0])

    def get_path(obj: Any) -> Any:
        for name in path:
            if obj is None:
                return None
            try:
                obj = obj[name]
            except (KeyError, TypeError, IndexError):
                return None  # invalid embedded path: no error, no match (§7.1)
        return obj

    return get_path


def _isa(value: Any, classname: str) -> bool:
    if isinstance(value, CIMInstance):
        cls = value.cimclass
        if cls is not None:
            return cls.is_subclass_of(classname)
        return value.classname.lower() == classname.lower()
    if isinstance(value, CIMClass):
        return value.is_subclass_of(classname)
    return False


# --- untyped comparison (paths into objects without a declared class) -----------------


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        for conv in (int, float):
            try:
                return conv(value.strip())
            except ValueError:
                pass
    return None


def _dynamic(op: str, value: Any, const: Any) -> bool:
    if value is None:
        return False
    if op == "LIKE":
        if isinstance(value, str):
            try:
                return compile_like(str(const)).fullmatch(value) is not None
            except LikePatternError:
                return False
        if not isinstance(const, str) or like_has_wildcards(const):
            return False
        op, const = "=", like_literal(const)
    cmp = _CMP[op]
    try:
        if isinstance(value, bool):
            if op not in ("=", "<>"):
                return False
            if isinstance(const, str):
                if const.lower() not in ("true", "false"):
                    return False
                const = const.lower() == "true"
            return cmp(value, bool(const))
        if isinstance(value, (int, float)):
            num = _number(const)
            return num is not None and cmp(value, num)
        if isinstance(value, str):
            text = const if isinstance(const, str) else str(const)
            return cmp(value.casefold(), text.casefold())
        if isinstance(value, CIMDateTime):
            return isinstance(const, str) and cmp(value, CIMDateTime.parse(const))
        if isinstance(value, ObjectPath):
            return isinstance(const, str) and cmp(value, ObjectPath.parse(const))
        return cmp(value, const)
    except (TypeError, WbemError):
        return False


# --- compiling the bound tree ---------------------------------------------------------


def _predicate(node: Predicate) -> Matcher:
    get = _getter(node.prop)
    op, const = node.op, node.value

    def value(obj: Any) -> Any:
        try:
            return get(obj)
        except KeyError:
            return None

    if op == "ISNULL":
        return lambda obj: value(obj) is None
    if op == "NOTNULL":
        return lambda obj: value(obj) is not None
    if op == "ISA":
        return lambda obj: _isa(value(obj), const)
    dom = node.prop.domain
    if dom is Domain.DYNAMIC:
        return lambda obj: _dynamic(op, value(obj), const)
    if dom is Domain.BOOLEAN:
        return lambda obj: (v := value(obj)) is not None and _CMP[op](bool(v), const)
    # The hot cases below read the value inline (no extra Python call per row).
    if op == "LIKE":
        fullmatch = compile_like(const).fullmatch

        def like(obj: Any) -> bool:
            try:
                v = get(obj)
            except KeyError:
                return False
            return isinstance(v, str) and fullmatch(v) is not None

        return like
    cmp = _CMP[op]
    if dom is Domain.STRING:
        folded = const.casefold()
        if op == "=":

            def str_eq(obj: Any) -> bool:
                try:
                    v = get(obj)
                except KeyError:
                    return False
                return isinstance(v, str) and v.casefold() == folded

            return str_eq

        def str_cmp(obj: Any) -> bool:
            try:
                v = get(obj)
            except KeyError:
                return False
            return isinstance(v, str) and cmp(v.casefold(), folded)

        return str_cmp

    def typed(obj: Any) -> bool:  # numbers, datetimes, references
        try:
            v = get(obj)
            return v is not None and cmp(v, const)
        except (KeyError, TypeError):  # undeclared; timestamp vs interval
            return False

    return typed


def _compile(node: BoundExpr) -> Matcher:
    if isinstance(node, Predicate):
        return _predicate(node)
    if isinstance(node, BoundNot):
        inner = _compile(node.operand)
        return lambda obj: not inner(obj)
    parts = tuple(_compile(e) for e in node.operands)
    if isinstance(node, BoundAnd):
        return _all_of(parts)
    assert isinstance(node, BoundOr)
    return _any_of(parts)


def _all_of(parts: tuple[Matcher, ...]) -> Matcher:
    # Unrolled for the usual sizes: no generator, no loop per row.
    if len(parts) == 2:
        a, b = parts
        return lambda obj: a(obj) and b(obj)
    if len(parts) == 3:
        a, b, c = parts
        return lambda obj: a(obj) and b(obj) and c(obj)

    def all_of(obj: Any) -> bool:
        for p in parts:  # noqa: SIM110 - a plain loop beats all(<genexpr>) per row
            if not p(obj):
                return False
        return True

    return all_of


def _any_of(parts: tuple[Matcher, ...]) -> Matcher:
    if len(parts) == 2:
        a, b = parts
        return lambda obj: a(obj) or b(obj)
    if len(parts) == 3:
        a, b, c = parts
        return lambda obj: a(obj) or b(obj) or c(obj)

    def any_of(obj: Any) -> bool:
        for p in parts:  # noqa: SIM110 - a plain loop beats any(<genexpr>) per row
            if p(obj):
                return True
        return False

    return any_of


def compile_where(where: BoundExpr | None) -> Matcher:
    """The predicate ``(instance) -> bool`` for a bound WHERE (Rules 1-3).

    None (no WHERE) gives a predicate that is always true. The predicate never
    raises for well-typed instances; ill-typed values compare false.
    """
    return _always if where is None else _compile(where)


# --- schema queries ---------------------------------------------------------------------


def _schema_leaf(node: Comparison | IsNull | IsA) -> Callable[[CIMClass], bool]:
    if isinstance(node, IsA):
        target = node.classname
        return lambda cls: cls.is_subclass_of(target)
    name = node.prop.dotted

    def value(cls: CIMClass) -> Any:
        return cls.system_property(name)

    if isinstance(node, IsNull):
        negated = node.negated
        return lambda cls: (value(cls) is None) is not negated
    op, const = node.op, node.value
    return lambda cls: _dynamic(op, value(cls), const)


def compile_schema_where(where: Expr | None) -> Callable[[CIMClass], bool]:
    """The predicate over class objects for ``SELECT * FROM meta_class WHERE …``
    (spec §7.2: ``__THIS ISA 'C'`` = C and its subclasses, ``__CLASS = 'C'``,
    ``__SUPERCLASS = 'C'`` = immediate children, ``__SUPERCLASS IS NULL`` =
    top-level classes, ``__DYNASTY = 'C'``). The parser has already limited the
    WHERE to these tests."""
    if where is None:
        return lambda cls: True
    if isinstance(where, Not):
        inner = compile_schema_where(where.operand)
        return lambda cls: not inner(cls)
    if isinstance(where, (And, Or)):
        parts = [compile_schema_where(e) for e in where.operands]
        if isinstance(where, And):
            return lambda cls: all(p(cls) for p in parts)
        return lambda cls: any(p(cls) for p in parts)
    return _schema_leaf(where)


# --- projection ---------------------------------------------------------------------------


def _selected_names(bound: BoundQuery) -> list[str] | None:
    if bound.select is None:
        return None
    names: dict[str, str] = {}
    for bp in bound.select:
        if not bp.is_system:
            names.setdefault(bp.path[0].lower(), bp.path[0])
    return list(names.values())


def _reduced(cls: CIMClass, names: list[str]) -> CIMClass:
    wanted = {n.lower() for n in names}
    props = NocaseDict((n, p) for n, p in cls.properties.items() if n.lower() in wanted)
    return replace(cls, properties=props)  # class order, like the full object


def make_projector(bound: BoundQuery) -> Callable[[CIMInstance], CIMInstance]:
    """The SELECT-list projection for ``bound`` (Rule 4); identity for ``*``.

    The projected object is an instance of the object's own class reduced to
    the selected properties (so ``__PROPERTY_COUNT`` counts them) and keeps
    the original path. Reduced classes are built once per class.
    """
    names = _selected_names(bound)
    if names is None:
        return lambda inst: inst
    cache: dict[int, tuple[CIMClass, CIMClass]] = {}

    def project(inst: CIMInstance) -> CIMInstance:
        cls = inst.cimclass
        values = {}
        for n in names:
            try:
                values[n] = inst[n]
            except KeyError:
                continue
        if cls is None:
            return CIMInstance(
                inst.classname,
                values,
                namespace=inst.namespace,
                server=inst.server,
                path=inst.path,
            )
        hit = cache.get(id(cls))
        if hit is None:
            hit = cache[id(cls)] = (cls, _reduced(cls, names))  # keeps cls alive
        return CIMInstance(
            hit[1],
            {k: v for k, v in values.items() if v is not None},
            namespace=inst.namespace,
            server=inst.server,
            path=inst.path,
        )

    return project


# --- WBEM_FLAG_PROTOTYPE ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prototype:
    """The Prototype Result Object (spec §4.3) as data.

    ``cimclass`` is the FROM class reduced to the selected properties (all of
    them for ``*``), each carrying an ``Order`` qualifier (sint32 array of its
    0-based positions in the SELECT list; none for ``*``). ``orders`` lists
    the same positions; ``object_flags`` has 0x10 when a property list was
    used and 0x40 when a key property is not in it.
    """

    cimclass: CIMClass
    orders: tuple[tuple[str, tuple[int, ...]], ...]
    object_flags: int


def prototype(bound: BoundQuery) -> Prototype:
    """The ``WBEM_FLAG_PROTOTYPE`` answer for a validated query (spec §4.3).

    ``select prop1, prop2, prop1`` gives prop1 → (0, 2), prop2 → (1,). A
    dotted item counts for its top-level property; system properties take a
    position but are not listed (every object has them).
    """
    cls = bound.cimclass
    if bound.select is None:
        return Prototype(cls, (), 0)
    positions: dict[str, list[int]] = {}
    spelling: dict[str, str] = {}
    for i, bp in enumerate(bound.select):
        if bp.is_system:
            continue
        key = bp.path[0].lower()
        positions.setdefault(key, []).append(i)
        spelling.setdefault(key, bp.path[0])
    props: NocaseDict[CIMProperty] = NocaseDict()
    for key, where in positions.items():
        prop = cls.properties[spelling[key]]
        quals = prop.qualifiers.copy()
        quals["Order"] = Qualifier("Order", list(where), CIMType.SINT32)
        props[prop.name] = replace(prop, qualifiers=quals)
    flags = OBJECT_FLAG_PROPERTY_LIST
    if any(k.lower() not in positions for k in cls.key_names):
        flags |= OBJECT_FLAG_KEY_DROPPED
    orders = tuple((spelling[k], tuple(v)) for k, v in positions.items())
    return Prototype(replace(cls, properties=props), orders, flags)
