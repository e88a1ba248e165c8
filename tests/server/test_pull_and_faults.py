"""Pull operations (DSP0200 §11.2 rules), CloseEnumeration/expiry/disconnect
reaching the provider, malformed requests, and authentication."""

from __future__ import annotations

import base64
import socket
from typing import Any

import httpx
import pytest
import pywbem
from pywbem import CIMError, CIMInstanceName

from .conftest import Env

NS = "root/cimv2"


def _code(info: pytest.ExceptionInfo[CIMError]) -> int:
    return int(info.value.status_code)


def a_path() -> CIMInstanceName:
    return CIMInstanceName("T_Base", {"Name": "a"}, namespace=NS)


# --- pull ------------------------------------------------------------------------------


def test_open_and_pull_instances(env: Env) -> None:
    c = env.conn()
    r = c.OpenEnumerateInstances("T_Base", MaxObjectCount=1)
    assert len(r.instances) == 1
    assert not r.eos
    names = [i["Name"] for i in r.instances]
    while not r.eos:
        r = c.PullInstancesWithPath(r.context, MaxObjectCount=1)
        names += [i["Name"] for i in r.instances]
    assert sorted(names) == ["a", "b", "s"]
    assert len(env.app.contexts) == 0


def test_open_with_everything_at_once(env: Env) -> None:
    r = env.conn().OpenEnumerateInstancePaths("T_Base", MaxObjectCount=100)
    assert r.eos
    assert r.context is None
    assert sorted(p["Name"] for p in r.paths) == ["a", "b", "s"]


def test_pull_zero_keeps_context_and_paths(env: Env) -> None:
    c = env.conn()
    r = c.OpenEnumerateInstancePaths("T_Base")  # MaxObjectCount defaults to 0
    assert r.paths == []
    assert not r.eos
    r2 = c.PullInstancePaths(r.context, MaxObjectCount=0)
    assert r2.paths == []
    assert not r2.eos
    r3 = c.PullInstancePaths(r.context, MaxObjectCount=10)
    assert len(r3.paths) == 3


def test_open_associator_and_reference_instances(env: Env) -> None:
    c = env.conn()
    r = c.OpenAssociatorInstances(a_path(), MaxObjectCount=10)
    assert [i["Id"] for i in r.instances] == [7]
    r = c.OpenAssociatorInstancePaths(a_path(), MaxObjectCount=10)
    assert [p["Id"] for p in r.paths] == [7]
    r = c.OpenReferenceInstances(a_path(), MaxObjectCount=10)
    assert [i.classname for i in r.instances] == ["T_Link"]
    r = c.OpenReferenceInstancePaths(a_path(), MaxObjectCount=10)
    assert [p.classname for p in r.paths] == ["T_Link"]


def test_open_query_instances_and_pull_instances(env: Env) -> None:
    c = env.conn()
    r = c.OpenQueryInstances("WQL", "SELECT Name FROM T_Base", MaxObjectCount=1)
    got = [i["Name"] for i in r.instances]
    while not r.eos:
        r = c.PullInstances(r.context, MaxObjectCount=5)
        got += [i["Name"] for i in r.instances]
    assert sorted(got) == ["a", "b", "s"]
    with pytest.raises(CIMError) as info:
        c.OpenQueryInstances("CQL", "SELECT * FROM T_Base")
    assert _code(info) == 14


def test_iter_operations_use_pull(env: Env) -> None:
    c = env.conn(use_pull_operations=True)
    got = list(c.IterEnumerateInstances("T_Base", MaxObjectCount=1))
    assert len(got) == 3
    assert len(env.app.contexts) == 0


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        pytest.param({"ContinueOnError": True}, 26, id="continue-on-error"),
        pytest.param(
            {"FilterQueryLanguage": "DMTF:FQL", "FilterQuery": "N=1"}, 25, id="filter"
        ),
        pytest.param({"FilterQuery": "N=1"}, 4, id="filter-without-language"),
        pytest.param({"OperationTimeout": 0}, 22, id="timeout-zero"),
        pytest.param({"OperationTimeout": 10**6}, 22, id="timeout-too-large"),
    ],
)
def test_open_option_rules(env: Env, kwargs: dict[str, Any], code: int) -> None:
    with pytest.raises(CIMError) as info:
        env.conn().OpenEnumerateInstances("T_Base", **kwargs)
    assert _code(info) == code
    assert len(env.app.contexts) == 0


