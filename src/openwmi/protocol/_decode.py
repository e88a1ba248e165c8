"""CIM-XML (DSP0201) → the openwmi model, with lxml.

Owns the safe parser (no entities, no DTD, no network, size and depth caps)
and one decoder per CIM-XML element the operations of DSP0200 carry: values
(VALUE, VALUE.ARRAY, VALUE.REFERENCE, VALUE.REFARRAY, VALUE.NULL), paths
(CLASSNAME, INSTANCENAME, KEYBINDING, KEYVALUE, LOCALNAMESPACEPATH,
NAMESPACEPATH, (LOCAL)INSTANCEPATH, (LOCAL)CLASSPATH, OBJECTPATH), objects
(INSTANCE, CLASS with PROPERTY*, METHOD, PARAMETER*, QUALIFIER), the named
forms (VALUE.NAMEDINSTANCE, VALUE.INSTANCEWITHPATH, VALUE.OBJECTWITHPATH),
QUALIFIER.DECLARATION with SCOPE, and embedded objects carried as escaped
EmbeddedObject strings.

Imports model and errors only (sans-IO: bytes in, objects out); never asyncio,
socket, the engine or the manager.

Rule 1: a document that is not well-formed, declares a DTD, exceeds the size or
        depth cap raises ``ProtocolError`` (the server answers HTTP 400 with a
        CIMError header, never 500).
Rule 2: a well-formed document whose content does not fit DSP0201 raises
        ``ProtocolError("request-not-valid")``; a value that does not fit its
        declared type raises ``TypeMismatchError`` / ``InvalidParameterError``
        (answered as a CIM error inside a 200 response).
Rule 3: untyped values (a PARAMVALUE without PARAMTYPE, a KEYVALUE without
        TYPE) stay strings; ``coerce_text`` types them once the declaration
        is known.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs; lxml-stubs is not a dependency

from ..errors import InvalidParameterError, TypeMismatchError, WbemError
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
)

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT",
    "ProtocolError",
    "coerce_text",
    "decode_class",
    "decode_instance",
    "decode_instancename",
    "decode_namespace",
    "decode_object_path",
    "decode_qualifier_declaration",
    "decode_typed_value",
    "decode_value_element",
    "parse_document",
]

#: default caps; the server passes its own limits
MAX_DEPTH = 64
MAX_DOCUMENT = 16 * 1024 * 1024
Element = Any  # lxml.etree._Element (lxml ships no usable stubs here)


class ProtocolError(Exception):
    """The request is not acceptable CIM-XML (answered with HTTP 400 + CIMError).

    ``header`` is the DSP0200 CIMError header value
    (``request-not-well-formed``, ``request-not-valid``, ``unsupported-operation``…).
    """

    def __init__(
        self, message: str, header: str = "request-not-valid", status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.header = header
        self.status = status


# --- the parser ------------------------------------------------------------------


def parse_document(
    body: bytes, *, max_depth: int = MAX_DEPTH, max_size: int = MAX_DOCUMENT
) -> Element:
    """Parse a CIM-XML document safely and return its root element.

    Raises:
        ProtocolError: not well-formed, a DTD, too large, or nested too deep.
    """
    if len(body) > max_size:
        raise ProtocolError(
            f"document of {len(body)} bytes exceeds {max_size}",
            "request-not-well-formed",
            413,
        )
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise ProtocolError(
            f"XML is not well-formed: {exc}", "request-not-well-formed"
        ) from None
    if root is None:
        raise ProtocolError("empty document", "request-not-well-formed")
    if _too_deep(max_depth)(root):
        raise ProtocolError(
            f"XML nested deeper than {max_depth} elements",
            "request-not-well-formed",
        )
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ProtocolError(
            "a DOCTYPE is not allowed in CIM-XML requests", "request-not-well-formed"
        )
    return root


# One parser per thread (lxml parsers are not thread-safe), built once: making
# a parser per request cost more than parsing a small request. The options are
# the safe ones: no entities, no DTD, no network, libxml2's own size limits.
_local = threading.local()


def _parser() -> Any:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            huge_tree=False,
        )
    return parser


@functools.lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> Any:
    """An XPath test: is any element nested deeper than ``max_depth``? libxml2
    refuses documents deeper than 256 levels while parsing (``huge_tree`` off),
    so the tree it hands us is bounded before this check runs."""
    return etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")


def _invalid(el: Element, what: str) -> ProtocolError:
    tag = el.tag if el is not None else "?"
    return ProtocolError(f"<{tag}>: {what}", "request-not-valid")


def _attr(el: Element, name: str) -> str:
    value = el.get(name)
    if value is None:
        raise _invalid(el, f"attribute {name} is required")
    return str(value)


def _bool_attr(el: Element, name: str, default: bool) -> bool:
    value = el.get(name)
    if value is None:
        return default
    low = value.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    raise _invalid(el, f"attribute {name}={value!r} is not true/false")


def _children(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _text(el: Element) -> str:
    return "".join(el.itertext())


# --- scalar values -----------------------------------------------------------------


def _cimtype(el: Element, name: str = "TYPE") -> CIMType | None:
    value = el.get(name)
    if value is None:
        return None
    try:
        return CIMType.from_name(value)
    except WbemError:
        raise _invalid(el, f"{name}={value!r} is not a CIM type") from None


def _embedded(el: Element) -> str | None:
    value = el.get("EmbeddedObject") or el.get("EMBEDDEDOBJECT")
    if value is None:
        return None
    low = str(value).lower()
    if low not in ("object", "instance"):
        raise _invalid(el, f"EmbeddedObject={value!r}")
    return low


def _scalar(cimtype: CIMType, text: str, where: str) -> Any:
    """The value of one VALUE text for ``cimtype``."""
    try:
        if cimtype is CIMType.STRING:
            return text
        if cimtype.is_integer:
            s = text.strip()
            return int(s, 16) if s[:2].lower() in ("0x", "-0x") else int(s)
        if cimtype is CIMType.BOOLEAN:
            low = text.strip().lower()
            if low == "true":
                return True
            if low == "false":
                return False
            raise ValueError(text)
        if cimtype in (CIMType.REAL32, CIMType.REAL64):
            s = text.strip()
            low = s.lower()
            if low in ("inf", "+inf"):
                return math.inf
            if low == "-inf":
                return -math.inf
            return float(s)
        if cimtype is CIMType.CHAR16:
            if len(text) != 1:
                raise ValueError(text)
            return text
        if cimtype is CIMType.DATETIME:
            return CIMDateTime.parse(text)
        if cimtype in (CIMType.OBJECT, CIMType.INSTANCE):
            return decode_embedded(text)
    except WbemError:
        raise
    except ValueError:
        raise TypeMismatchError(
            f"{where}: {text!r} is not a valid {cimtype.value}"
        ) from None
    raise TypeMismatchError(f"{where}: a {cimtype.value} cannot be given as text")


def coerce_text(cimtype: CIMType, value: Any, *, is_array: bool, where: str) -> Any:
    """Type an untyped (string) value by its declaration (Rule 3)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [coerce_text(cimtype, v, is_array=False, where=where) for v in value]
    if not isinstance(value, str) or cimtype is CIMType.STRING:
        return value
    if cimtype is CIMType.REFERENCE:
        return ObjectPath.parse(value)
    return _scalar(cimtype, value, where)


