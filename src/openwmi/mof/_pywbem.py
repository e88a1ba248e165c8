"""Converters between pywbem's CIM objects and the openwmi model, both directions.

Owns: ``*_from_pywbem`` (pywbem → openwmi: what the MOF compiler produces) and
``*_to_pywbem`` (openwmi → pywbem: for interop tests, benchmarks and anything
that hands our objects to a pywbem API). Imports only openwmi.model,
openwmi.errors and pywbem; never the repository, the manager or asyncio.

Rules:

* Rule 1 — types. pywbem keeps embedded objects as ``string`` properties
  marked by an ``EmbeddedObject`` / ``EmbeddedInstance`` qualifier (classes)
  or by ``embedded_object`` (instance properties). They become
  ``CIMType.OBJECT`` / ``CIMType.INSTANCE``; the qualifier is kept, and
  ``EmbeddedInstance("X")`` sets ``embedded_class="X"``. References become
  ``CIMType.REFERENCE`` with ``reference_class``.
* Rule 2 — values. pywbem's typed numbers (``Uint8`` …, ``Real32`` …) become
  plain ``int`` / ``float``; ``Char16`` becomes ``str``; ``CIMDateTime`` becomes
  our ``CIMDateTime``; ``CIMInstanceName`` becomes ``ObjectPath``; embedded
  pywbem instances/classes become ours. The reverse direction types each value
  by its declared (or inferred) CIM type.
* Rule 3 — flavors. pywbem leaves unspecified flavors as None; they become
  DSP0004's defaults (EnableOverride, ToSubclass, not ToInstance, not
  Translatable).
* Rule 4 — round trip. ``x_from_pywbem(x_to_pywbem(obj)) == obj`` for every
  model object. One exception: an ``INSTANCE`` property with an
  ``embedded_class`` but no ``EmbeddedInstance`` qualifier gains that
  qualifier on the way to pywbem (pywbem has nowhere else to keep the class
  name).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import pywbem

from ..model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMMethod,
    CIMParameter,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
    QualifierDeclaration,
    type_of_value,
)

__all__ = [
    "class_from_pywbem",
    "class_to_pywbem",
    "instance_from_pywbem",
    "instance_to_pywbem",
    "method_from_pywbem",
    "method_to_pywbem",
    "parameter_from_pywbem",
    "parameter_to_pywbem",
    "path_from_pywbem",
    "path_to_pywbem",
    "property_from_pywbem",
    "property_to_pywbem",
    "qualifier_declaration_from_pywbem",
    "qualifier_declaration_to_pywbem",
    "qualifier_from_pywbem",
    "qualifier_to_pywbem",
    "value_from_pywbem",
    "value_to_pywbem",
]

# pywbem's scope keywords, in DSP0004 order ("ANY" last).
_PYWBEM_SCOPES = (
    "CLASS",
    "ASSOCIATION",
    "INDICATION",
    "PROPERTY",
    "REFERENCE",
    "METHOD",
    "PARAMETER",
    "ANY",
)
_EMBEDDED_OBJECT = "EmbeddedObject"
_EMBEDDED_INSTANCE = "EmbeddedInstance"


def _flag(value: bool | None, default: bool) -> bool:
    return default if value is None else bool(value)


# --- values -------------------------------------------------------------------


def value_from_pywbem(value: Any) -> Any:
    """A pywbem value (scalar, list, path, embedded object) as an openwmi value."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [value_from_pywbem(v) for v in value]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, pywbem.CIMDateTime):
        return CIMDateTime(str(value))
    if isinstance(value, (pywbem.CIMInstanceName, pywbem.CIMClassName)):
        return path_from_pywbem(value)
    if isinstance(value, pywbem.CIMInstance):
        return instance_from_pywbem(value)
    if isinstance(value, pywbem.CIMClass):
        return class_from_pywbem(value)
    if isinstance(value, (_dt.datetime, _dt.timedelta)):
        return CIMDateTime(str(pywbem.CIMDateTime(value)))
    return value


def _infer_type(value: Any) -> CIMType:
    """``type_of_value`` plus the model objects it cannot know (references,
    embedded instances and classes)."""
    probe = (
        next((v for v in value if v is not None), None)
        if isinstance(value, (list, tuple))
        else value
    )
    if isinstance(probe, ObjectPath):
        return CIMType.REFERENCE
    if isinstance(probe, CIMInstance):
        return CIMType.INSTANCE
    if isinstance(probe, CIMClass):
        return CIMType.OBJECT
    return type_of_value(value)