def test_wrong_pull_type_and_unknown_context(env: Env) -> None:
    c = env.conn()
    r = c.OpenEnumerateInstancePaths("T_Base", MaxObjectCount=1)
    with pytest.raises(CIMError) as info:
        c.PullInstancesWithPath(r.context, MaxObjectCount=1)
    assert _code(info) == 21
    with pytest.raises(CIMError) as info:
        c.PullInstancePaths(("no-such-context", NS), MaxObjectCount=1)
    assert _code(info) == 21
    c.CloseEnumeration(r.context)
    with pytest.raises(CIMError) as info:
        c.PullInstancePaths(r.context, MaxObjectCount=1)
    assert _code(info) == 21
    with pytest.raises(CIMError) as info:
        c.CloseEnumeration(r.context)
    assert _code(info) == 21


def test_close_enumeration_stops_the_provider(env: Env) -> None:
    c = env.conn()
    r = c.OpenEnumerateInstances("T_Gated", MaxObjectCount=2)
    assert [i["Name"] for i in r.instances] == ["g00000000", "g00000001"]
    assert env.gated.started.is_set()
    assert not env.gated.closed.is_set()
    c.CloseEnumeration(r.context)
    # the provider's generator was closed before the response was sent
    assert env.gated.closed.is_set()
    assert env.gated.produced == 2
    assert len(env.app.contexts) == 0


def test_context_expiry_with_injected_clock(env: Env) -> None:
    c = env.conn()
    r = c.OpenEnumerateInstances("T_Gated", MaxObjectCount=1, OperationTimeout=30)
    env.clock.advance(29)
    r = c.PullInstancesWithPath(r.context, MaxObjectCount=1)  # resets the timer
    env.clock.advance(29)
    r = c.PullInstancesWithPath(r.context, MaxObjectCount=1)
    assert not env.gated.closed.is_set()
    env.clock.advance(31)
    with pytest.raises(CIMError) as info:
        c.PullInstancesWithPath(r.context, MaxObjectCount=1)
    assert _code(info) == 21
    assert env.gated.closed.is_set()
    assert env.gated.produced == 3


