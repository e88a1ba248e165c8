"""Faults on the remote source: the server stopped mid-enumeration (one final
WBEM_E_TRANSPORT_FAILURE, the httpx exception as ``__cause__``), credentials
refused (WBEM_E_ACCESS_DENIED), request timeouts, and a server without pull
operations (classic operations, streamed, cancel by disconnect)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import openwmi
from openwmi import HResult, WbemError
from openwmi.engine import CollectingSink
from openwmi.errors import AccessDeniedError, TransportError
from openwmi.protocol import error_response
from openwmi.server._run import ServerThread, build_app

from .conftest import Env, make_manager


class BlockingSink(CollectingSink):
    """Blocks the delivering worker in its first ``indicate`` until released,
    and records every final status."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = threading.Event()
        self.release = threading.Event()
        self.finals: list[tuple[int, Any]] = []

    def indicate(self, objects: list[Any]) -> int:
        if not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(20)
        return super().indicate(objects)

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        if flags == 0:
            self.finals.append((hresult, message))
        return super().set_status(flags, hresult, message, obj)


# --- transport loss -------------------------------------------------------------------------


def test_server_stopped_mid_enumeration_gives_one_transport_failure(env: Env) -> None:
    sink = BlockingSink()
    env.svc.create_instance_enum_async("R_Endless", sink)
    assert sink.reached.wait(10)  # first page delivered; a pull context is open
    env.server.stop()  # nothing in flight: the pull loop is inside the sink
    sink.release.set()
    assert sink.wait(20) == HResult.WBEM_E_TRANSPORT_FAILURE
    assert [code for code, _ in sink.finals] == [HResult.WBEM_E_TRANSPORT_FAILURE]
    assert sink.error is not None
    assert sink.error.hresult == HResult.WBEM_E_TRANSPORT_FAILURE


def test_server_gone_sync_calls_raise_transport_error_with_cause(env: Env) -> None:
    it: Any = env.svc.create_instance_enum("R_Endless")
    assert next(it)["Name"] == "e00000000"
    env.server.stop()
    with pytest.raises(TransportError) as info:
        for _ in it:
            pass
    assert info.value.hresult == HResult.WBEM_E_TRANSPORT_FAILURE
    assert isinstance(info.value.__cause__, httpx.TransportError)
    with pytest.raises(TransportError) as info:
        env.svc.get_object('R_Base.Name="a"')
    assert isinstance(info.value.__cause__, httpx.TransportError)


def test_connect_to_nothing(env: Env) -> None:
    url = env.url
    env.server.stop()
    with pytest.raises(TransportError) as info:
        openwmi.connect(url, timeout=5)
    assert info.value.hresult == HResult.WBEM_E_TRANSPORT_FAILURE


def test_operation_timeout_is_a_transport_failure(env: Env) -> None:
    svc = openwmi.connect(env.url, timeout=(5.0, 0.3))
    try:
        with pytest.raises(TransportError) as info:
            svc.exec_method("R_Calc", "Slow", {"Text": "t"})
        assert "timed out" in info.value.message
        assert isinstance(info.value.__cause__, httpx.TimeoutException)
    finally:
        env.methods.slow.release.set()
        svc.close()


# --- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "password"),
    [
        pytest.param("admin", "wrong", id="wrong-password"),
        pytest.param(None, None, id="no-credentials"),
        pytest.param("nobody", "x", id="unknown-user"),
    ],
)
def test_refused_credentials(
    auth_server: ServerThread, user: str | None, password: str | None
) -> None:
    with pytest.raises(AccessDeniedError) as info:
        openwmi.connect(auth_server.url, user=user, password=password)
    assert info.value.hresult == HResult.WBEM_E_ACCESS_DENIED


def test_permissions_per_namespace(auth_server: ServerThread) -> None:
    svc = openwmi.connect(auth_server.url, user="reader", password="readpw")
    try:
        assert svc.get_object('R_Base.Name="a"')["N"] == 1
        with pytest.raises(WbemError) as info:
            svc.put_instance(svc.spawn_instance("R_Base", Name="w"))
        assert info.value.hresult == HResult.WBEM_E_ACCESS_DENIED
        sink = CollectingSink()
        svc.exec_method_async("R_Calc", "Add", {"A": 1, "B": 1}, sink)
        assert sink.wait(10) == HResult.WBEM_E_ACCESS_DENIED
    finally:
        svc.close()
    admin = openwmi.connect(auth_server.url, user="admin", password="adminpw")
    try:
        assert admin.exec_method("R_Calc", "Add", {"A": 1, "B": 1})["Sum"] == 2
    finally:
        admin.close()


# --- a server without pull operations --------------------------------------------------------


class NoPull:
    """ASGI wrapper answering every Open…/Pull… with CIM_ERR_NOT_SUPPORTED."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.refused: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            method = dict(scope["headers"]).get(b"cimmethod", b"").decode()
            if method.lower().startswith(("open", "pull")):
                self.refused.append(method)
                body = error_response("1", method, 7, "pull operations are off")
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/xml"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


@pytest.fixture
def classic() -> Iterator[tuple[openwmi.Services, NoPull, Any]]:
    manager, _methods, endless = make_manager()
    app = NoPull(build_app(manager, users=None))
    server = ServerThread(app).start()
    svc = openwmi.connect(server.url)
    try:
        yield svc, app, endless
    finally:
        svc.close()
        server.stop()
        manager.close()


def test_classic_fallback(classic: tuple[openwmi.Services, NoPull, Any]) -> None:
    svc, app, _ = classic
    assert sorted(o["Name"] for o in svc.create_instance_enum("R_Base")) == [
        "a",
        "b",
        "s",
    ]
    rows = list(svc.exec_query("SELECT Name FROM R_Base WHERE N = 1"))
    assert [r["Name"] for r in rows] == ["a"]
    assert [o["Id"] for o in svc.associators('R_Base.Name="a"')] == [7]
    assert [o.classname for o in svc.references('R_Base.Name="a"')] == ["R_Link"]
    list(svc.create_instance_enum("R_Base"))
    # each Open… was tried once, then remembered as unsupported
    assert sorted(app.refused) == [
        "OpenAssociatorInstances",
        "OpenEnumerateInstances",
        "OpenQueryInstances",
        "OpenReferenceInstances",
    ]
    with pytest.raises(WbemError) as info:
        list(svc.exec_query("SELECT * FROM R_Nope"))
    assert info.value.hresult == HResult.WBEM_E_INVALID_CLASS


def test_classic_cancel_disconnects_and_closes_the_provider(
    classic: tuple[openwmi.Services, NoPull, Any],
) -> None:
    svc, _, endless = classic

    class First(CollectingSink):
        def __init__(self) -> None:
            super().__init__()
            self.reached = threading.Event()

        def indicate(self, objects: list[Any]) -> int:
            self.reached.set()
            return super().indicate(objects)

    sink = First()
    svc.create_instance_enum_async("R_Endless", sink)
    assert sink.reached.wait(10)
    svc.cancel_async_call(sink)
    assert sink.status == HResult.WBEM_E_CALL_CANCELLED
    assert endless.closed.wait(10)  # the server saw the disconnect