def _pywbem_type(cimtype: CIMType) -> str:
    if cimtype in (CIMType.OBJECT, CIMType.INSTANCE):
        return "string"
    return str(cimtype.value)


def _scalar_to_pywbem(cimtype: CIMType, value: Any) -> Any:
    if value is None:
        return None
    if cimtype is CIMType.REFERENCE:
        if isinstance(value, str):
            value = ObjectPath.parse(value)
        return path_to_pywbem(value)
    if cimtype in (CIMType.OBJECT, CIMType.INSTANCE):
        if isinstance(value, CIMClass):
            return class_to_pywbem(value)
        return instance_to_pywbem(value)
    if cimtype is CIMType.DATETIME:
        if isinstance(value, CIMDateTime):
            return pywbem.CIMDateTime(value.text)
        return pywbem.CIMDateTime(value)
    return pywbem.cimvalue(value, cimtype.value)


def value_to_pywbem(value: Any, cimtype: CIMType | None = None) -> Any:
    """An openwmi value as the pywbem value of ``cimtype`` (inferred when None)."""
    if value is None:
        return None
    t = cimtype if cimtype is not None else _infer_type(value)
    if isinstance(value, (list, tuple)):
        return [_scalar_to_pywbem(t, v) for v in value]
    return _scalar_to_pywbem(t, value)


# --- paths --------------------------------------------------------------------


def path_from_pywbem(
    path: pywbem.CIMInstanceName | pywbem.CIMClassName,
) -> ObjectPath:
    """A pywbem instance or class path as an ``ObjectPath``."""
    if isinstance(path, pywbem.CIMClassName):
        return ObjectPath(path.classname, (), path.namespace, path.host)
    keys = tuple((k, value_from_pywbem(v)) for k, v in path.keybindings.items())
    return ObjectPath(
        path.classname, keys, path.namespace, path.host, singleton=not keys
    )


def path_to_pywbem(
    path: ObjectPath,
) -> pywbem.CIMInstanceName | pywbem.CIMClassName:
    """An ``ObjectPath`` as a pywbem ``CIMInstanceName`` (or ``CIMClassName``)."""
    ns = path.namespace.replace("\\", "/") if path.namespace else None
    if path.is_class:
        return pywbem.CIMClassName(path.classname, host=path.server, namespace=ns)
    keys: list[tuple[str, Any]] = []
    for name, value in path.keybindings:
        if isinstance(value, ObjectPath):
            value = path_to_pywbem(value)
        keys.append((name, value))
    return pywbem.CIMInstanceName(
        path.classname,
        keybindings=pywbem.NocaseDict(keys),
        host=path.server,
        namespace=ns,
    )


# --- qualifiers -----------------------------------------------------------------


def qualifier_declaration_from_pywbem(
    decl: pywbem.CIMQualifierDeclaration,
) -> QualifierDeclaration:
    """A pywbem qualifier type as a ``QualifierDeclaration``."""
    scopes = frozenset(k.lower() for k, v in (decl.scopes or {}).items() if v)
    return QualifierDeclaration(
        decl.name,
        CIMType.from_name(decl.type),
        is_array=bool(decl.is_array),
        array_size=decl.array_size,
        default=value_from_pywbem(decl.value),
        scopes=scopes or frozenset({"any"}),
        overridable=_flag(decl.overridable, True),
        tosubclass=_flag(decl.tosubclass, True),
        toinstance=_flag(decl.toinstance, False),
        translatable=_flag(decl.translatable, False),
    )


def qualifier_declaration_to_pywbem(
    decl: QualifierDeclaration,
) -> pywbem.CIMQualifierDeclaration:
    """A ``QualifierDeclaration`` as a pywbem ``CIMQualifierDeclaration``."""
    scopes = {s: s.lower() in decl.scopes for s in _PYWBEM_SCOPES}
    return pywbem.CIMQualifierDeclaration(
        decl.name,
        decl.type.value,
        value=value_to_pywbem(decl.default, decl.type),
        is_array=decl.is_array,
        array_size=decl.array_size,
        scopes=scopes,
        overridable=decl.overridable,
        tosubclass=decl.tosubclass,
        toinstance=decl.toinstance,
        translatable=decl.translatable,
    )


def qualifier_from_pywbem(qual: pywbem.CIMQualifier) -> Qualifier:
    """A pywbem qualifier value as a ``Qualifier``."""
    return Qualifier(
        qual.name,
        value_from_pywbem(qual.value),
        CIMType.from_name(qual.type) if qual.type else None,
        overridable=_flag(qual.overridable, True),
        tosubclass=_flag(qual.tosubclass, True),
        toinstance=_flag(qual.toinstance, False),
        translatable=_flag(qual.translatable, False),
        propagated=bool(qual.propagated),
    )


