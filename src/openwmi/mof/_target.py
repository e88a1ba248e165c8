"""What a MOF compilation produces and where it goes.

Owns the ``MofItem`` tagged union (``QualifierDeclItem``, ``ClassItem``,
``InstanceItem``), ``MofResult``, and the ``MofTarget`` Protocol that the
object manager implements. Pure data; imports only openwmi.model (for types)
and never the repository, the manager or asyncio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..model import CIMClass, CIMInstance, QualifierDeclaration

__all__ = [
    "ClassItem",
    "InstanceItem",
    "MofItem",
    "MofResult",
    "MofTarget",
    "QualifierDeclItem",
]


@dataclass(frozen=True, slots=True)
class QualifierDeclItem:
    """``Qualifier Name : type …;`` — create or replace a qualifier declaration."""

    namespace: str
    decl: QualifierDeclaration


@dataclass(frozen=True, slots=True)
class ClassItem:
    """``class Name : Super { … };`` — create or update a class.

    ``cls`` is the *local* definition: only the class's own properties,
    methods and qualifiers, plus its ``superclass`` name. The target resolves
    inheritance.
    """

    namespace: str
    cls: CIMClass


@dataclass(frozen=True, slots=True)
class InstanceItem:
    """``instance of Name { … };`` — create or update an instance.

    ``inst`` is loose (``CIMInstance("Name", {...})``) and carries only the
    values the MOF gave; values are already of their declared types
    (references are ``ObjectPath``, embedded objects are ``CIMInstance``).
    """

    namespace: str
    inst: CIMInstance


MofItem = QualifierDeclItem | ClassItem | InstanceItem


@dataclass(frozen=True, slots=True)
class MofResult:
    """Counts of what one compilation applied, and the namespaces it wrote to."""

    qualifiers: int = 0
    classes: int = 0
    instances: int = 0
    namespaces: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.qualifiers + self.classes + self.instances


class MofTarget(Protocol):
    """Where compiled MOF goes (implemented by the object manager).

    Reads must not fail for a namespace that does not exist yet: they return
    None / an empty list (a MOF may create the namespace it then fills).

    ``apply_mof`` applies every item in order, all or nothing: when it raises,
    nothing was written. It may put ``item=<index>`` into the error's
    ``details``; the compiler then prefixes the message with that item's
    ``file:line:column`` and snippet.
    """

    def get_qualifier_declaration(
        self, namespace: str, name: str
    ) -> QualifierDeclaration | None: ...

    def list_qualifier_declarations(
        self, namespace: str
    ) -> list[QualifierDeclaration]: ...

    def get_class(self, namespace: str, name: str) -> CIMClass | None:
        """The *resolved* class (inherited members included), or None."""
        ...

    def ensure_namespace(self, namespace: str) -> None: ...

    def apply_mof(self, namespace: str, items: list[MofItem]) -> None: ...
