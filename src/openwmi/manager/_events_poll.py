"""WITHIN polling for the event subsystem: diff successive enumerations.

Owns ``Poller`` (spec §6.5 "Polling algorithm", MS-WMI §3.1.5
EventPollingTimer): it enumerates the provider-backed classes of a polling
subscription, keeps the previous snapshot, and turns the difference into
``__InstanceCreationEvent`` / ``__InstanceDeletionEvent`` /
``__InstanceModificationEvent`` objects. One poller serves every subscription
with the same namespace, classes and interval. Also ``collect`` (an
enumeration, sync or async, as a list) and ``instance_identity``.

Imports model and errors only (+ asyncio to drain async provider
enumerations on a private loop); never engine, protocol, server or client.

Rule 1. ``PrevInstances`` is filled when the poller is created (the first
        subscription), so the first poll reports what changed since then.
Rule 2. Instances are matched by class and key values (strings compared
        case-insensitively); an instance whose values differ in any property
        gives a modification event with ``PreviousInstance``.
Rule 3. A failed enumeration raises; the caller fails the subscriptions of
        the poller (one final status each) and drops it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from ..model import CIMInstance

__all__ = ["Poller", "collect", "instance_identity"]

Enumerate = Callable[[str], Any]  # classname -> iterator or async iterator


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def instance_identity(inst: CIMInstance) -> tuple[Any, ...]:
    """Class and key values: what names one instance across two polls (Rule 2)."""
    cls = inst.cimclass
    keys = cls.key_names if cls is not None else []
    if not keys:
        path = inst.path
        if path is not None:
            return path.identity()
        return (inst.classname.lower(), id(inst))
    return (inst.classname.lower(), *(_norm(inst.get(k)) for k in keys))


async def _drain(ait: AsyncIterator[Any]) -> list[Any]:
    out = [item async for item in ait]
    aclose = getattr(ait, "aclose", None)
    if aclose is not None:
        await aclose()
    return out


def collect(result: Any) -> list[Any]:
    """Every object of a sync or async enumeration, as a list.

    An async enumeration runs on a private event loop (on a helper thread when
    the calling thread already runs one).
    """
    if result is None:
        return []
    if hasattr(result, "__aiter__"):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_drain(result))
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = asyncio.run(_drain(result))
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=run, name="openwmi-events-collect")
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]
        return list(box["value"])
    it = iter(result)
    try:
        return list(it)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


class Poller:
    """Polls ``classes`` of ``namespace`` every ``interval`` seconds (Rules 1-3).

    ``make_event(kind, target, previous)`` builds the event objects
    (``kind`` is "creation", "deletion" or "modification"). The subscriptions
    attached to the poller are kept by the event manager in ``subscriptions``.
    """

    def __init__(
        self,
        key: tuple[Any, ...],
        namespace: str,
        classes: tuple[str, ...],
        interval: float,
        enumerate_class: Enumerate,
        now: float,
    ) -> None:
        self.key = key
        self.namespace = namespace
        self.classes = classes
        self.interval = interval
        self.next_due = now + interval
        self.subscriptions: list[Any] = []
        self.polls = 0
        self._enumerate = enumerate_class
        self._prev: dict[tuple[Any, ...], tuple[CIMInstance, dict[str, Any]]] = (
            self._snapshot()
        )

    def _snapshot(self) -> dict[tuple[Any, ...], tuple[CIMInstance, dict[str, Any]]]:
        out: dict[tuple[Any, ...], tuple[CIMInstance, dict[str, Any]]] = {}
        for name in self.classes:
            items: Iterable[Any] = collect(self._enumerate(name))
            for inst in items:
                out[instance_identity(inst)] = (inst, inst.values_set())
        return out

    def poll(
        self, make_event: Callable[[str, CIMInstance, CIMInstance | None], Any]
    ) -> list[Any]:
        """Enumerate again and return the events for what changed (Rule 2)."""
        cur = self._snapshot()
        prev = self._prev
        events: list[Any] = []
        for ident, (inst, values) in cur.items():
            old = prev.get(ident)
            if old is None:
                events.append(make_event("creation", inst, None))
            elif old[1] != values:
                events.append(make_event("modification", inst, old[0]))
        for ident, (inst, _values) in prev.items():
            if ident not in cur:
                events.append(make_event("deletion", inst, None))
        self._prev = cur
        self.polls += 1
        return events