def decode_embedded(text: str) -> CIMInstance | CIMClass:
    """An EmbeddedObject string: the escaped XML of an INSTANCE or a CLASS."""
    root = parse_document(text.encode("utf-8"))
    if root.tag == "INSTANCE":
        return decode_instance(root)
    if root.tag == "CLASS":
        return decode_class(root)
    if root.tag in _NAMED:  # pywbem embeds an instance that has a path this way
        return decode_named_instance(root)
    raise _invalid(root, "an embedded object must be an INSTANCE or a CLASS")


# --- VALUE.* -----------------------------------------------------------------------


def decode_value_element(
    el: Element, cimtype: CIMType | None, where: str = "value"
) -> Any:
    """VALUE, VALUE.ARRAY, VALUE.REFERENCE, VALUE.REFARRAY or VALUE.NULL.

    With ``cimtype`` None, VALUE texts stay strings (untyped).
    """
    tag = el.tag
    if tag == "VALUE":
        if cimtype is None:
            return _text(el)
        return _scalar(cimtype, _text(el), where)
    if tag == "VALUE.NULL":
        return None
    if tag == "VALUE.ARRAY" or tag == "VALUE.REFARRAY":
        return [decode_value_element(c, cimtype, where) for c in _children(el)]
    if tag == "VALUE.REFERENCE":
        kids = _children(el)
        if len(kids) != 1:
            raise _invalid(el, "needs exactly one path element")
        return decode_object_path(kids[0])
    raise _invalid(el, f"unexpected element in a value: {tag}")


