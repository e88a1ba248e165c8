"""Qualifiers and qualifier declarations (DSP0004 §5.6).

Owns ``Qualifier``, ``QualifierDeclaration``, the scope names and the flavor
defaults. Pure data; imports only model types and errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import CIMType

__all__ = ["SCOPES", "Qualifier", "QualifierDeclaration"]

#: DSP0004 scope keywords; ``any`` stands for all of them.
SCOPES: frozenset[str] = frozenset(
    {
        "class",
        "association",
        "indication",
        "property",
        "reference",
        "method",
        "parameter",
        "qualifier",
        "any",
    }
)


@dataclass(frozen=True, slots=True)
class QualifierDeclaration:
    """``Qualifier Name : type [= default], Scope(...), Flavor(...)``.

    Flavor defaults are DSP0004's: EnableOverride, ToSubclass, not Translatable.
    """

    name: str
    type: CIMType
    is_array: bool = False
    array_size: int | None = None
    default: Any = None
    scopes: frozenset[str] = frozenset({"any"})
    overridable: bool = True
    tosubclass: bool = True
    toinstance: bool = False
    translatable: bool = False

    def allows(self, scope: str) -> bool:
        return "any" in self.scopes or scope in self.scopes


@dataclass(frozen=True, slots=True)
class Qualifier:
    """A qualifier value attached to a class, property, method or parameter.

    ``propagated`` is True when the value was inherited, not written on this
    element (WMI ``WBEM_FLAVOR_ORIGIN_PROPAGATED``).
    """

    name: str
    value: Any
    type: CIMType | None = None
    overridable: bool = True
    tosubclass: bool = True
    toinstance: bool = False
    translatable: bool = False
    propagated: bool = field(default=False, compare=False)
