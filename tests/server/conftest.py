"""A real uvicorn server on 127.0.0.1:0 in a thread, over an in-memory object
manager with test classes, instances, an association, a method provider and a
gated enumeration provider; pywbem connections to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openwmi.manager import ObjectManager, compile_into
from openwmi.model import ObjectPath
from openwmi.repository import SQLiteRepository
from openwmi.server import CIMXMLApp, Limits, UsersFile
from openwmi.server._run import ServerThread, build_app
from openwmi.testing import EndlessProvider, FakeClock

MOF = """
class T_Base {
    [Key] string Name;
    uint32 N;
    string S[];
    [Description("static")] string Label = "dflt";
};
class T_Calc {
    [Key] uint32 Id;
    [Static] uint32 Add([In] sint32 A, [In] sint32 B, [Out] sint64 Sum, [Out] string Note);
    uint32 Echo([In] string Text, [In] uint8 Codes[], [Out] string Back[]);
};
class T_Sub : T_Base { boolean B; };
class T_Other { [Key] uint32 Id; string Tag; };
[Association] class T_Link {
    [Key] T_Base REF Left;
    [Key] T_Other REF Right;
};
class T_Gated { [Key] string Name; };
instance of T_Base { Name = "a"; N = 1; S = {"x", "y"}; };
instance of T_Base { Name = "b"; N = 2; };
instance of T_Sub { Name = "s"; N = 3; B = true; };
instance of T_Other { Id = 7; Tag = "seven"; };
instance of T_Link {
    Left = "T_Base.Name=\\"a\\"";
    Right = "T_Other.Id=7";
};
"""


class MethodProvider:
    def invoke_method(
        self, ctx: Any, path: ObjectPath, method: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        if method == "Add":
            return {
                "ReturnValue": 0,
                "Sum": params["A"] + params["B"],
                "Note": f"{params['A']}+{params['B']}",
            }
        if method == "Echo":
            return {
                "ReturnValue": len(params.get("Codes") or []),
                "Back": [params.get("Text"), path.relpath],
            }
        raise AssertionError(method)


@dataclass
class Env:
    manager: ObjectManager
    app: CIMXMLApp
    server: ServerThread
    gated: EndlessProvider
    clock: FakeClock

    @property
    def url(self) -> str:
        return self.server.url

    def conn(self, ns: str = "root/cimv2", **kw: Any) -> Any:
        import pywbem

        return pywbem.WBEMConnection(self.url, default_namespace=ns, timeout=30, **kw)


def make_manager() -> tuple[ObjectManager, EndlessProvider]:
    manager = ObjectManager(SQLiteRepository(":memory:"))
    compile_into(manager, "root/cimv2", MOF)
    manager.register_provider("root/cimv2", "T_Calc", MethodProvider())
    gated = EndlessProvider("g")
    manager.register_provider("root/cimv2", "T_Gated", gated)
    return manager, gated


@pytest.fixture
def env() -> Iterator[Env]:
    manager, gated = make_manager()
    clock = FakeClock(1000.0)
    app = build_app(
        manager, users=None, clock=clock.now, limits=Limits(max_request_bytes=1 << 20)
    )
    server = ServerThread(app).start()
    try:
        yield Env(manager, app, server, gated, clock)
    finally:
        server.stop()
        manager.close()


@pytest.fixture
def users_file(tmp_path: Path) -> UsersFile:
    users = UsersFile(tmp_path / "users.json")
    users.add("admin", "adminpw", {"*": ["admin"]})
    users.add("reader", "readpw", {"root/cimv2": ["read"]})
    users.add("other", "otherpw", {"root/default": ["read", "write", "execute"]})
    users.save()
    return users


@pytest.fixture
def auth_env(users_file: UsersFile) -> Iterator[Env]:
    manager, gated = make_manager()
    clock = FakeClock(1000.0)
    app = build_app(manager, users=users_file, clock=clock.now)
    server = ServerThread(app).start()
    try:
        yield Env(manager, app, server, gated, clock)
    finally:
        server.stop()
        manager.close()