def qualifier_to_pywbem(qual: Qualifier) -> pywbem.CIMQualifier:
    """A ``Qualifier`` as a pywbem ``CIMQualifier``."""
    t = qual.type if qual.type is not None else _infer_type(qual.value)
    return pywbem.CIMQualifier(
        qual.name,
        value_to_pywbem(qual.value, t),
        type=t.value,
        propagated=qual.propagated,
        overridable=qual.overridable,
        tosubclass=qual.tosubclass,
        toinstance=qual.toinstance,
        translatable=qual.translatable,
    )


def _quals_from(quals: Mapping[str, pywbem.CIMQualifier]) -> NocaseDict[Qualifier]:
    return NocaseDict((q.name, qualifier_from_pywbem(q)) for q in quals.values())


def _quals_to(quals: NocaseDict[Qualifier]) -> list[pywbem.CIMQualifier]:
    return [qualifier_to_pywbem(q) for q in quals.values()]


# --- typed elements (properties and parameters) -------------------------------------


def _element_type(
    pytype: str,
    quals: NocaseDict[Qualifier],
    embedded_object: str | None,
) -> tuple[CIMType, str | None]:
    """(CIM type, embedded class) of a pywbem property or parameter (Rule 1)."""
    if pytype == "string":
        ei = quals.get(_EMBEDDED_INSTANCE)
        if ei is not None:
            return CIMType.INSTANCE, ei.value if isinstance(ei.value, str) else None
        eo = quals.get(_EMBEDDED_OBJECT)
        if eo is not None and eo.value:
            return CIMType.OBJECT, None
        if embedded_object == "instance":
            return CIMType.INSTANCE, None
        if embedded_object == "object":
            return CIMType.OBJECT, None
    return CIMType.from_name(pytype), None


def _embedded_kind(cimtype: CIMType) -> str | None:
    if cimtype is CIMType.INSTANCE:
        return "instance"
    if cimtype is CIMType.OBJECT:
        return "object"
    return None


def _typed_quals(
    cimtype: CIMType, embedded_class: str | None, quals: NocaseDict[Qualifier]
) -> list[pywbem.CIMQualifier]:
    out = _quals_to(quals)
    if (
        cimtype is CIMType.INSTANCE
        and embedded_class is not None
        and _EMBEDDED_INSTANCE not in quals
    ):
        out.append(
            pywbem.CIMQualifier(_EMBEDDED_INSTANCE, embedded_class, type="string")
        )
    return out


def property_from_pywbem(prop: pywbem.CIMProperty) -> CIMProperty:
    """A pywbem class property (its value is the default) as a ``CIMProperty``."""
    quals = _quals_from(prop.qualifiers)
    cimtype, embedded = _element_type(prop.type, quals, prop.embedded_object)
    return CIMProperty(
        prop.name,
        cimtype,
        is_array=bool(prop.is_array),
        array_size=prop.array_size,
        default=value_from_pywbem(prop.value),
        qualifiers=quals,
        reference_class=prop.reference_class,
        embedded_class=embedded,
        class_origin=prop.class_origin,
        propagated=bool(prop.propagated),
    )


def property_to_pywbem(prop: CIMProperty) -> pywbem.CIMProperty:
    """A ``CIMProperty`` as a pywbem class property (default → value)."""
    return pywbem.CIMProperty(
        prop.name,
        value_to_pywbem(prop.default, prop.type),
        type=_pywbem_type(prop.type),
        class_origin=prop.class_origin,
        array_size=prop.array_size,
        propagated=prop.propagated,
        is_array=prop.is_array,
        reference_class=prop.reference_class,
        qualifiers=_typed_quals(prop.type, prop.embedded_class, prop.qualifiers),
        embedded_object=_embedded_kind(prop.type),
    )


def parameter_from_pywbem(param: pywbem.CIMParameter) -> CIMParameter:
    """A pywbem method parameter as a ``CIMParameter``."""
    quals = _quals_from(param.qualifiers)
    cimtype, embedded = _element_type(param.type, quals, param.embedded_object)
    return CIMParameter(
        param.name,
        cimtype,
        is_array=bool(param.is_array),
        array_size=param.array_size,
        qualifiers=quals,
        reference_class=param.reference_class,
        embedded_class=embedded,
    )


