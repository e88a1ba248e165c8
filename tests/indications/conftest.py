"""Fixtures for the indication tests: an openwmi server (uvicorn on
127.0.0.1:0 in a thread) over a file repository, and real pywbem
``WBEMListener`` listeners on loopback ports.

Nothing here sleeps: a test waits for what a listener received with a
condition variable (``Listener.wait_for``) and for the delivery threads with
``IndicationService.flush``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pywbem
from pywbem import WBEMListener, WBEMServer

from openwmi.manager import ObjectManager, compile_into
from openwmi.repository import SQLiteRepository
from openwmi.server import CIMXMLApp
from openwmi.server._indications import IndicationService, indication_service
from openwmi.server._run import ServerThread, build_app

NS = "root/cimv2"
INTEROP = "root/interop"
MOF = """
class T_Base { [Key] string Name; uint32 N; };
class T_Other { [Key] string Name; };
"""
CREATION_T_BASE = (
    "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Base'"
)
CREATION_T_OTHER = (
    "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Other'"
)


@dataclass
class Listener:
    """A pywbem WBEMListener and what it received (in arrival order)."""

    listener: WBEMListener
    url: str
    received: list[pywbem.CIMInstance] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def on_indication(self, indication: pywbem.CIMInstance, host: str) -> None:
        with self.cond:
            self.received.append(indication)
            self.cond.notify_all()

    def wait_for(
        self, predicate: Callable[[list[pywbem.CIMInstance]], bool], timeout: float = 15
    ) -> list[pywbem.CIMInstance]:
        with self.cond:
            ok = self.cond.wait_for(lambda: predicate(self.received), timeout)
            assert ok, f"listener got {len(self.received)}: {self.received!r}"
            return list(self.received)

    def wait_count(self, n: int, timeout: float = 15) -> list[pywbem.CIMInstance]:
        return self.wait_for(lambda got: len(got) >= n, timeout)


def free_port() -> int:
    """A loopback port that was free a moment ago (pywbem's listener cannot
    bind port 0 itself: ``http_port=0`` means "no HTTP")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def closed_port() -> int:
    """A loopback port where nothing listens (connections are refused)."""
    return free_port()


@contextlib.contextmanager
def running_listener() -> Iterator[Listener]:
    last: Exception | None = None
    for _ in range(5):
        port = free_port()
        lis = WBEMListener("127.0.0.1", http_port=port, max_ind_queue_size=0)
        wrapper = Listener(lis, f"http://127.0.0.1:{port}")
        lis.add_callback(wrapper.on_indication)
        # its callback thread polls its queue with this timeout; stop() waits
        # for that thread, so keep it short (default 2 s per listener)
        lis.queue_get_timeout = 0.05
        try:
            lis.start()
        except pywbem.ListenerPortError as exc:  # someone took the port: again
            last = exc
            continue
        try:
            yield wrapper
        finally:
            lis.stop()
        return
    raise AssertionError(f"no listener port: {last}")


@pytest.fixture
def listener() -> Iterator[Listener]:
    with running_listener() as lis:
        yield lis


@pytest.fixture
def listener2() -> Iterator[Listener]:
    with running_listener() as lis:
        yield lis


@dataclass
class Env:
    """One server run over ``db``."""

    db: str
    manager: ObjectManager
    app: CIMXMLApp
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def service(self) -> IndicationService:
        service = indication_service(self.manager)
        assert service is not None
        return service

    def conn(self, ns: str = INTEROP) -> pywbem.WBEMConnection:
        return pywbem.WBEMConnection(self.url, default_namespace=ns, timeout=30)

    def wbem_server(self) -> WBEMServer:
        return WBEMServer(self.conn())

    def put(self, classname: str, name: str, **values: Any) -> None:
        self.manager.put_instance(
            NS, self.manager.spawn_instance(NS, classname, Name=name, **values)
        )

    def stop(self) -> None:
        self.server.stop()
        self.manager.close()


def start_env(db: str, *, schema: bool = True) -> Env:
    manager = ObjectManager(SQLiteRepository(db))
    if schema:
        compile_into(manager, NS, MOF)
    app = build_app(manager, users=None)
    server = ServerThread(app).start()
    return Env(db, manager, app, server)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = start_env(str(tmp_path / "repo.db"))
    try:
        yield e
    finally:
        e.stop()