def decode_typed_value(el: Element | None, cimtype: CIMType | None, where: str) -> Any:
    return None if el is None else decode_value_element(el, cimtype, where)


# --- paths ---------------------------------------------------------------------------


def decode_namespace(el: Element) -> str:
    """LOCALNAMESPACEPATH → ``root/cimv2``."""
    if el.tag != "LOCALNAMESPACEPATH":
        raise _invalid(el, "expected LOCALNAMESPACEPATH")
    parts = [_attr(c, "NAME") for c in _children(el) if c.tag == "NAMESPACE"]
    if not parts:
        raise _invalid(el, "needs at least one NAMESPACE")
    return "/".join(p.strip("/") for p in parts)


def _namespacepath(el: Element) -> tuple[str | None, str]:
    host: str | None = None
    ns = ""
    for c in _children(el):
        if c.tag == "HOST":
            host = _text(c).strip() or None
        elif c.tag == "LOCALNAMESPACEPATH":
            ns = decode_namespace(c)
    if not ns:
        raise _invalid(el, "needs a LOCALNAMESPACEPATH")
    return host, ns


def _keyvalue(el: Element) -> Any:
    text = _text(el)
    t = _cimtype(el)
    if t is not None and t is not CIMType.STRING:
        return _scalar(t, text, "KEYVALUE")
    vtype = (el.get("VALUETYPE") or "string").lower()
    if vtype == "string" or t is CIMType.STRING:
        return text
    if vtype == "boolean":
        return _scalar(CIMType.BOOLEAN, text, "KEYVALUE")
    if vtype == "numeric":
        s = text.strip()
        try:
            return int(s)
        except ValueError:
            try:
                return float(s)
            except ValueError:
                raise TypeMismatchError(f"KEYVALUE: {text!r} is not numeric") from None
    raise _invalid(el, f"VALUETYPE={vtype!r}")


def decode_instancename(
    el: Element, namespace: str | None = None, host: str | None = None
) -> ObjectPath:
    """INSTANCENAME → an instance ``ObjectPath`` (singleton when it has no keys)."""
    if el.tag != "INSTANCENAME":
        raise _invalid(el, "expected INSTANCENAME")
    classname = _attr(el, "CLASSNAME")
    keys: list[tuple[str, Any]] = []
    for c in _children(el):
        if c.tag == "KEYBINDING":
            name = _attr(c, "NAME")
            kids = _children(c)
            if len(kids) != 1:
                raise _invalid(c, "needs one KEYVALUE or VALUE.REFERENCE")
            k = kids[0]
            if k.tag == "KEYVALUE":
                keys.append((name, _keyvalue(k)))
            elif k.tag == "VALUE.REFERENCE":
                keys.append((name, decode_value_element(k, CIMType.REFERENCE)))
            else:
                raise _invalid(c, f"unexpected {k.tag}")
        elif c.tag == "KEYVALUE":
            keys.append(("", _keyvalue(c)))
        elif c.tag == "VALUE.REFERENCE":
            keys.append(("", decode_value_element(c, CIMType.REFERENCE)))
        else:
            raise _invalid(el, f"unexpected {c.tag}")
    return ObjectPath(classname, tuple(keys), namespace, host, singleton=not keys)


def decode_object_path(el: Element) -> ObjectPath:
    """Any path element: OBJECTPATH, (LOCAL)INSTANCEPATH, INSTANCENAME,
    (LOCAL)CLASSPATH or CLASSNAME."""
    tag = el.tag
    kids = _children(el)
    if tag == "OBJECTPATH":
        if len(kids) != 1:
            raise _invalid(el, "needs one INSTANCEPATH or CLASSPATH")
        return decode_object_path(kids[0])
    if tag == "INSTANCENAME":
        return decode_instancename(el)
    if tag == "CLASSNAME":
        return ObjectPath(_attr(el, "NAME"))
    if tag in ("INSTANCEPATH", "CLASSPATH"):
        if len(kids) != 2 or kids[0].tag != "NAMESPACEPATH":
            raise _invalid(el, "needs NAMESPACEPATH and a name")
        host, ns = _namespacepath(kids[0])
        inner = decode_object_path(kids[1])
        return inner.with_namespace(ns, host)
    if tag in ("LOCALINSTANCEPATH", "LOCALCLASSPATH"):
        if len(kids) != 2 or kids[0].tag != "LOCALNAMESPACEPATH":
            raise _invalid(el, "needs LOCALNAMESPACEPATH and a name")
        ns = decode_namespace(kids[0])
        return decode_object_path(kids[1]).with_namespace(ns)
    raise _invalid(el, "expected a path element")


