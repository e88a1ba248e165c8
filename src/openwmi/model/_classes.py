"""CIM classes, properties, methods and parameters (DSP0004 §5.1, §7).

Owns ``CIMClass``, ``CIMProperty``, ``CIMMethod``, ``CIMParameter`` and
``resolve_class`` (inheritance: a subclass gets its parent's properties,
methods and ToSubclass qualifiers, marked ``propagated``). Pure data: no I/O.

A *resolved* class carries every property, inherited ones included, and its
``derivation`` (parent chain, nearest first) — that is what GetObject returns
and what instances are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..constants import WBEM_GENUS_CLASS
from ..errors import HResult, InvalidParameterError, TypeMismatchError, WbemError
from ._names import NocaseDict

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._qualifiers import Qualifier
    from ._types import CIMType

__all__ = [
    "CIMClass",
    "ClassFacts",
    "CIMMethod",
    "CIMParameter",
    "CIMProperty",
    "qualifier_dict",
    "resolve_class",
]


def qualifier_dict(qualifiers: Iterable[Qualifier] = ()) -> NocaseDict[Qualifier]:
    return NocaseDict((q.name, q) for q in qualifiers)


def _truthy(quals: NocaseDict[Qualifier], name: str) -> bool:
    q = quals.get(name)
    return q is not None and bool(q.value)


@dataclass(slots=True, eq=False)
class CIMProperty:
    """A property declaration (with its default value) in a class."""

    name: str
    type: CIMType
    is_array: bool = False
    array_size: int | None = None
    default: Any = None
    qualifiers: NocaseDict[Qualifier] = field(default_factory=NocaseDict)
    reference_class: str | None = None
    embedded_class: str | None = None
    class_origin: str | None = None
    propagated: bool = False

    @property
    def is_key(self) -> bool:
        return _truthy(self.qualifiers, "key")

    def qualifier(self, name: str, default: Any = None) -> Any:
        q = self.qualifiers.get(name)
        return default if q is None else q.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIMProperty):
            return NotImplemented
        return (
            self.name.lower() == other.name.lower()
            and self.type is other.type
            and self.is_array == other.is_array
            and self.default == other.default
            and self.qualifiers == other.qualifiers
            and (self.reference_class or "").lower()
            == (other.reference_class or "").lower()
        )


@dataclass(slots=True, eq=False)
class CIMParameter:
    """A method parameter; direction comes from the ``In``/``Out`` qualifiers."""

    name: str
    type: CIMType
    is_array: bool = False
    array_size: int | None = None
    qualifiers: NocaseDict[Qualifier] = field(default_factory=NocaseDict)
    reference_class: str | None = None
    embedded_class: str | None = None

    @property
    def is_in(self) -> bool:
        q = self.qualifiers.get("in")
        return True if q is None else bool(q.value)  # DSP0004: In defaults to true

    @property
    def is_out(self) -> bool:
        return _truthy(self.qualifiers, "out")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIMParameter):
            return NotImplemented
        return (
            self.name.lower() == other.name.lower()
            and self.type is other.type
            and self.is_array == other.is_array
            and self.qualifiers == other.qualifiers
        )


@dataclass(slots=True, eq=False)
class CIMMethod:
    """A method declaration: return type, parameters, qualifiers."""

    name: str
    return_type: CIMType
    parameters: NocaseDict[CIMParameter] = field(default_factory=NocaseDict)
    qualifiers: NocaseDict[Qualifier] = field(default_factory=NocaseDict)
    class_origin: str | None = None
    propagated: bool = False

    @property
    def is_static(self) -> bool:
        return _truthy(self.qualifiers, "static")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIMMethod):
            return NotImplemented
        return (
            self.name.lower() == other.name.lower()
            and self.return_type is other.return_type
            and self.parameters == other.parameters
            and self.qualifiers == other.qualifiers
        )


@dataclass(frozen=True, slots=True)
class ClassFacts:
    """What hot paths need of a class, computed once (see ``freeze_facts``)."""

    key_names: tuple[str, ...]
    required: tuple[str, ...]
    indexed: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...]
    arrays: tuple[str, ...]


@dataclass(slots=True, eq=False)
class CIMClass:
    """A CIM class. Resolved classes (from the repository) include inherited members."""

    name: str
    superclass: str | None = None
    properties: NocaseDict[CIMProperty] = field(default_factory=NocaseDict)
    methods: NocaseDict[CIMMethod] = field(default_factory=NocaseDict)
    qualifiers: NocaseDict[Qualifier] = field(default_factory=NocaseDict)
    derivation: tuple[str, ...] = ()
    namespace: str | None = None
    server: str | None = None
    # Precomputed facts of a class that will not change any more (the repository
    # freezes the classes it shares); None for classes being edited.
    _facts: ClassFacts | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def freeze_facts(self) -> ClassFacts:
        """Compute and keep the per-class facts hot paths need. Call only on a
        class nobody will mutate (copies made later do not carry them)."""
        props = list(self.properties.values())
        facts = ClassFacts(
            key_names=tuple(p.name for p in props if p.is_key),
            required=tuple(
                p.name
                for p in props
                if p.qualifier("not_null") or p.qualifier("required")
            ),
            indexed=tuple(p.name for p in props if p.qualifier("indexed")),
            defaults=tuple((p.name, p.default) for p in props if p.default is not None),
            arrays=tuple(p.name for p in props if p.is_array),
        )
        self._facts = facts
        return facts

    @property
    def facts(self) -> ClassFacts:
        """The frozen facts, or freshly computed ones for an unfrozen class."""
        facts = self._facts
        if facts is not None:
            return facts
        current = self._facts
        try:
            return self.freeze_facts()
        finally:
            self._facts = current  # computing must not freeze a mutable class

    # --- derived facts -----------------------------------------------------------
    @property
    def is_abstract(self) -> bool:
        return _truthy(self.qualifiers, "abstract")

    @property
    def is_association(self) -> bool:
        return _truthy(self.qualifiers, "association")

    @property
    def is_indication(self) -> bool:
        return _truthy(self.qualifiers, "indication")

    @property
    def is_singleton(self) -> bool:
        return _truthy(self.qualifiers, "singleton")

    @property
    def key_names(self) -> list[str]:
        facts = self._facts
        if facts is not None:
            return list(facts.key_names)
        return [p.name for p in self.properties.values() if p.is_key]

    @property
    def dynasty(self) -> str:
        return self.derivation[-1] if self.derivation else self.name

    def is_subclass_of(self, name: str) -> bool:
        """True for ``name`` itself and every ancestor (ISA semantics)."""
        low = name.lower()
        return self.name.lower() == low or any(
            d.lower() == low for d in self.derivation
        )

    def system_property(self, name: str) -> Any:
        """WMI system properties of a class object (spec §7.6)."""
        low = name.lower()
        if low == "__class":
            return self.name
        if low == "__superclass":
            return self.superclass
        if low == "__dynasty":
            return self.dynasty
        if low == "__derivation":
            return list(self.derivation)
        if low == "__genus":
            return WBEM_GENUS_CLASS
        if low == "__namespace":
            return self.namespace
        if low == "__server":
            return self.server
        if low == "__relpath":
            return self.name
        if low == "__path":
            if self.namespace is None:
                return None
            ns = self.namespace.replace("/", "\\")
            return f"\\\\{self.server or '.'}\\{ns}:{self.name}"
        if low == "__property_count":
            return len(self.properties)
        raise KeyError(name)

    def __getitem__(self, name: str) -> Any:
        if name.startswith("__"):
            return self.system_property(name)
        return self.properties[name].default

    def copy(self) -> CIMClass:
        return replace(
            self,
            properties=NocaseDict(
                (k, replace(v, qualifiers=v.qualifiers.copy()))
                for k, v in self.properties.items()
            ),
            methods=self.methods.copy(),
            qualifiers=self.qualifiers.copy(),
        )

    def local(self) -> CIMClass:
        """This class without inherited (propagated) members: what MOF would declare."""
        return CIMClass(
            self.name,
            self.superclass,
            NocaseDict((k, p) for k, p in self.properties.items() if not p.propagated),
            NocaseDict((k, m) for k, m in self.methods.items() if not m.propagated),
            NocaseDict((k, q) for k, q in self.qualifiers.items() if not q.propagated),
            (),
            self.namespace,
            self.server,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIMClass):
            return NotImplemented
        return (
            self.name.lower() == other.name.lower()
            and (self.superclass or "").lower() == (other.superclass or "").lower()
            and self.properties == other.properties
            and self.methods == other.methods
            and self.qualifiers == other.qualifiers
        )

    def __repr__(self) -> str:
        sup = f" : {self.superclass}" if self.superclass else ""
        return f"<CIMClass {self.name}{sup} ({len(self.properties)} properties)>"


def _inherit_qualifiers(
    local: NocaseDict[Qualifier], parent: NocaseDict[Qualifier], where: str
) -> NocaseDict[Qualifier]:
    merged: NocaseDict[Qualifier] = NocaseDict()
    for name, q in parent.items():
        if q.tosubclass and name.lower() not in _NOT_INHERITED:
            merged[name] = replace(q, propagated=True)
    for name, q in local.items():
        inherited = merged.get(name)
        if (
            inherited is not None
            and not inherited.overridable
            and q.value != inherited.value
        ):
            raise WbemError.of(
                HResult.WBEM_E_OVERRIDE_NOT_ALLOWED,
                f"{where}: qualifier {name} is DisableOverride",
            )
        merged[name] = q
    return merged


# Qualifiers that describe one class only, never inherited (DSP0004 Restricted).
_NOT_INHERITED = frozenset({"abstract", "association", "indication"})


def resolve_class(local: CIMClass, parent: CIMClass | None) -> CIMClass:
    """Build the resolved form of ``local`` given its resolved ``parent``.

    Raises:
        InvalidParameterError: the superclass name does not match ``parent``.
        TypeMismatchError: an overriding property changes the inherited type.
    """
    if (local.superclass is None) != (parent is None) or (
        parent is not None and parent.name.lower() != (local.superclass or "").lower()
    ):
        raise InvalidParameterError(
            f"class {local.name}: superclass {local.superclass!r} does not match"
        )
    props: NocaseDict[CIMProperty] = NocaseDict()
    methods: NocaseDict[CIMMethod] = NocaseDict()
    derivation: tuple[str, ...] = ()
    quals = local.qualifiers.copy()
    if parent is not None:
        derivation = (parent.name, *parent.derivation)
        quals = _inherit_qualifiers(local.qualifiers, parent.qualifiers, local.name)
        # association/indication are implied for subclasses (DSP0004 §5.6.3)
        for flag in ("association", "indication"):
            pq = parent.qualifiers.get(flag)
            if pq is not None and pq.value and flag not in quals:
                quals[flag] = replace(pq, propagated=True)
        for name, p in parent.properties.items():
            props[name] = replace(
                p, propagated=True, qualifiers=_propagate(p.qualifiers)
            )
        for name, m in parent.methods.items():
            methods[name] = replace(m, propagated=True)
    for name, p in local.properties.items():
        inherited = props.get(name)
        origin = local.name
        if inherited is not None:
            if inherited.type is not p.type or inherited.is_array != p.is_array:
                raise TypeMismatchError(
                    f"class {local.name}: property {name} overrides "
                    f"{inherited.class_origin}.{name} with a different type"
                )
            origin = inherited.class_origin or origin
            merged_q = _inherit_qualifiers(
                p.qualifiers, inherited.qualifiers, f"{local.name}.{name}"
            )
            p = replace(p, qualifiers=merged_q)
        props[name] = replace(p, class_origin=origin, propagated=False)
    for name, m in local.methods.items():
        inherited_m = methods.get(name)
        m_origin = inherited_m.class_origin if inherited_m is not None else None
        methods[name] = replace(
            m, class_origin=m_origin or local.name, propagated=False
        )
    return CIMClass(
        local.name,
        local.superclass if parent is None else parent.name,
        props,
        methods,
        quals,
        derivation,
        local.namespace,
        local.server,
    )


def _propagate(quals: NocaseDict[Qualifier]) -> NocaseDict[Qualifier]:
    return NocaseDict(
        (k, replace(q, propagated=True)) for k, q in quals.items() if q.tosubclass
    )
