"""CIM-XML export messages (DSP0200 §"CIM export", DSP0201 EXPMETHODCALL):
the ExportIndication request a server POSTs to a listener, and its reply.

Owns ``export_indication_request`` / ``export_request_headers`` (what the
server sends), ``check_export_response`` (what the listener answered:
success, a CIM error, or an HTTP-level refusal) and
``decode_export_request`` (the listener side, used by our own listener and by
tests). Sans-IO: bytes in, objects out. Imports model and errors and the
sibling codec modules; never asyncio, socket, the engine or the manager.

Rule 1: the request is one SIMPLEEXPREQ/EXPMETHODCALL NAME="ExportIndication"
        with exactly one EXPPARAMVALUE NAME="NewIndication" holding an INSTANCE
        (DSP0201 §3.2.6.x); headers ``CIMExport: MethodRequest`` and
        ``CIMExportMethod: ExportIndication`` (DSP0200 §7.2), a
        Content-Length (pywbem's listener reads exactly that many bytes).
Rule 2: ``extra`` properties (DSP1054 delivery sequencing:
        ``IndicationFilterName``, ``SequenceContext``, ``SequenceNumber``)
        are appended to the INSTANCE as plain typed PROPERTY elements, so the
        event object itself is never copied or changed.
Rule 3: a reply is a success only when it is HTTP 200 and its
        EXPMETHODRESPONSE carries no ERROR. HTTP 5xx, 408 and 429 and a CIM
        error CIM_ERR_FAILED (a full listener queue) are worth retrying; any
        other refusal is permanent for this indication.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import CIMInstance, CIMType
from ._decode import ProtocolError, decode_instance, parse_document
from ._encode import XML_HEAD, esc, instance_xml, scalar_text

__all__ = [
    "ExportError",
    "ExportRequest",
    "check_export_response",
    "decode_export_request",
    "export_indication_request",
    "export_request_headers",
]

#: CIM status codes that a listener uses for "try again later" (pywbem answers
#: CIM_ERR_FAILED when its indication queue is full).
_RETRYABLE_CIM = frozenset({1})
_RETRYABLE_HTTP = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """A decoded ExportIndication request (the listener's view)."""

    message_id: str
    method: str
    indication: CIMInstance


class ExportError(Exception):
    """A listener refused an indication (Rule 3).

    Attributes:
        status: the CIM status code (0 when the refusal was at HTTP level).
        http_status: the HTTP status of the reply.
        retryable: whether sending the same indication again may succeed.
    """

    def __init__(
        self, message: str, *, status: int, http_status: int, retryable: bool
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.http_status = http_status
        self.retryable = retryable


def _property_xml(name: str, cimtype: CIMType, value: Any) -> str:
    body = "" if value is None else f"<VALUE>{scalar_text(value)}</VALUE>"
    return f'<PROPERTY NAME="{esc(name)}" TYPE="{cimtype.value}">{body}</PROPERTY>'


def export_indication_request(
    indication: CIMInstance,
    message_id: str,
    *,
    extra: Mapping[str, tuple[CIMType, Any]] | None = None,
) -> bytes:
    """The whole ExportIndication request body (Rules 1-2), UTF-8 encoded.

    Args:
        indication: the event object (any instance; embedded objects are
            encoded as EmbeddedObject strings).
        message_id: the MESSAGE ID (unique per request of one sender).
        extra: properties to add to the INSTANCE, name → (type, value); a
            name the instance already has is not added twice.
    """
    inst = instance_xml(indication)
    if extra:
        have = {n.lower() for n in indication.property_names()}
        added = "".join(
            _property_xml(name, t, v)
            for name, (t, v) in extra.items()
            if name.lower() not in have
        )
        if added:
            cut = inst.rindex("</INSTANCE>")
            inst = inst[:cut] + added + inst[cut:]
    return (
        f'{XML_HEAD}<CIM CIMVERSION="2.0" DTDVERSION="2.4">'
        f'<MESSAGE ID="{esc(message_id)}" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ>'
        '<EXPMETHODCALL NAME="ExportIndication">'
        f'<EXPPARAMVALUE NAME="NewIndication">{inst}</EXPPARAMVALUE>'
        "</EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>"
    ).encode()


def export_request_headers(length: int) -> list[tuple[str, str]]:
    """The HTTP headers of an ExportIndication POST (Rule 1)."""
    return [
        ("Content-Type", 'application/xml; charset="utf-8"'),
        ("Content-Length", str(length)),
        ("Accept", "application/xml"),
        ("CIMExport", "MethodRequest"),
        ("CIMExportMethod", "ExportIndication"),
        ("CIMProtocolVersion", "1.0"),
    ]


def check_export_response(
    http_status: int, headers: Mapping[str, str], body: bytes
) -> None:
    """Accept a listener's reply or raise ``ExportError`` (Rule 3).

    Args:
        http_status: the HTTP status code.
        headers: the reply headers (case-insensitive mapping, as httpx gives).
        body: the reply body.

    Raises:
        ExportError: the listener refused the indication.
    """
    if http_status != 200:
        cim_error = headers.get("CIMError") or headers.get("cimerror") or ""
        detail = f" ({cim_error})" if cim_error else ""
        raise ExportError(
            f"listener answered HTTP {http_status}{detail}",
            status=0,
            http_status=http_status,
            retryable=http_status in _RETRYABLE_HTTP,
        )
    if not body.strip():
        return  # an empty 200 is a success for lenient listeners
    try:
        root = parse_document(body)
    except ProtocolError as exc:
        raise ExportError(
            f"listener reply is not CIM-XML: {exc.message}",
            status=0,
            http_status=http_status,
            retryable=False,
        ) from exc
    for el in root.iter("ERROR"):
        code = int(el.get("CODE") or 1)
        desc = el.get("DESCRIPTION") or ""
        raise ExportError(
            f"listener answered CIM error {code}: {desc}",
            status=code,
            http_status=http_status,
            retryable=code in _RETRYABLE_CIM,
        )


def decode_export_request(body: bytes) -> ExportRequest:
    """An ExportIndication request body → ``ExportRequest`` (the listener side).

    Raises:
        ProtocolError: not CIM-XML, not an export request, or no NewIndication.
    """
    root = parse_document(body)
    if root.tag != "CIM":
        raise ProtocolError("expected a CIM element", "request-not-well-formed")
    message = root.find("MESSAGE")
    req = message.find("SIMPLEEXPREQ") if message is not None else None
    call = req.find("EXPMETHODCALL") if req is not None else None
    if message is None or call is None:
        raise ProtocolError(
            "expected MESSAGE/SIMPLEEXPREQ/EXPMETHODCALL", "request-not-valid"
        )
    for param in call.findall("EXPPARAMVALUE"):
        if (param.get("NAME") or "").lower() != "newindication":
            continue
        inst = param.find("INSTANCE")
        if inst is None:
            raise ProtocolError("NewIndication is not an INSTANCE", "request-not-valid")
        return ExportRequest(
            message.get("ID") or "", call.get("NAME") or "", decode_instance(inst)
        )
    raise ProtocolError("no NewIndication parameter", "request-not-valid")