# --- qualifiers ------------------------------------------------------------------------


def _qualifier(el: Element) -> Qualifier:
    name = _attr(el, "NAME")
    t = _cimtype(el)
    kids = _children(el)
    value = decode_typed_value(kids[0] if kids else None, t, f"qualifier {name}")
    return Qualifier(
        name,
        value,
        t,
        overridable=_bool_attr(el, "OVERRIDABLE", True),
        tosubclass=_bool_attr(el, "TOSUBCLASS", True),
        toinstance=_bool_attr(el, "TOINSTANCE", False),
        translatable=_bool_attr(el, "TRANSLATABLE", False),
        propagated=_bool_attr(el, "PROPAGATED", False),
    )


def _qualifiers(els: list[Element]) -> NocaseDict[Qualifier]:
    out: NocaseDict[Qualifier] = NocaseDict()
    for q in els:
        qual = _qualifier(q)
        out[qual.name] = qual
    return out


_SCOPE_NAMES = (
    "CLASS",
    "ASSOCIATION",
    "REFERENCE",
    "PROPERTY",
    "METHOD",
    "PARAMETER",
    "INDICATION",
)


def decode_qualifier_declaration(el: Element) -> QualifierDeclaration:
    """QUALIFIER.DECLARATION (``<SCOPE ANY="true">`` is accepted, never sent)."""
    if el.tag != "QUALIFIER.DECLARATION":
        raise _invalid(el, "expected QUALIFIER.DECLARATION")
    name = _attr(el, "NAME")
    t = _cimtype(el)
    if t is None:
        raise _invalid(el, "attribute TYPE is required")
    is_array = _bool_attr(el, "ISARRAY", False)
    size = el.get("ARRAYSIZE")
    scopes: set[str] = set()
    value = None
    for c in _children(el):
        if c.tag == "SCOPE":
            if _bool_attr(c, "ANY", False):
                scopes.add("any")
            for s in _SCOPE_NAMES:
                if _bool_attr(c, s, False):
                    scopes.add(s.lower())
        else:
            value = decode_value_element(c, t, f"qualifier {name}")
    return QualifierDeclaration(
        name,
        t,
        is_array=is_array,
        array_size=int(size) if size else None,
        default=value,
        scopes=frozenset(scopes) or frozenset({"any"}),
        overridable=_bool_attr(el, "OVERRIDABLE", True),
        tosubclass=_bool_attr(el, "TOSUBCLASS", True),
        toinstance=_bool_attr(el, "TOINSTANCE", False),
        translatable=_bool_attr(el, "TRANSLATABLE", False),
    )


# --- properties, instances, classes --------------------------------------------------------


def _prop_type(el: Element, quals: NocaseDict[Qualifier]) -> tuple[CIMType, str | None]:
    if el.tag == "PROPERTY.REFERENCE":
        return CIMType.REFERENCE, None
    t = _cimtype(el)
    if t is None:
        raise _invalid(el, "attribute TYPE is required")
    if t is CIMType.STRING:
        ei = quals.get("EmbeddedInstance")
        kind = _embedded(el)
        if ei is not None:
            return CIMType.INSTANCE, ei.value if isinstance(ei.value, str) else None
        eo = quals.get("EmbeddedObject")
        if kind == "instance":
            return CIMType.INSTANCE, None
        if kind == "object" or (eo is not None and eo.value):
            return CIMType.OBJECT, None
    return t, None


def _property(el: Element) -> tuple[CIMProperty, Any]:
    """A PROPERTY / PROPERTY.ARRAY / PROPERTY.REFERENCE and its value."""
    name = _attr(el, "NAME")
    kids = _children(el)
    quals = _qualifiers([k for k in kids if k.tag == "QUALIFIER"])
    values = [k for k in kids if k.tag != "QUALIFIER"]
    t, embedded_class = _prop_type(el, quals)
    is_array = el.tag == "PROPERTY.ARRAY"
    if len(values) > 1:
        raise _invalid(el, f"property {name} has more than one value")
    value = decode_typed_value(values[0] if values else None, t, name)
    if is_array and value is not None and not isinstance(value, list):
        raise _invalid(el, f"array property {name} needs VALUE.ARRAY")
    size = el.get("ARRAYSIZE")
    prop = CIMProperty(
        name,
        t,
        is_array=is_array,
        array_size=int(size) if size else None,
        default=value,
        qualifiers=quals,
        reference_class=el.get("REFERENCECLASS"),
        embedded_class=embedded_class,
        class_origin=el.get("CLASSORIGIN"),
        propagated=_bool_attr(el, "PROPAGATED", False),
    )
    return prop, value


