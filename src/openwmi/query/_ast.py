"""The WQL abstract syntax tree: small frozen value objects.

Owns the node classes produced by ``_parser`` and consumed by ``_format``,
``_validate``, ``_evaluate`` and ``_plan``. Imports nothing from openwmi (pure
data) and never imports asyncio or lark.

Rules:

* Rule 1 (canonical form). The parser normalises what has one meaning:
  ``!=`` is stored as ``"<>"``, a constant written first is moved to the right
  with the operator mirrored (``5 < X`` → ``X > 5``), ``X = NULL`` /
  ``NULL <> X`` become ``IsNull``, and a chain ``a AND b AND c`` is one ``And``
  with three operands (parentheses written by the user nest). So
  ``parse_wql(format_wql(q)) == q`` for every tree the parser can produce.
* Rule 2 (names keep their case). Property and class names are stored as
  written; every consumer compares them case-insensitively.
* Rule 3 (positions do not count). ``PropertyRef.pos`` (offset into the
  query text) and the query nodes' ``text`` serve error messages only and are
  excluded from equality and hashing.
* Rule 4 (strings are unescaped). ``Comparison.value`` holds the string after
  WQL escape processing (``\\\\`` → ``\\``); LIKE patterns keep their own
  LIKE-level escapes (spec §7.3, §12 item 12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "COMPARE_OPS",
    "And",
    "AssociatorsQuery",
    "CompareOp",
    "Comparison",
    "EventQuery",
    "Expr",
    "IsA",
    "IsNull",
    "Not",
    "Or",
    "PropertyRef",
    "Query",
    "ReferencesQuery",
    "SchemaQuery",
    "SelectQuery",
    "Value",
]

CompareOp: TypeAlias = Literal["=", "<>", "<", "<=", ">", ">=", "LIKE"]
COMPARE_OPS: tuple[CompareOp, ...] = ("=", "<>", "<", "<=", ">", ">=", "LIKE")

#: A WQL constant: string, integer, real, boolean. NULL appears only in IsNull.
Value: TypeAlias = str | int | float | bool


@dataclass(frozen=True, slots=True)
class PropertyRef:
    """A property name, or a dotted path into embedded objects
    (``TargetInstance.Name`` → ``("TargetInstance", "Name")``)."""

    path: tuple[str, ...]
    pos: int = field(default=-1, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The first (top-level) property name."""
        return self.path[0]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def is_system(self) -> bool:
        """True for ``__CLASS``, ``__PATH`` and the other system properties."""
        return len(self.path) == 1 and self.path[0].startswith("__")

    def __str__(self) -> str:
        return self.dotted


@dataclass(frozen=True, slots=True)
class Comparison:
    """``prop op constant`` (canonical order, Rule 1)."""

    prop: PropertyRef
    op: CompareOp
    value: Value


@dataclass(frozen=True, slots=True)
class IsNull:
    """``prop IS NULL`` (``negated``: ``IS NOT NULL``)."""

    prop: PropertyRef
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsA:
    """``prop ISA 'Class'``: the embedded object in ``prop`` is ``Class`` or a
    subclass (``__THIS ISA`` in schema queries)."""

    prop: PropertyRef
    classname: str


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class And:
    """Two or more operands, all true."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Two or more operands, at least one true."""

    operands: tuple[Expr, ...]


Expr: TypeAlias = Comparison | IsNull | IsA | Not | And | Or


@dataclass(frozen=True, slots=True)
class SelectQuery:
    """A data query: ``SELECT *|props FROM Class [WHERE expr]`` (spec §7.2).

    ``properties`` is None for ``*``.
    """

    properties: tuple[PropertyRef, ...] | None
    classname: str
    where: Expr | None = None
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SchemaQuery:
    """``SELECT * FROM meta_class [WHERE …]`` (spec §7.2 schema queries).

    The WHERE clause uses only ``__THIS ISA 'C'`` and comparisons or IS NULL
    tests on ``__CLASS``, ``__SUPERCLASS``, ``__DYNASTY`` (any AND/OR/NOT of
    them; Windows documents single tests).
    """

    where: Expr | None = None
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AssociatorsQuery:
    """``ASSOCIATORS OF {path} [WHERE …]`` (spec §7.2); ``path`` is the text
    between the braces, for ``ObjectPath.parse``."""

    path: str
    assoc_class: str | None = None
    result_class: str | None = None
    role: str | None = None
    result_role: str | None = None
    required_qualifier: str | None = None
    required_assoc_qualifier: str | None = None
    class_defs_only: bool = False
    keys_only: bool = False
    schema_only: bool = False
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ReferencesQuery:
    """``REFERENCES OF {path} [WHERE …]`` (spec §7.2)."""

    path: str
    result_class: str | None = None
    role: str | None = None
    required_qualifier: str | None = None
    class_defs_only: bool = False
    keys_only: bool = False
    schema_only: bool = False
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EventQuery:
    """``SELECT … FROM EventClass [WITHIN n] [WHERE …] [GROUP WITHIN n [BY p, …]
    [HAVING …]]`` (spec §7.4). Intervals are seconds."""

    properties: tuple[PropertyRef, ...] | None
    classname: str
    within: float | None = None
    where: Expr | None = None
    group_within: float | None = None
    group_by: tuple[PropertyRef, ...] | None = None
    having: Expr | None = None
    text: str | None = field(default=None, compare=False, repr=False)


Query: TypeAlias = (
    SelectQuery | SchemaQuery | AssociatorsQuery | ReferencesQuery | EventQuery
)
