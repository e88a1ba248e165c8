"""A real uvicorn server (127.0.0.1:0, in a thread) over an in-memory object
manager, and openwmi's own client connected to it over loopback.

The manager holds test classes and instances, an association, a method
provider (one method waits on a gate), and an endless enumeration provider
that records how far it got and when it was closed (so tests can see that a
client cancel reached the server-side provider)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import openwmi
from openwmi.manager import ObjectManager, compile_into
from openwmi.model import ObjectPath
from openwmi.repository import SQLiteRepository
from openwmi.server import UsersFile
from openwmi.server._run import ServerThread, build_app
from openwmi.testing import EndlessProvider

NS = "root/cimv2"

MOF = """
class R_Base {
    [Key] string Name;
    uint32 N;
    string S[];
    datetime When;
    string Label = "dflt";
};
class R_Sub : R_Base { boolean B; };
class R_Other { [Key] uint32 Id; string Tag; };
[Association] class R_Link {
    [Key] R_Base REF Left;
    [Key] R_Other REF Right;
};
class R_Calc {
    [Key] uint32 Id;
    [Static] uint32 Add([In] sint32 A, [In] sint32 B, [Out] sint64 Sum);
    [Static] uint32 Slow([In] string Text, [Out] string Back);
    uint32 Echo([In] string Text, [Out] string Back);
};
class R_Endless { [Key] string Name; };
instance of R_Base { Name = "a"; N = 1; S = {"x", "y"}; When = "20240102030405.000000+000"; };
instance of R_Base { Name = "b"; N = 2; };
instance of R_Sub { Name = "s"; N = 3; B = true; };
instance of R_Other { Id = 7; Tag = "seven"; };
instance of R_Calc { Id = 1; };
instance of R_Link { Left = "R_Base.Name=\\"a\\""; Right = "R_Other.Id=7"; };
"""


@dataclass
class Gate:
    """A one-shot handshake: ``reached`` is set by the producer, which then
    waits for ``release`` (house-style §5, no sleeps)."""

    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class MethodProvider:
    def __init__(self) -> None:
        self.slow = Gate()
        self.slow_done = threading.Event()

    def invoke_method(
        self, ctx: Any, path: ObjectPath, method: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        if method == "Add":
            return {"ReturnValue": 0, "Sum": params["A"] + params["B"]}
        if method == "Echo":
            return {"ReturnValue": 0, "Back": f"{path.relpath}:{params['Text']}"}
        if method == "Slow":
            self.slow.reached.set()
            assert self.slow.release.wait(20)
            self.slow_done.set()
            return {"ReturnValue": 0, "Back": params["Text"]}
        raise AssertionError(method)


@dataclass
class Env:
    manager: ObjectManager
    server: ServerThread
    app: Any
    methods: MethodProvider
    endless: EndlessProvider
    svc: openwmi.Services

    @property
    def url(self) -> str:
        return self.server.url


def make_manager() -> tuple[ObjectManager, MethodProvider, EndlessProvider]:
    manager = ObjectManager(SQLiteRepository(":memory:"))
    compile_into(manager, NS, MOF)
    methods = MethodProvider()
    endless = EndlessProvider()
    manager.register_provider(NS, "R_Calc", methods)
    manager.register_provider(NS, "R_Endless", endless)
    return manager, methods, endless


@pytest.fixture
def env() -> Iterator[Env]:
    manager, methods, endless = make_manager()
    app = build_app(manager, users=None)
    server = ServerThread(app).start()
    svc = openwmi.connect(server.url, timeout=20)
    try:
        yield Env(manager, server, app, methods, endless, svc)
    finally:
        methods.slow.release.set()
        svc.close()
        server.stop()
        manager.close()


@pytest.fixture
def users_file(tmp_path: Path) -> UsersFile:
    users = UsersFile(tmp_path / "users.json")
    users.add("admin", "adminpw", {"*": ["admin"]})
    users.add("reader", "readpw", {"root/cimv2": ["read"]})
    users.save()
    return users


@pytest.fixture
def auth_server(users_file: UsersFile) -> Iterator[ServerThread]:
    manager, methods, _ = make_manager()
    server = ServerThread(build_app(manager, users=users_file)).start()
    try:
        yield server
    finally:
        methods.slow.release.set()
        server.stop()
        manager.close()
