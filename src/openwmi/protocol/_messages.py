"""CIM-XML messages: IMETHODCALL / METHODCALL → request records; results and
errors → response text; HResult ↔ CIM status.

Owns ``IntrinsicCall`` and ``MethodCall`` (what a request asks for, decoded),
``parse_request`` (a parsed document → one of them), the typed accessors for
intrinsic parameters (``bool_param``, ``int_param``…), and ``cim_status``
(a ``WbemError`` → ``(CIM status, description)``, the only place the wire
status is chosen; spec §11.3 through ``openwmi.errors.hresult_to_cim_status``).

Imports model, errors and the sibling decode/encode modules; never asyncio,
socket, the engine or the manager.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    CallCancelledError,
    HResult,
    InvalidParameterError,
    WbemError,
    hresult_to_cim_status,
)
from ..model import CIMType, NocaseDict, ObjectPath
from ._decode import (
    Element,
    ProtocolError,
    _children,
    _embedded,
    _text,
    decode_class,
    decode_instance,
    decode_instancename,
    decode_namespace,
    decode_object_path,
    decode_qualifier_declaration,
    decode_value_element,
)
from ._decode import (
    decode_named_instance as _named_instance,
)
from ._encode import error_xml, response_head, response_tail

__all__ = [
    "IntrinsicCall",
    "MethodCall",
    "ParamValue",
    "bool_param",
    "cim_status",
    "error_response",
    "int_param",
    "parse_request",
    "str_list_param",
    "str_param",
]


@dataclass(frozen=True, slots=True)
class IntrinsicCall:
    """An IMETHODCALL: ``method`` keeps the request's exact spelling."""

    message_id: str
    method: str
    namespace: str
    params: NocaseDict[Any] = field(default_factory=NocaseDict)


@dataclass(frozen=True, slots=True)
class ParamValue:
    """One extrinsic in-parameter; ``paramtype`` None when the client sent none."""

    name: str
    value: Any
    paramtype: CIMType | None


@dataclass(frozen=True, slots=True)
class MethodCall:
    """A METHODCALL on an instance path or a class path."""

    message_id: str
    method: str
    namespace: str
    target: ObjectPath
    params: list[ParamValue] = field(default_factory=list)


def _expect(el: Element, tag: str) -> Element:
    if el.tag != tag:
        raise ProtocolError(f"expected <{tag}>, got <{el.tag}>")
    return el


def _only_child(el: Element, tag: str) -> Element:
    kids = _children(el)
    if len(kids) != 1:
        raise ProtocolError(f"<{el.tag}> must contain exactly one <{tag}>")
    return _expect(kids[0], tag)


def parse_request(root: Element) -> IntrinsicCall | MethodCall:
    """The one call a CIM-XML request document carries.

    Raises:
        ProtocolError: the document is not a DSP0201 simple request
            (``unsupported-protocol-version``, ``multiple-requests-unsupported``,
            ``request-not-valid``).
    """
    _expect(root, "CIM")
    message = _only_child(root, "MESSAGE")
    proto = message.get("PROTOCOLVERSION", "1.0")
    if not proto.startswith("1."):
        raise ProtocolError(
            f"PROTOCOLVERSION {proto} is not supported", "unsupported-protocol-version"
        )
    message_id = message.get("ID")
    if message_id is None:
        raise ProtocolError("<MESSAGE> needs an ID")
    kids = _children(message)
    if len(kids) != 1:
        raise ProtocolError("<MESSAGE> must contain one request")
    if kids[0].tag == "MULTIREQ":
        raise ProtocolError(
            "multiple requests are not supported", "multiple-requests-unsupported"
        )
    simple = _expect(kids[0], "SIMPLEREQ")
    calls = [c for c in _children(simple) if c.tag in ("IMETHODCALL", "METHODCALL")]
    if len(calls) != 1:
        raise ProtocolError("<SIMPLEREQ> must contain one IMETHODCALL or METHODCALL")
    call = calls[0]
    name = call.get("NAME")
    if not name:
        raise ProtocolError(f"<{call.tag}> needs a NAME")
    if call.tag == "IMETHODCALL":
        return _intrinsic(message_id, name, call)
    return _extrinsic(message_id, name, call)


def _iparam(el: Element) -> Any:
    kids = _children(el)
    if not kids:
        return None
    if len(kids) != 1:
        raise ProtocolError(f"IPARAMVALUE {el.get('NAME')} has more than one value")
    c = kids[0]
    tag = c.tag
    if tag in ("VALUE", "VALUE.ARRAY", "VALUE.NULL", "VALUE.REFERENCE"):
        return decode_value_element(c, None)
    if tag == "CLASSNAME":
        return ObjectPath(str(c.get("NAME") or ""))
    if tag == "INSTANCENAME":
        return decode_instancename(c)
    if tag == "INSTANCE":
        return decode_instance(c)
    if tag == "VALUE.NAMEDINSTANCE":
        return _named_instance(c)
    if tag == "CLASS":
        return decode_class(c)
    if tag == "QUALIFIER.DECLARATION":
        return decode_qualifier_declaration(c)
    if tag in ("OBJECTPATH", "INSTANCEPATH", "CLASSPATH"):
        return decode_object_path(c)
    if tag == "ENUMERATIONCONTEXT":
        return _text(c)
    raise ProtocolError(f"IPARAMVALUE {el.get('NAME')}: unexpected <{tag}>")


