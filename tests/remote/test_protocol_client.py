"""The sans-IO client half of the protocol: requests the server's own parser
accepts, the streaming response parser fed whole and one byte at a time
(h11 style), and CIM status → WMI code mapping. No sockets, no event loop."""

from __future__ import annotations

from typing import Any

import pytest

from openwmi import HResult
from openwmi.model import CIMDateTime, CIMInstance, ObjectPath
from openwmi.protocol import (
    InstanceEncoder,
    ProtocolError,
    error_response,
    parse_document,
    parse_request,
    response_head,
    response_tail,
)
from openwmi.protocol._client import (
    ResponseParser,
    error_from_status,
    imethodcall,
    iparam_bool,
    iparam_classname,
    iparam_instancename,
    methodcall,
    parse_whole_response,
    request_headers,
)

NS = "root/cimv2"


def _response(n: int) -> bytes:
    enc = InstanceEncoder(
        include_class_origin=False, property_list=None, host="h", namespace=NS
    )
    parts = [response_head("7", "EnumerateInstances"), "<IRETURNVALUE>"]
    for i in range(n):
        inst = CIMInstance(
            "X_Item",
            {
                "Id": f"k{i}",
                "N": i,
                "F": i % 2 == 0,
                "D": CIMDateTime.parse("20240102030405.000000+000"),
                "Tags": ["a & b", "<c>"],
                "Ref": ObjectPath.parse('X_Other.Id="z"'),
            },
        )
        inst.namespace = NS
        object.__setattr__(inst, "_path", ObjectPath("X_Item", (("Id", f"k{i}"),)))
        parts.append(enc.named_instance(inst))
    parts.append("</IRETURNVALUE>" + response_tail())
    return "".join(parts).encode()


def test_requests_parse_on_the_server_side() -> None:
    body = imethodcall(
        "EnumerateInstances",
        NS,
        [
            iparam_classname("ClassName", "X_Item"),
            iparam_bool("DeepInheritance", False),
        ],
        "42",
    )
    call: Any = parse_request(parse_document(body))
    assert call.method == "EnumerateInstances"
    assert call.namespace == NS
    assert call.params["ClassName"].classname == "X_Item"
    path = ObjectPath.parse('X_Item.Id="a",N=3')
    body = imethodcall(
        "GetInstance", NS, [iparam_instancename("InstanceName", path)], "1"
    )
    req: Any = parse_request(parse_document(body))
    got = req.params["InstanceName"]
    assert got.identity() == path.identity()
    body = methodcall("Go", path, NS, [], "2")
    m: Any = parse_request(parse_document(body))
    assert m.target.identity() == path.identity()
    headers = request_headers("GetInstance", NS)
    assert headers["CIMOperation"] == "MethodCall"
    assert headers["CIMObject"] == "root/cimv2"


def test_stream_whole_and_byte_by_byte_agree() -> None:
    body = _response(5)
    whole, parser = parse_whole_response(body, NS)
    assert parser.error is None
    assert [i["Id"] for i in whole] == [f"k{i}" for i in range(5)]
    first = whole[0]
    assert first["N"] == 0
    assert first["F"] is True
    assert first["Tags"] == ["a & b", "<c>"]
    assert first["D"] == CIMDateTime.parse("20240102030405.000000+000")
    assert first["Ref"].classname == "X_Other"
    assert first.path.namespace == NS
    stream = ResponseParser(NS, ("VALUE.NAMEDINSTANCE",))
    got = []
    for i in range(len(body)):
        got.extend(stream.feed(body[i : i + 1]))
    got.extend(stream.close())
    assert got == whole
    assert [g.path for g in got] == [w.path for w in whole]


def test_error_element_and_truncation() -> None:
    objs, parser = parse_whole_response(
        error_response("1", "GetInstance", 6, "WBEM_E_NOT_FOUND: gone"), NS
    )
    assert objs == []
    assert parser.error == (6, "WBEM_E_NOT_FOUND: gone")
    truncated = _response(3)[:-40]
    stream = ResponseParser(NS)
    stream.feed(truncated)
    with pytest.raises(ProtocolError):
        stream.close()


@pytest.mark.parametrize(
    ("code", "text", "hresult", "message"),
    [
        pytest.param(
            6, "WBEM_E_NOT_FOUND: gone", HResult.WBEM_E_NOT_FOUND, "gone", id="named"
        ),
        pytest.param(
            4,
            "WBEM_E_INVALID_OBJECT_PATH: bad",
            HResult.WBEM_E_INVALID_OBJECT_PATH,
            "bad",
            id="exact-code",
        ),
        pytest.param(
            6,
            "WBEM_E_INVALID_CLASS: x",
            HResult.WBEM_E_NOT_FOUND,
            "WBEM_E_INVALID_CLASS: x",
            id="name-disagrees-with-status",
        ),
        pytest.param(
            15, "syntax", HResult.WBEM_E_INVALID_QUERY, "syntax", id="other-server"
        ),
        pytest.param(21, "ctx", HResult.WBEM_E_FAILED, "ctx", id="no-wmi-equivalent"),
    ],
)
def test_error_from_status(code: int, text: str, hresult: int, message: str) -> None:
    err = error_from_status(code, text)
    assert err.hresult == hresult
    assert err.message == message
    assert err.details["cim_status"] == code
