"""The CIM object model: types, qualifiers, classes, instances, object paths.

Pure data: imports only openwmi.errors and openwmi.constants; no I/O, no
asyncio, no sockets, no XML.
"""

from ._classes import CIMClass as CIMClass
from ._classes import CIMMethod as CIMMethod
from ._classes import CIMParameter as CIMParameter
from ._classes import CIMProperty as CIMProperty
from ._classes import ClassFacts as ClassFacts
from ._classes import qualifier_dict as qualifier_dict
from ._classes import resolve_class as resolve_class
from ._instances import CIMInstance as CIMInstance
from ._instances import coerce_property as coerce_property
from ._names import NocaseDict as NocaseDict
from ._paths import ObjectPath as ObjectPath
from ._paths import format_key_value as format_key_value
from ._qualifiers import SCOPES as SCOPES
from ._qualifiers import Qualifier as Qualifier
from ._qualifiers import QualifierDeclaration as QualifierDeclaration
from ._types import CIMDateTime as CIMDateTime
from ._types import CIMType as CIMType
from ._types import coerce_value as coerce_value
from ._types import type_of_value as type_of_value

__all__ = [
    "SCOPES",
    "CIMClass",
    "CIMDateTime",
    "CIMInstance",
    "CIMMethod",
    "CIMParameter",
    "CIMProperty",
    "CIMType",
    "ClassFacts",
    "NocaseDict",
    "ObjectPath",
    "Qualifier",
    "QualifierDeclaration",
    "coerce_property",
    "coerce_value",
    "format_key_value",
    "qualifier_dict",
    "resolve_class",
    "type_of_value",
]
