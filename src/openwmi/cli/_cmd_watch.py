"""``openwmi watch``: stream the events of a notification query until Ctrl-C.

Owns the command and the one-line forms of an event (a table row or a JSON
line). The subscription is ExecNotificationQueryAsync on a QueueSink (through
``_cmd_query.stream_call``); Ctrl-C calls ``cancel_async_call`` (the call ends
with WBEM_E_CALL_CANCELLED, design.md decision 3) and the command exits 130.
A query error (spec §6.4) prints its HRESULT name and exits 1. Imports client
and the CLI's own modules only; never engine or manager internals.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import click

from ..client import Services, connect
from ..client._events import exec_notification_query_async
from ..model import CIMClass, CIMInstance
from ._cmd_query import stream_call
from ._render import _plain

__all__ = ["event_row", "watch"]

_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)


def _when(filetime: Any) -> str:
    if not isinstance(filetime, int):
        return ""
    stamp = _EPOCH_1601 + timedelta(microseconds=filetime // 10)
    return stamp.isoformat(timespec="milliseconds")


def _target(event: CIMInstance) -> Any:
    for name in ("TargetInstance", "TargetClass", "TargetNamespace", "Representative"):
        if name in event:
            value = event[name]
            if value is not None:
                return value
    return None


def event_row(event: CIMInstance) -> dict[str, Any]:
    """The columns of one event: time, class, target and its path."""
    target = _target(event)
    if isinstance(target, CIMInstance):
        path = target.path
        what = path.relpath if path is not None else target.classname
    elif isinstance(target, CIMClass):
        what = target.name
    else:
        what = ""
    row: dict[str, Any] = {
        "TIME_CREATED": _when(event.get("TIME_CREATED")),
        "__CLASS": event.classname,
        "Target": what,
    }
    if "NumberOfEvents" in event:
        row["NumberOfEvents"] = event["NumberOfEvents"]
    return row


def _json(event: CIMInstance) -> str:
    full = {"__CLASS": event.classname, **{k: _plain(v) for k, v in event.items()}}
    full["TIME_CREATED"] = _when(event.get("TIME_CREATED")) or full.get("TIME_CREATED")
    return json.dumps(full, default=str)


@click.command()
@click.argument("wql")
@click.option("--namespace", "-n", default=None, help="Namespace (default root/cimv2).")
@click.option(
    "--repository", "-r", default=None, metavar="PATH", help="SQLite repository file."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default=None,
    help="Rows (default) or JSON lines.",
)
@click.option(
    "--max-events",
    type=click.IntRange(min=1),
    default=None,
    help="Stop (cancel) after this many events.",
)
@click.pass_context
def watch(
    ctx: click.Context,
    wql: str,
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
    max_events: int | None,
) -> None:
    """Stream events until Ctrl-C (which cancels the subscription).

    Example: openwmi watch "SELECT * FROM __InstanceCreationEvent WITHIN 1
    WHERE TargetInstance ISA 'Win32_Process'"
    """
    parent = ctx.obj
    ns = namespace or getattr(parent, "namespace", None) or "root/cimv2"
    repo = repository or getattr(parent, "repository", None)
    style = fmt or getattr(parent, "fmt", None) or "table"
    svc: Services = connect(namespace=ns, repository=repo)
    try:
        run_watch(svc, wql, "json" if style == "json" else "table", max_events)
    finally:
        svc.close()


def run_watch(
    svc: Services, wql: str, fmt: str = "table", max_events: int | None = None
) -> int:
    """Print events of ``wql`` as they come; returns how many were printed."""
    out = sys.stdout
    stream = cast(
        "Generator[Any, None, None]",
        stream_call(svc, lambda sink: exec_notification_query_async(svc, wql, sink)),
    )
    count = 0
    try:
        for event in stream:
            if fmt == "json":
                out.write(_json(event) + "\n")
            else:
                row = event_row(event)
                out.write("  ".join(str(v) for v in row.values()) + "\n")
            out.flush()
            count += 1
            if max_events is not None and count >= max_events:
                break
    finally:
        stream.close()  # GeneratorExit → cancel_async_call
    return count
