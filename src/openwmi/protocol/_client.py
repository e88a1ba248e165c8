"""The client side of CIM-XML over HTTP, sans-IO: requests out, results in.

Owns what a WBEM *client* needs from DSP0200/DSP0201 and the server half of
this package does not give: building IMETHODCALL/METHODCALL request documents
and their CIM headers (``imethodcall``, ``methodcall``, ``request_headers``,
the ``iparam_*`` helpers), and reading responses: ``ResponseParser`` is a
streaming parser (lxml ``XMLPullParser``, entities/DTD/network off) fed with
the bytes as they arrive; it hands back each result object as soon as its
element is complete and forgets the element, so a 100,000-instance
EnumerateInstances response is decoded in constant memory. ``fast_instance``
decodes an INSTANCE without building per-property declarations (the hot path
of every enumeration).

Imports model, errors and the sibling decode/encode modules; never asyncio,
socket, httpx, the engine or the manager.

Rule 1: a response carries exactly one of ERROR, IRETURNVALUE/RETURNVALUE or
        nothing (a void operation); ``ResponseParser.error`` is the ERROR's
        ``(code, description)``.
Rule 2: decoded instances are *loose* (no class): values are typed by their
        TYPE attributes; paths get the request's namespace when the wire
        gives none.
Rule 3: malformed or truncated XML raises ``ProtocolError``; the caller maps
        it (the client reports it as a failed call, never a hang).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs

from ..errors import HResult, WbemError, cim_status_to_hresult, hresult_to_cim_status
from ..model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMType,
    ObjectPath,
    QualifierDeclaration,
)
from ._decode import (
    Element,
    ProtocolError,
    _children,
    _scalar,
    decode_class,
    decode_embedded,
    decode_instancename,
    decode_object_path,
    decode_qualifier_declaration,
    decode_value_element,
)
from ._encode import (
    class_xml,
    esc,
    instance_xml,
    instancename_xml,
    local_namespace_xml,
    qualifier_declaration_xml,
    value_xml,
)

__all__ = [
    "ResponseParser",
    "error_from_status",
    "fast_instance",
    "fast_instancename",
    "imethodcall",
    "iparam",
    "iparam_bool",
    "iparam_class",
    "iparam_classname",
    "iparam_instance",
    "iparam_instancename",
    "iparam_named_instance",
    "iparam_object_name",
    "iparam_qualifier_declaration",
    "iparam_str",
    "iparam_str_list",
    "iparam_uint",
    "methodcall",
    "new_message_id",
    "parse_whole_response",
    "request_headers",
]

XML_HEAD = '<?xml version="1.0" encoding="utf-8" ?>\n'
_ids = itertools.count(1000)


def new_message_id() -> str:
    """A fresh MESSAGE ID (unique per process)."""
    return str(next(_ids))


# --- requests --------------------------------------------------------------------------


def request_headers(method: str, cimobject: str) -> dict[str, str]:
    """The DSP0200 §7 headers of a request (``CIMObject`` URI-escaped)."""
    return {
        "Content-Type": 'application/xml; charset="utf-8"',
        "CIMOperation": "MethodCall",
        "CIMMethod": quote(method, safe=""),
        "CIMObject": quote(cimobject, safe="/:=.,\"'@\\"),
        "CIMProtocolVersion": "1.0",
    }


def _envelope(message_id: str, inner: str) -> bytes:
    return (
        f'{XML_HEAD}<CIM CIMVERSION="2.0" DTDVERSION="2.0">'
        f'<MESSAGE ID="{esc(message_id)}" PROTOCOLVERSION="1.0"><SIMPLEREQ>'
        f"{inner}</SIMPLEREQ></MESSAGE></CIM>"
    ).encode()


def imethodcall(
    method: str, namespace: str, params: Iterable[str], message_id: str
) -> bytes:
    """An intrinsic call; ``params`` are ready IPARAMVALUE texts."""
    return _envelope(
        message_id,
        f'<IMETHODCALL NAME="{esc(method)}">{local_namespace_xml(namespace)}'
        f"{''.join(params)}</IMETHODCALL>",
    )


def methodcall(
    method: str,
    target: ObjectPath,
    namespace: str,
    params: Iterable[str],
    message_id: str,
    key_names: list[str] | None = None,
) -> bytes:
    """An extrinsic call on an instance or a class; ``params`` are PARAMVALUE texts."""
    ns = local_namespace_xml(namespace)
    if target.is_instance:
        where = (
            f"<LOCALINSTANCEPATH>{ns}{instancename_xml(target, key_names)}"
            "</LOCALINSTANCEPATH>"
        )
    else:
        where = (
            f'<LOCALCLASSPATH>{ns}<CLASSNAME NAME="{esc(target.classname)}"/>'
            "</LOCALCLASSPATH>"
        )
    return _envelope(
        message_id,
        f'<METHODCALL NAME="{esc(method)}">{where}{"".join(params)}</METHODCALL>',
    )


def iparam(name: str, inner: str) -> str:
    return f'<IPARAMVALUE NAME="{esc(name)}">{inner}</IPARAMVALUE>'


def iparam_bool(name: str, value: bool) -> str:
    return iparam(name, f"<VALUE>{'TRUE' if value else 'FALSE'}</VALUE>")


def iparam_uint(name: str, value: int) -> str:
    return iparam(name, f"<VALUE>{int(value)}</VALUE>")


def iparam_str(name: str, value: str) -> str:
    return iparam(name, f"<VALUE>{esc(value)}</VALUE>")


def iparam_str_list(name: str, values: Iterable[str]) -> str:
    inner = "".join(f"<VALUE>{esc(v)}</VALUE>" for v in values)
    return iparam(name, f"<VALUE.ARRAY>{inner}</VALUE.ARRAY>")


def iparam_classname(name: str, classname: str) -> str:
    return iparam(name, f'<CLASSNAME NAME="{esc(classname)}"/>')


def iparam_instancename(
    name: str, path: ObjectPath, key_names: list[str] | None = None
) -> str:
    return iparam(name, instancename_xml(path, key_names))


def iparam_object_name(
    name: str, path: ObjectPath, key_names: list[str] | None = None
) -> str:
    """ObjectName of Associators/References: a class name or an instance name."""
    if path.is_class:
        return iparam_classname(name, path.classname)
    return iparam_instancename(name, path, key_names)


def iparam_instance(name: str, inst: CIMInstance) -> str:
    return iparam(name, instance_xml(inst))


def iparam_named_instance(
    name: str,
    inst: CIMInstance,
    path: ObjectPath,
    key_names: list[str] | None = None,
) -> str:
    return iparam(
        name,
        f"<VALUE.NAMEDINSTANCE>{instancename_xml(path, key_names)}"
        f"{instance_xml(inst)}</VALUE.NAMEDINSTANCE>",
    )


def iparam_class(name: str, cls: CIMClass) -> str:
    return iparam(name, class_xml(cls, local_only=True, include_qualifiers=True))


def iparam_qualifier_declaration(name: str, decl: QualifierDeclaration) -> str:
    return iparam(name, qualifier_declaration_xml(decl))


def iparam_value(name: str, value: Any, cimtype: CIMType | None = None) -> str:
    return iparam(name, value_xml(value, cimtype))


# --- errors ----------------------------------------------------------------------------

_BY_NAME = {h.name: int(h) for h in HResult}


def error_from_status(code: int, description: str, **details: Any) -> WbemError:
    """The WbemError for a CIM status (spec §11.3).

    When the description starts with a WMI code name that maps to ``code``
    (openwmi's server writes ``"WBEM_E_INVALID_OBJECT_PATH: …"``), that exact
    HRESULT is kept; otherwise the canonical HRESULT of the CIM status.
    """
    hresult = cim_status_to_hresult(code)
    message = description
    head, sep, rest = description.partition(": ")
    if sep and head in _BY_NAME:
        exact = _BY_NAME[head]
        if hresult_to_cim_status(exact) == code:
            hresult, message = exact, rest
    return WbemError.of(hresult, message, cim_status=code, **details)


# --- responses -------------------------------------------------------------------------

# the elements that can be one result inside IRETURNVALUE
_OBJECT_TAGS = (
    "VALUE.NAMEDINSTANCE",
    "VALUE.INSTANCEWITHPATH",
    "VALUE.OBJECTWITHPATH",
    "VALUE.OBJECTWITHLOCALPATH",
    "VALUE.OBJECT",
    "INSTANCE",
    "CLASS",
    "CLASSNAME",
    "INSTANCENAME",
    "INSTANCEPATH",
    "OBJECTPATH",
    "QUALIFIER.DECLARATION",
)
_STREAM_TAGS = (*_OBJECT_TAGS, "ERROR", "PARAMVALUE", "RETURNVALUE")
_TYPES: dict[str, CIMType] = {t.value: t for t in CIMType}
_TYPES["ref"] = CIMType.REFERENCE


def _type(name: str | None) -> CIMType | None:
    if name is None:
        return None
    t = _TYPES.get(name) or _TYPES.get(name.lower())
    if t is None:
        raise ProtocolError(f"TYPE={name!r} is not a CIM type")
    return t


def _loose(
    classname: str,
    values: dict[str, Any],
    path: ObjectPath | None,
    namespace: str | None,
) -> CIMInstance:
    inst: CIMInstance = object.__new__(CIMInstance)
    setattr_ = object.__setattr__
    setattr_(inst, "_class", None)
    setattr_(inst, "_classname", classname)
    setattr_(inst, "_values", values)
    setattr_(inst, "_loader", None)
    setattr_(inst, "_path", path)
    setattr_(inst, "namespace", namespace)
    setattr_(inst, "server", path.server if path is not None else None)
    return inst


def _embedded_kind(el: Element) -> bool:
    return el.get("EmbeddedObject") is not None or el.get("EMBEDDEDOBJECT") is not None


# --- scalar converters of the hot path (a failure falls back to ``_scalar``,
# which raises the precise TypeMismatchError) ---------------------------------------


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    raise ValueError(text)


def _char16(text: str) -> str:
    if len(text) != 1:
        raise ValueError(text)
    return text


def _datetime(text: str) -> CIMDateTime:
    """A DMTF datetime; the shape is checked here, field ranges when it is
    compared (``CIMDateTime.trusted``: a server's datetime is not re-validated
    value by value on the hot path)."""
    s = text.strip()
    if len(s) == 25 and s[14] == "." and s[21] in "+-:":
        return CIMDateTime.trusted(s)
    return CIMDateTime.parse(s)


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys(
        ("uint8", "sint8", "uint16", "sint16", "uint32", "sint32", "uint64", "sint64"),
        int,
    ),
    "boolean": _bool,
    "real32": float,
    "real64": float,
    "char16": _char16,
    "datetime": _datetime,
}


def fast_instance(
    el: Element, path: ObjectPath | None = None, namespace: str | None = None
) -> CIMInstance:
    """INSTANCE → a loose ``CIMInstance`` (Rule 2), without per-property
    declarations: one dict entry per PROPERTY."""
    classname = el.get("CLASSNAME")
    if classname is None:
        raise ProtocolError("<INSTANCE> needs a CLASSNAME")
    values: dict[str, Any] = {}
    converters = _CONVERTERS
    for c in el:
        tag = c.tag
        if tag == "PROPERTY":
            name = c.get("NAME")
            if not len(c):
                values[name] = None
                continue
            v = c[0]
            if v.tag != "VALUE":  # qualifiers come first
                v = c.find("VALUE")
                if v is None:
                    values[name] = None
                    continue
            tname = c.get("TYPE")
            text = v.text or ""
            if tname == "string":
                if c.get("EmbeddedObject") is None and c.get("EMBEDDEDOBJECT") is None:
                    values[name] = text
                else:
                    values[name] = decode_embedded(text)
            else:
                conv = converters.get(tname)
                if conv is not None:
                    try:
                        values[name] = conv(text)
                        continue
                    except (ValueError, TypeError):
                        pass  # hex integers, malformed values: the full decoder decides
                values[name] = _scalar(_type(tname) or CIMType.STRING, text, name)
        elif tag == "PROPERTY.ARRAY":
            name = c.get("NAME")
            tname = c.get("TYPE")
            value: Any = None
            for v in c:
                if v.tag == "VALUE.ARRAY":
                    if tname == "string" and not _embedded_kind(c):
                        value = [
                            None if x.tag == "VALUE.NULL" else (x.text or "") for x in v
                        ]
                    else:
                        t = _type(tname) or CIMType.STRING
                        if t is CIMType.STRING and _embedded_kind(c):
                            t = CIMType.OBJECT
                        value = decode_value_element(v, t, name)
                    break
            values[name] = value
        elif tag == "PROPERTY.REFERENCE":
            name = c.get("NAME")
            value = None
            for v in c:
                if v.tag == "VALUE.REFERENCE":
                    value = decode_value_element(v, CIMType.REFERENCE, name)
                    break
            values[name] = value
        elif tag == "QUALIFIER" or not isinstance(tag, str):
            continue
        else:
            raise ProtocolError(f"<INSTANCE>: unexpected <{tag}>")
    if path is not None and path.namespace is None and namespace is not None:
        path = path.with_namespace(namespace)
    return _loose(
        classname,
        values,
        path,
        path.namespace if path is not None and path.namespace else namespace,
    )


def fast_instancename(el: Element, namespace: str | None) -> ObjectPath:
    """INSTANCENAME → a path in ``namespace`` (string keys without a per-key
    decoder call; anything else through ``decode_instancename``)."""
    keys: list[tuple[str, Any]] = []
    for kb in el:
        if kb.tag != "KEYBINDING" or len(kb) != 1:
            return _with_ns(decode_instancename(el), namespace)
        kv = kb[0]
        if (
            kv.tag == "KEYVALUE"
            and kv.get("TYPE") is None
            and kv.get("VALUETYPE", "string") == "string"
        ):
            keys.append((kb.get("NAME"), kv.text or ""))
        else:
            return _with_ns(decode_instancename(el), namespace)
    classname = el.get("CLASSNAME")
    if classname is None:
        raise ProtocolError("<INSTANCENAME> needs a CLASSNAME")
    return ObjectPath(classname, tuple(keys), namespace, None, singleton=not keys)


def _with_ns(path: ObjectPath, namespace: str | None) -> ObjectPath:
    if path.namespace is None and namespace is not None:
        return path.with_namespace(namespace)
    return path


def decode_result(el: Element, namespace: str | None) -> Any:
    """One result element of IRETURNVALUE → an instance, class, path,
    qualifier declaration or (for GetProperty) a value."""
    tag = el.tag
    if tag == "VALUE.NAMEDINSTANCE":
        if len(el) != 2 or el[0].tag != "INSTANCENAME":
            raise ProtocolError("<VALUE.NAMEDINSTANCE> needs a name and an instance")
        return fast_instance(el[1], fast_instancename(el[0], namespace), namespace)
    if tag in (
        "VALUE.INSTANCEWITHPATH",
        "VALUE.OBJECTWITHPATH",
        "VALUE.OBJECTWITHLOCALPATH",
    ):
        kids = _children(el)
        if len(kids) != 2:
            raise ProtocolError(f"<{tag}> needs a path and an object")
        path = _with_ns(decode_object_path(kids[0]), namespace)
        if kids[1].tag == "CLASS":
            cls = decode_class(kids[1])
            cls.namespace = path.namespace
            cls.server = path.server
            return cls
        return fast_instance(kids[1], path, namespace)
    if tag == "VALUE.OBJECT":
        kids = _children(el)
        if len(kids) != 1:
            raise ProtocolError("<VALUE.OBJECT> needs one object")
        return decode_result(kids[0], namespace)
    if tag == "INSTANCE":
        return fast_instance(el, None, namespace)
    if tag == "CLASS":
        cls = decode_class(el)
        cls.namespace = namespace
        return cls
    if tag == "CLASSNAME":
        return str(el.get("NAME") or "")
    if tag in ("INSTANCENAME", "INSTANCEPATH", "OBJECTPATH"):
        return _with_ns(decode_object_path(el), namespace)
    if tag == "QUALIFIER.DECLARATION":
        return decode_qualifier_declaration(el)
    if tag in ("VALUE", "VALUE.ARRAY", "VALUE.REFERENCE", "VALUE.NULL"):
        return decode_value_element(el, None)
    raise ProtocolError(f"<IRETURNVALUE>: unexpected <{tag}>")


def _param_value(el: Element) -> Any:
    """The value of a PARAMVALUE / RETURNVALUE, typed by PARAMTYPE."""
    t = _type(el.get("PARAMTYPE"))
    if t is CIMType.STRING and _embedded_kind(el):
        t = CIMType.OBJECT
    kids = _children(el)
    if not kids:
        return None
    c = kids[0]
    if c.tag in ("INSTANCE",):
        return fast_instance(c)
    if c.tag in ("CLASSNAME", "INSTANCENAME"):
        return decode_object_path(c)
    if c.tag in ("VALUE.REFERENCE", "VALUE.REFARRAY"):
        return decode_value_element(c, CIMType.REFERENCE)
    return decode_value_element(c, None if t is CIMType.REFERENCE else t)


class ResponseParser:
    """A streaming reader of one CIM-XML response (Rules 1-3).

    ``feed(chunk)`` returns the result objects completed by that chunk;
    ``close()`` checks the document ended and returns the last ones;
    ``result_tags`` names the result elements expected (default: any). After
    ``close``: ``error`` ((code, description) or None), ``return_value``
    and ``out_params`` (extrinsic calls, pull trailers: ``EndOfSequence``,
    ``EnumerationContext``).
    """

    def __init__(
        self, namespace: str | None = None, result_tags: Iterable[str] | None = None
    ) -> None:
        self.namespace = namespace
        self.error: tuple[int, str] | None = None
        self.return_value: Any = None
        self.has_return_value = False
        self.out_params: dict[str, Any] = {}
        self._parser = etree.XMLPullParser(
            events=("end",),
            # only the result elements the operation can return: no events for
            # the INSTANCE/INSTANCENAME nested in each VALUE.NAMEDINSTANCE
            tag=_STREAM_TAGS
            if result_tags is None
            else (*result_tags, "ERROR", "PARAMVALUE", "RETURNVALUE"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
            huge_tree=False,
        )

    def feed(self, chunk: bytes) -> list[Any]:
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            raise ProtocolError(
                f"the response is not well-formed XML: {exc}", "response"
            ) from None
        return self._drain()

    def close(self) -> list[Any]:
        try:
            self._parser.close()
        except etree.XMLSyntaxError as exc:
            raise ProtocolError(
                f"the response is not well-formed XML: {exc}", "response"
            ) from None
        return self._drain()

    def _drain(self) -> list[Any]:
        out: list[Any] = []
        ns = self.namespace
        for _event, el in self._parser.read_events():
            parent = el.getparent()
            ptag = parent.tag if parent is not None else None
            tag = el.tag
            if ptag == "IRETURNVALUE":
                out.append(decode_result(el, ns))
            elif ptag in ("IMETHODRESPONSE", "METHODRESPONSE"):
                if tag == "ERROR":
                    code = el.get("CODE")
                    try:
                        status = int(code) if code is not None else 1
                    except ValueError:
                        status = 1
                    self.error = (status, el.get("DESCRIPTION") or "")
                elif tag == "RETURNVALUE":
                    self.return_value = _param_value(el)
                    self.has_return_value = True
                elif tag == "PARAMVALUE":
                    self.out_params[el.get("NAME") or ""] = _param_value(el)
                else:
                    continue
            else:
                continue  # nested (INSTANCE in VALUE.NAMEDINSTANCE, paths in refs)
            # forget what was decoded: constant memory whatever the response size
            el.clear()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
        return out


def parse_whole_response(
    body: bytes,
    namespace: str | None = None,
    result_tags: Iterable[str] | None = None,
) -> tuple[list[Any], ResponseParser]:
    """A whole response body: (results, the parser with error/out-params)."""
    parser = ResponseParser(namespace, result_tags)
    out = parser.feed(body)
    out.extend(parser.close())
    return out, parser