def test_client_disconnect_mid_enumeration_stops_the_provider(env: Env) -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0">'
        b'<MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="EnumerateInstances">'
        b'<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>'
        b'<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="T_Gated"/></IPARAMVALUE>'
        b"</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>"
    )
    head = (
        "POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
        "CIMOperation: MethodCall\r\nCIMMethod: EnumerateInstances\r\n"
        f"CIMObject: root/cimv2\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((env.server.host, env.server.port), timeout=20) as s:
        s.sendall(head + body)
        got = b""
        while b"VALUE.NAMEDINSTANCE" not in got:
            got += s.recv(65536)
        assert b"200 OK" in got
    # the endless provider is stopped once the server sees the disconnect
    assert env.gated.closed.wait(20)
    # and the server still serves
    assert len(env.conn().EnumerateInstanceNames("T_Other")) == 1


# --- malformed requests ------------------------------------------------------------------


def _post(env: Env, body: bytes, **headers: str) -> httpx.Response:
    h = {
        "Content-Type": "application/xml",
        "CIMOperation": "MethodCall",
        "CIMMethod": "EnumerateInstances",
        "CIMObject": "root/cimv2",
    }
    h.update(headers)
    return httpx.post(env.url + "/cimom", content=body, headers=h, timeout=20)


@pytest.mark.parametrize(
    ("body", "headers", "status", "cimerror"),
    [
        pytest.param(
            b"<CIM><oops", {}, 400, "request-not-well-formed", id="broken-xml"
        ),
        pytest.param(
            b"not xml at all", {}, 400, "request-not-well-formed", id="garbage"
        ),
        pytest.param(b"<CIM/>", {}, 400, "request-not-valid", id="empty-cim"),
        pytest.param(
            b"<a>" * 200 + b"</a>" * 200, {}, 400, "request-not-well-formed", id="deep"
        ),
        pytest.param(
            b"<CIM/>",
            {"CIMOperation": "Nope"},
            400,
            "unsupported-operation",
            id="bad-cimoperation",
        ),
        pytest.param(
            b"x" * (2 << 20), {}, 413, "request-not-well-formed", id="too-large"
        ),
    ],
)
def test_malformed_requests_are_4xx_never_500(
    env: Env, body: bytes, headers: dict[str, str], status: int, cimerror: str
) -> None:
    r = _post(env, body, **headers)
    assert r.status_code == status
    assert r.headers["CIMError"] == cimerror


def test_header_mismatch_and_get(env: Env) -> None:
    import openwmi.protocol as P

    del P  # the request below is what pywbem sends, with a lying CIMMethod header
    c = env.conn()
    c.EnumerateInstanceNames("T_Base")
    body = c.last_raw_request.encode()
    r = _post(env, body, CIMMethod="GetClass")
    assert r.status_code == 400
    assert r.headers["CIMError"] == "header-mismatch"
    assert httpx.get(env.url + "/cimom").status_code == 405


def test_method_name_case_is_echoed(env: Env) -> None:
    c = env.conn()
    c.EnumerateInstanceNames("T_Base")
    body = c.last_raw_request.replace(
        "EnumerateInstanceNames", "enumerateinstancenames"
    )
    r = _post(env, body.encode(), CIMMethod="enumerateinstancenames")
    assert r.status_code == 200
    assert '<IMETHODRESPONSE NAME="enumerateinstancenames">' in r.text


# --- authentication ----------------------------------------------------------------------


def _basic(user: str, pw: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def test_auth_accepts_good_credentials(auth_env: Env) -> None:
    c = auth_env.conn(creds=("admin", "adminpw"))
    assert len(c.EnumerateInstances("T_Base")) == 3
    reader = auth_env.conn(creds=("reader", "readpw"))
    assert len(reader.EnumerateInstanceNames("T_Base")) == 3


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        _basic("admin", "wrong"),
        _basic("nobody", "adminpw"),
        "Basic !!!notbase64",
        "Digest username=admin",
        "Bearer admin",
        _basic("admin", ""),
    ],
    ids=[
        "none",
        "wrong-password",
        "unknown-user",
        "garbage",
        "digest",
        "bearer",
        "empty-pw",
    ],
)
def test_auth_refusals_before_body(auth_env: Env, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    # a body that would be a 413 or a 400: credentials are checked first
    r = _post(auth_env, b"x" * 100, **headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert "CIMError" not in r.headers
    assert b"x" not in r.content


def test_pywbem_wrong_password(auth_env: Env) -> None:
    with pytest.raises(pywbem.AuthError):
        auth_env.conn(creds=("admin", "nope")).EnumerateInstanceNames("T_Base")


def test_permissions_per_namespace(auth_env: Env) -> None:
    reader = auth_env.conn(creds=("reader", "readpw"))
    with pytest.raises(CIMError) as info:
        reader.CreateInstance(pywbem.CIMInstance("T_Base", {"Name": "x"}))
    assert _code(info) == 2
    with pytest.raises(CIMError) as info:
        reader.InvokeMethod(
            "Add",
            pywbem.CIMClassName("T_Calc", namespace=NS),
            [("A", pywbem.Sint32(1)), ("B", pywbem.Sint32(1))],
        )
    assert _code(info) == 2
    other = auth_env.conn(creds=("other", "otherpw"))
    with pytest.raises(CIMError) as info:
        other.EnumerateInstances("T_Base")  # root/cimv2 is not theirs
    assert _code(info) == 2
    assert "T_Base" not in str(info.value)  # nothing about the data leaks
    # creating a namespace needs admin
    rw = auth_env.conn("root/interop", creds=("other", "otherpw"))
    with pytest.raises(CIMError) as info:
        rw.CreateInstance(pywbem.CIMInstance("CIM_Namespace", {"Name": "root/x"}))
    assert _code(info) == 2


def test_contexts_belong_to_their_user(auth_env: Env) -> None:
    admin = auth_env.conn(creds=("admin", "adminpw"))
    reader = auth_env.conn(creds=("reader", "readpw"))
    r = admin.OpenEnumerateInstances("T_Base", MaxObjectCount=1)
    with pytest.raises(CIMError) as info:
        reader.PullInstancesWithPath(r.context, MaxObjectCount=1)
    assert _code(info) == 21
    with pytest.raises(CIMError) as info:
        reader.CloseEnumeration(r.context)
    assert _code(info) == 21
    admin.CloseEnumeration(r.context)


def test_open_contexts_limit_per_user(env: Env) -> None:
    env.app.contexts.max_per_user = 2
    c = env.conn()
    r1 = c.OpenEnumerateInstances("T_Base", MaxObjectCount=0)
    r2 = c.OpenEnumerateInstances("T_Base", MaxObjectCount=0)
    with pytest.raises(CIMError) as info:
        c.OpenEnumerateInstances("T_Base", MaxObjectCount=0)
    assert _code(info) == 27
    c.CloseEnumeration(r1.context)
    c.CloseEnumeration(r2.context)
