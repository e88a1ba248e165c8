"""``openwmi watch`` (issue 6 CLI): events stream as rows or JSON lines; leaving
the stream cancels the subscription through cancel_async_call (spec §2.6
rule 6); a query error exits 1 with its HRESULT name (spec §6.4)."""

from __future__ import annotations

import json
import threading

from click.testing import CliRunner

import openwmi
from openwmi.cli._cmd_watch import run_watch, watch
from openwmi.testing import wait_until

from .conftest import put

SEED = (
    "SELECT * FROM __InstanceCreationEvent WITHIN 1 "
    "WHERE TargetInstance ISA 'Test_Thing'"
)


def _watch_in_thread(
    svc: openwmi.Services, fmt: str, n: int
) -> tuple[threading.Thread, dict[str, int]]:
    result: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("count", run_watch(svc, SEED, fmt, n)),
        daemon=True,
    )
    thread.start()
    return thread, result


def test_watch_prints_rows_then_cancels(things, events, capsys):
    """Issue 6: one row per event; stopping cancels the subscription (spec §2.6)."""
    thread, result = _watch_in_thread(things, "table", 2)
    wait_until(lambda: events.statistics().subscriptions == 1)
    put(things, "Test_Thing", "w1")
    put(things, "Test_Thing", "w2")
    thread.join(20)
    assert result["count"] == 2
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "__InstanceCreationEvent" in lines[0]
    assert 'Test_Thing.Name="w1"' in lines[0]
    wait_until(lambda: events.statistics().subscriptions == 0)


def test_watch_json_lines(things, events, capsys):
    """Issue 6: --format json prints one JSON object per event."""
    thread, _ = _watch_in_thread(things, "json", 1)
    wait_until(lambda: events.statistics().subscriptions == 1)
    put(things, "Test_Thing", "j1", Size=3)
    thread.join(20)
    (line,) = capsys.readouterr().out.splitlines()
    doc = json.loads(line)
    assert doc["__CLASS"] == "__InstanceCreationEvent"
    assert doc["TargetInstance"]["Name"] == "j1"


def test_watch_query_error_exits_with_the_code(tmp_path):
    """Spec §6.4: a non-event class → WBEM_E_NOT_EVENT_CLASS, reported as an error."""
    runner = CliRunner()
    result = runner.invoke(
        watch,
        ["SELECT * FROM __NAMESPACE", "-r", str(tmp_path / "r.sqlite")],
    )
    assert result.exit_code != 0
    assert "NOT_EVENT_CLASS" in str(result.exception)