_PROPERTY_TAGS = frozenset({"PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE"})


def decode_instance(el: Element, path: ObjectPath | None = None) -> CIMInstance:
    """INSTANCE → a loose ``CIMInstance`` (values typed by their TYPE attributes)."""
    if el.tag != "INSTANCE":
        raise _invalid(el, "expected INSTANCE")
    classname = _attr(el, "CLASSNAME")
    values: dict[str, Any] = {}
    for c in _children(el):
        if c.tag in _PROPERTY_TAGS:
            prop, value = _property(c)
            values[prop.name] = value
        elif c.tag != "QUALIFIER":
            raise _invalid(el, f"unexpected {c.tag}")
    inst = CIMInstance(classname, path=path)
    object.__setattr__(inst, "_values", values)  # loose: no per-value checks twice
    if path is not None:
        inst.namespace = path.namespace
        object.__setattr__(inst, "_path", path)
    return inst


def _parameter(el: Element) -> CIMParameter:
    name = _attr(el, "NAME")
    quals = _qualifiers([k for k in _children(el) if k.tag == "QUALIFIER"])
    tag = el.tag
    if tag in ("PARAMETER.REFERENCE", "PARAMETER.REFARRAY"):
        t: CIMType = CIMType.REFERENCE
        emb = None
    else:
        t, emb = _prop_type(el, quals)
    size = el.get("ARRAYSIZE")
    return CIMParameter(
        name,
        t,
        is_array=tag in ("PARAMETER.ARRAY", "PARAMETER.REFARRAY"),
        array_size=int(size) if size else None,
        qualifiers=quals,
        reference_class=el.get("REFERENCECLASS"),
        embedded_class=emb,
    )


def _method(el: Element) -> CIMMethod:
    name = _attr(el, "NAME")
    t = _cimtype(el) or CIMType.UINT32
    kids = _children(el)
    params: NocaseDict[CIMParameter] = NocaseDict()
    for k in kids:
        if k.tag.startswith("PARAMETER"):
            p = _parameter(k)
            params[p.name] = p
    return CIMMethod(
        name,
        t,
        params,
        _qualifiers([k for k in kids if k.tag == "QUALIFIER"]),
        class_origin=el.get("CLASSORIGIN"),
        propagated=_bool_attr(el, "PROPAGATED", False),
    )


def decode_class(el: Element) -> CIMClass:
    """CLASS → a ``CIMClass`` (as declared; the manager resolves inheritance)."""
    if el.tag != "CLASS":
        raise _invalid(el, "expected CLASS")
    props: NocaseDict[CIMProperty] = NocaseDict()
    methods: NocaseDict[CIMMethod] = NocaseDict()
    quals: list[Element] = []
    for c in _children(el):
        if c.tag in _PROPERTY_TAGS:
            prop, _ = _property(c)
            props[prop.name] = prop
        elif c.tag == "METHOD":
            m = _method(c)
            methods[m.name] = m
        elif c.tag == "QUALIFIER":
            quals.append(c)
        else:
            raise _invalid(el, f"unexpected {c.tag}")
    return CIMClass(
        _attr(el, "NAME"),
        el.get("SUPERCLASS") or None,
        props,
        methods,
        _qualifiers(quals),
    )


_NAMED = frozenset(
    {
        "VALUE.NAMEDINSTANCE",
        "VALUE.INSTANCEWITHPATH",
        "VALUE.OBJECTWITHPATH",
        "VALUE.OBJECTWITHLOCALPATH",
    }
)


def decode_named_instance(el: Element) -> CIMInstance:
    """VALUE.NAMEDINSTANCE / VALUE.INSTANCEWITHPATH / VALUE.OBJECTWITHPATH → instance."""
    kids = _children(el)
    if len(kids) != 2 or kids[1].tag != "INSTANCE":
        raise _invalid(el, "needs a name and an INSTANCE")
    path = decode_object_path(kids[0])
    return decode_instance(kids[1], path)


def check_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"{where}: {value!r} is not an integer")
    return value