def parameter_to_pywbem(param: CIMParameter) -> pywbem.CIMParameter:
    """A ``CIMParameter`` as a pywbem ``CIMParameter``."""
    return pywbem.CIMParameter(
        param.name,
        _pywbem_type(param.type),
        reference_class=param.reference_class,
        is_array=param.is_array,
        array_size=param.array_size,
        qualifiers=_typed_quals(param.type, param.embedded_class, param.qualifiers),
        embedded_object=_embedded_kind(param.type),
    )


def method_from_pywbem(meth: pywbem.CIMMethod) -> CIMMethod:
    """A pywbem method as a ``CIMMethod``."""
    return CIMMethod(
        meth.name,
        CIMType.from_name(meth.return_type),
        NocaseDict(
            (p.name, parameter_from_pywbem(p)) for p in meth.parameters.values()
        ),
        _quals_from(meth.qualifiers),
        class_origin=meth.class_origin,
        propagated=bool(meth.propagated),
    )


def method_to_pywbem(meth: CIMMethod) -> pywbem.CIMMethod:
    """A ``CIMMethod`` as a pywbem ``CIMMethod``."""
    return pywbem.CIMMethod(
        meth.name,
        return_type=_pywbem_type(meth.return_type),
        parameters=[parameter_to_pywbem(p) for p in meth.parameters.values()],
        class_origin=meth.class_origin,
        propagated=meth.propagated,
        qualifiers=_quals_to(meth.qualifiers),
    )


# --- classes and instances ---------------------------------------------------------


def class_from_pywbem(cls: pywbem.CIMClass) -> CIMClass:
    """A pywbem class as a ``CIMClass`` (members keep their ``propagated`` flag)."""
    path = cls.path
    return CIMClass(
        cls.classname,
        cls.superclass or None,
        NocaseDict((p.name, property_from_pywbem(p)) for p in cls.properties.values()),
        NocaseDict((m.name, method_from_pywbem(m)) for m in cls.methods.values()),
        _quals_from(cls.qualifiers),
        namespace=path.namespace if path is not None else None,
        server=path.host if path is not None else None,
    )


def class_to_pywbem(cls: CIMClass) -> pywbem.CIMClass:
    """A ``CIMClass`` (local or resolved) as a pywbem ``CIMClass``."""
    path = None
    if cls.namespace:
        path = pywbem.CIMClassName(
            cls.name, host=cls.server, namespace=cls.namespace.replace("\\", "/")
        )
    return pywbem.CIMClass(
        cls.name,
        properties=[property_to_pywbem(p) for p in cls.properties.values()],
        methods=[method_to_pywbem(m) for m in cls.methods.values()],
        superclass=cls.superclass,
        qualifiers=_quals_to(cls.qualifiers),
        path=path,
    )


def instance_from_pywbem(inst: pywbem.CIMInstance) -> CIMInstance:
    """A pywbem instance as a loose ``CIMInstance`` (its class is not attached).

    The namespace and server of ``inst.path`` are kept; the key bindings are
    not (a loose instance's identity comes from its class once it is stored).
    """
    values = {p.name: value_from_pywbem(p.value) for p in inst.properties.values()}
    path = inst.path
    return CIMInstance(
        inst.classname,
        values,
        namespace=path.namespace if path is not None else None,
        server=path.host if path is not None else None,
    )


def instance_to_pywbem(
    inst: CIMInstance, cls: CIMClass | None = None
) -> pywbem.CIMInstance:
    """A ``CIMInstance`` as a pywbem ``CIMInstance``.

    Property types come from ``cls``, else from the instance's own class, else
    they are inferred from the values (NULL values of a loose instance become
    ``string``).
    """
    cimclass = cls if cls is not None else inst.cimclass
    props: list[pywbem.CIMProperty] = []
    for name, value in inst.items():
        decl = cimclass.properties.get(name) if cimclass is not None else None
        if decl is not None:
            t, is_array, ref = decl.type, decl.is_array, decl.reference_class
        else:
            t = _infer_type(value)
            is_array = isinstance(value, (list, tuple))
            ref = None
        props.append(
            pywbem.CIMProperty(
                name,
                value_to_pywbem(value, t),
                type=_pywbem_type(t),
                is_array=is_array,
                reference_class=ref,
                embedded_object=_embedded_kind(t),
            )
        )
    path = inst.path
    pypath = None
    if path is not None and path.is_instance:
        if path.namespace is None and inst.namespace:
            path = path.with_namespace(inst.namespace, inst.server)
        pypath = path_to_pywbem(path)
    return pywbem.CIMInstance(inst.classname, properties=props, path=pypath)
