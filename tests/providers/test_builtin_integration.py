"""Built-in providers through the embedded default (issue 7 with issues 3 and 6).

Against the real machine: a child process of this test is found by WQL, by
association traversal, and as creation/deletion events from WITHIN polling
driven by an injected clock (no sleeps).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

import openwmi
from openwmi import QueueSink
from openwmi.testing import FakeClock


@pytest.fixture(scope="module")
def machine() -> Iterator[openwmi.Services]:
    svc = openwmi.connect(repository=":memory:")  # built-in providers installed
    yield svc
    svc.close()


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    with subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    ) as proc:
        yield proc
        proc.kill()


def test_readme_first_example(
    machine: openwmi.Services, child: subprocess.Popen[bytes]
) -> None:
    """Issue 7: ``SELECT Name, ProcessId FROM Win32_Process`` runs unchanged and
    returns real data (the child started by this test is in it)."""
    rows = list(machine.exec_query("SELECT Name, ProcessId FROM Win32_Process"))
    pids = {r.ProcessId for r in rows}
    assert child.pid in pids
    assert os.getpid() in pids
    (me,) = machine.exec_query(
        f"SELECT * FROM Win32_Process WHERE ProcessId = {os.getpid()}"
    )
    assert me.Handle == str(os.getpid())


def test_provider_association_traversal(machine: openwmi.Services) -> None:
    """Issue 7 associations (Win32_SystemProcesses) through ASSOCIATORS/REFERENCES OF."""
    path = f'Win32_Process.Handle="{os.getpid()}"'
    systems = list(
        machine.exec_query(
            f"ASSOCIATORS OF {{{path}}} WHERE ResultClass = Win32_ComputerSystem"
        )
    )
    assert [s.classname for s in systems] == ["Win32_ComputerSystem"]
    refs = list(
        machine.exec_query(
            f"REFERENCES OF {{{path}}} WHERE ResultClass = Win32_SystemProcesses"
        )
    )
    assert len(refs) == 1


def test_deep_enumeration_skips_a_not_capable_subclass(
    machine: openwmi.Services,
) -> None:
    """A base-class enumeration does not fail because one subclass provider cannot
    enumerate on this machine (e.g. Win32_Service without systemd)."""
    classes = {i.classname for i in machine.create_instance_enum("CIM_LogicalElement")}
    assert "Win32_Process" in classes


def test_process_events_by_polling(machine: openwmi.Services) -> None:
    """Issue 7 / spec §6.5: process creation and deletion show up as intrinsic
    events through WITHIN polling (clock injected; the poll runs on tick())."""
    events = machine.manager.events
    clock = FakeClock(1000.0)
    events.configure(clock=clock, autotick=False)
    sink = QueueSink()
    machine.exec_notification_query_async(
        "SELECT * FROM __InstanceOperationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process'",
        sink,
    )
    try:
        with subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            stdin=subprocess.PIPE,
        ) as proc:
            clock.advance(1.5)
            events.tick()
            created = _wait_for(sink, "__InstanceCreationEvent", proc.pid)
            assert created.TargetInstance.Name.startswith("python")
            proc.kill()
        clock.advance(1.5)
        events.tick()
        _wait_for(sink, "__InstanceDeletionEvent", proc.pid)
    finally:
        machine.cancel_async_call(sink)


def _wait_for(sink: QueueSink, classname: str, pid: int) -> openwmi.CIMInstance:
    while True:
        event = sink.get(timeout=20)
        assert not event.final, (
            f"subscription ended: 0x{event.hresult:08X} {event.message}"
        )
        for obj in event.objects:
            if obj.classname == classname and obj.TargetInstance.ProcessId == pid:
                found: openwmi.CIMInstance = obj
                return found