def _intrinsic(message_id: str, name: str, call: Element) -> IntrinsicCall:
    kids = _children(call)
    if not kids or kids[0].tag != "LOCALNAMESPACEPATH":
        raise ProtocolError("<IMETHODCALL> must start with <LOCALNAMESPACEPATH>")
    namespace = decode_namespace(kids[0])
    params: NocaseDict[Any] = NocaseDict()
    for p in kids[1:]:
        if p.tag != "IPARAMVALUE":
            raise ProtocolError(f"<IMETHODCALL>: unexpected <{p.tag}>")
        pname = p.get("NAME")
        if not pname:
            raise ProtocolError("<IPARAMVALUE> needs a NAME")
        if pname in params:
            raise ProtocolError(f"IPARAMVALUE {pname} is given twice")
        params[pname] = _iparam(p)
    return IntrinsicCall(message_id, name, namespace, params)


def _paramvalue(el: Element) -> ParamValue:
    name = el.get("NAME")
    if not name:
        raise ProtocolError("<PARAMVALUE> needs a NAME")
    ptype_text = el.get("PARAMTYPE")
    ptype: CIMType | None = None
    if ptype_text is not None:
        try:
            ptype = CIMType.from_name(ptype_text)
        except WbemError:
            raise ProtocolError(
                f"PARAMVALUE {name}: PARAMTYPE={ptype_text!r}"
            ) from None
        kind = _embedded(el)
        if ptype is CIMType.STRING and kind is not None:
            ptype = CIMType.INSTANCE if kind == "instance" else CIMType.OBJECT
    kids = _children(el)
    if not kids:
        return ParamValue(name, None, ptype)
    if len(kids) != 1:
        raise ProtocolError(f"PARAMVALUE {name} has more than one value")
    c = kids[0]
    tag = c.tag
    value: Any
    if tag in ("VALUE", "VALUE.ARRAY", "VALUE.NULL"):
        value = decode_value_element(
            c, None if ptype is CIMType.REFERENCE else ptype, name
        )
    elif tag in ("VALUE.REFERENCE", "VALUE.REFARRAY"):
        value = decode_value_element(c, CIMType.REFERENCE, name)
        ptype = CIMType.REFERENCE
    elif tag in ("CLASSNAME", "INSTANCENAME"):
        value = decode_object_path(c)
        ptype = CIMType.REFERENCE
    elif tag == "INSTANCE":
        value = decode_instance(c)
        ptype = ptype or CIMType.INSTANCE
    elif tag == "VALUE.NAMEDINSTANCE":
        value = _named_instance(c)
        ptype = ptype or CIMType.INSTANCE
    elif tag == "CLASS":
        value = decode_class(c)
        ptype = CIMType.OBJECT
    else:
        raise ProtocolError(f"PARAMVALUE {name}: unexpected <{tag}>")
    return ParamValue(name, value, ptype)


def _extrinsic(message_id: str, name: str, call: Element) -> MethodCall:
    kids = _children(call)
    if not kids or kids[0].tag not in ("LOCALINSTANCEPATH", "LOCALCLASSPATH"):
        raise ProtocolError(
            "<METHODCALL> must start with <LOCALINSTANCEPATH> or <LOCALCLASSPATH>"
        )
    target = decode_object_path(kids[0])
    params: list[ParamValue] = []
    seen: set[str] = set()
    for p in kids[1:]:
        if p.tag != "PARAMVALUE":
            raise ProtocolError(f"<METHODCALL>: unexpected <{p.tag}>")
        pv = _paramvalue(p)
        if pv.name.lower() in seen:
            raise ProtocolError(f"PARAMVALUE {pv.name} is given twice")
        seen.add(pv.name.lower())
        params.append(pv)
    assert target.namespace is not None
    return MethodCall(message_id, name, target.namespace, target, params)


# --- typed intrinsic parameters -----------------------------------------------------------


def bool_param(params: NocaseDict[Any], name: str, default: bool) -> bool:
    """A boolean IPARAMVALUE (``TRUE``/``FALSE``, case-insensitive)."""
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
    raise InvalidParameterError(f"{name}: {value!r} is not a boolean")


def int_param(params: NocaseDict[Any], name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value is None:
        return default
    try:
        n = int(str(value).strip())
    except ValueError:
        raise InvalidParameterError(f"{name}: {value!r} is not an integer") from None
    if n < 0 or n > 0xFFFFFFFF:
        raise InvalidParameterError(f"{name}: {n} is not a uint32")
    return n


def str_param(params: NocaseDict[Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, ObjectPath):
        return value.classname
    if isinstance(value, str):
        return value
    raise InvalidParameterError(f"{name}: expected a name, got {type(value).__name__}")


def str_list_param(params: NocaseDict[Any], name: str) -> list[str] | None:
    """PropertyList: None when absent (all properties), else the names."""
    if name not in params:
        return None
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidParameterError(f"{name}: expected an array of names")


# --- status --------------------------------------------------------------------------------


def cim_status(exc: BaseException, *, in_pull_session: bool = False) -> tuple[int, str]:
    """(CIM status code, description) for an exception leaving an operation.

    A ``WbemError`` keeps its message (and its CIM code when it carries one in
    ``details["cim_status"]``); anything else is CIM_ERR_FAILED with a generic
    text, never a traceback.
    """
    if isinstance(exc, WbemError):
        forced = exc.details.get("cim_status")
        if isinstance(forced, int):
            return forced, exc.message
        if isinstance(exc, CallCancelledError):
            return hresult_to_cim_status(
                HResult.WBEM_E_CALL_CANCELLED, in_pull_session=in_pull_session
            ), exc.message
        return hresult_to_cim_status(exc.hresult), f"{exc.name}: {exc.message}"
    return 1, f"internal error: {type(exc).__name__}"


def error_response(
    message_id: str, method: str, code: int, description: str, *, intrinsic: bool = True
) -> bytes:
    """A whole response carrying one ERROR element."""
    return (
        response_head(message_id, method, intrinsic=intrinsic)
        + error_xml(code, description)
        + response_tail(intrinsic=intrinsic)
    ).encode("utf-8")
