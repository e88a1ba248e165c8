"""The ExportIndication message (protocol/_export.py): what pywbem's listener
parses, and how replies are judged (no sockets)."""

from __future__ import annotations

import pytest
from pywbem._listener import ListenerRequestHandler

from openwmi.model import CIMClass, CIMInstance, CIMProperty, CIMType, NocaseDict
from openwmi.protocol import ProtocolError
from openwmi.protocol._export import (
    ExportError,
    check_export_response,
    decode_export_request,
    export_indication_request,
    export_request_headers,
)


def _event() -> CIMInstance:
    target_props: NocaseDict[CIMProperty] = NocaseDict()
    target_props["Name"] = CIMProperty("Name", CIMType.STRING)
    target = CIMInstance(CIMClass("T_X", None, target_props), {"Name": 'a<&>"b'})
    props: NocaseDict[CIMProperty] = NocaseDict()
    props["TargetInstance"] = CIMProperty("TargetInstance", CIMType.OBJECT)
    props["TIME_CREATED"] = CIMProperty("TIME_CREATED", CIMType.UINT64)
    cls = CIMClass("__InstanceCreationEvent", None, props)
    return CIMInstance(cls, {"TargetInstance": target, "TIME_CREATED": 42})


EXTRA = {
    "IndicationFilterName": (CIMType.STRING, "flt"),
    "SequenceContext": (CIMType.STRING, "ctx"),
    "SequenceNumber": (CIMType.SINT64, 7),
    "TIME_CREATED": (CIMType.UINT64, 1),  # already there: not added twice
}


def test_pywbem_listener_parses_the_request() -> None:
    body = export_indication_request(_event(), "1001", extra=EXTRA)
    msgid, method, params = ListenerRequestHandler.parse_export_request(body)
    assert (msgid, method, list(params)) == (
        "1001",
        "ExportIndication",
        ["NewIndication"],
    )
    ind = params["NewIndication"]
    assert ind.classname == "__InstanceCreationEvent"
    assert ind["TargetInstance"]["Name"] == 'a<&>"b'
    assert ind["SequenceNumber"] == 7
    assert ind["IndicationFilterName"] == "flt"
    assert ind["TIME_CREATED"] == 42


def test_our_decoder_round_trips() -> None:
    body = export_indication_request(_event(), "m-1", extra=EXTRA)
    req = decode_export_request(body)
    assert (req.message_id, req.method) == ("m-1", "ExportIndication")
    assert req.indication["SequenceContext"] == "ctx"
    assert req.indication["TargetInstance"]["Name"] == 'a<&>"b'


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<CIM/>", id="no-message"),
        pytest.param(b"not xml", id="not-xml"),
        pytest.param(
            b'<CIM><MESSAGE ID="1"><SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication">'
            b"</EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>",
            id="no-param",
        ),
    ],
)
def test_decoder_refuses_other_documents(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_export_request(body)


def test_headers() -> None:
    h = dict(export_request_headers(10))
    assert h["CIMExport"] == "MethodRequest"
    assert h["CIMExportMethod"] == "ExportIndication"
    assert h["Content-Length"] == "10"
    assert h["Content-Type"].startswith("application/xml")


def _reply(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.4">'
        '<MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP>'
        f'<EXPMETHODRESPONSE NAME="ExportIndication">{inner}</EXPMETHODRESPONSE>'
        "</SIMPLEEXPRSP></MESSAGE></CIM>"
    ).encode()


def test_success_replies() -> None:
    check_export_response(200, {}, _reply(""))
    check_export_response(200, {}, b"")


@pytest.mark.parametrize(
    ("status", "headers", "body", "code", "retryable"),
    [
        pytest.param(
            200,
            {},
            _reply('<ERROR CODE="1" DESCRIPTION="queue full"/>'),
            1,
            True,
            id="cim-failed",
        ),
        pytest.param(
            200,
            {},
            _reply('<ERROR CODE="7" DESCRIPTION="no"/>'),
            7,
            False,
            id="cim-not-supported",
        ),
        pytest.param(503, {"CIMError": "busy"}, b"", 0, True, id="http-503"),
        pytest.param(
            400, {"CIMError": "request-not-valid"}, b"", 0, False, id="http-400"
        ),
        pytest.param(200, {}, b"<<garbage", 0, False, id="garbage"),
    ],
)
def test_refusals(
    status: int, headers: dict[str, str], body: bytes, code: int, retryable: bool
) -> None:
    with pytest.raises(ExportError) as info:
        check_export_response(status, headers, body)
    assert info.value.status == code
    assert info.value.retryable is retryable
