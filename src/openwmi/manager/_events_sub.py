"""A subscription of the event subsystem: filter, grouping window, bounded queue.

Owns ``Subscription`` (Rules 3-6 of ``_events``: never blocks a producer;
at most ``limit`` events queued, the oldest dropped with one
``__EventQueueOverflowEvent`` notice; GROUP WITHIN aggregation with HAVING;
an async iterator that never ends normally), ``EventPlan`` (a validated
notification query) and the helpers that read a bound query (``isa_targets``).
Imports model, query and errors (+ asyncio to wake async consumers); never
engine, protocol, server or client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import CallCancelledError, InvalidParameterError, WbemError
from ..model import CIMClass, CIMInstance
from ..query import And, BoundExpr, BoundQuery, Or, Predicate, compile_where

if TYPE_CHECKING:
    from ._events import EventManager
    from ._events_poll import Poller

__all__ = ["EventPlan", "Subscription", "isa_targets", "lineage", "wake"]

_log = logging.getLogger("openwmi.events")


def lineage(cls: CIMClass) -> frozenset[str]:
    return frozenset((cls.name.lower(), *(d.lower() for d in cls.derivation)))


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _path_getter(path: tuple[str, ...]) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        for name in path:
            if obj is None:
                return None
            try:
                obj = obj[name]
            except (KeyError, TypeError, IndexError):
                return None
        return obj

    return get


def isa_targets(node: BoundExpr | None) -> set[str] | None:
    """Classes named by ``TargetInstance/PreviousInstance ISA`` that bound the
    query (None: unbounded). AND takes any bounded operand; OR needs all."""
    if node is None:
        return None
    if isinstance(node, Predicate):
        if node.op == "ISA" and node.prop.path[0].lower() in (
            "targetinstance",
            "previousinstance",
        ):
            return {str(node.value)}
        return None
    source = getattr(node, "source", None)
    operands: tuple[BoundExpr, ...] = getattr(node, "operands", ())
    if isinstance(source, And):
        for op in operands:
            found = isa_targets(op)
            if found is not None:
                return found
        return None
    if isinstance(source, Or):
        out: set[str] = set()
        for op in operands:
            found = isa_targets(op)
            if found is None:
                return None
            out |= found
        return out
    return None


@dataclass(frozen=True, slots=True)
class EventPlan:
    """A validated notification query (Rule 1) with what it needs to run."""

    namespace: str
    text: str
    bound: BoundQuery
    from_lower: str
    instance_family: bool
    targets: frozenset[str] | None  # ISA classes and their subclasses (lower)
    poll_classes: tuple[str, ...]  # provider-backed classes to poll
    within: float | None
    group_within: float | None


def wake(futures: list[asyncio.Future[None]]) -> None:
    """Resolve waiting consumers: one ``call_soon_threadsafe`` per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for fut in futures:
        by_loop.setdefault(fut.get_loop(), []).append(fut)
    for loop, futs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # loop closed: nobody waits
            loop.call_soon_threadsafe(_resolve, futs)


def _resolve(futs: list[asyncio.Future[None]]) -> None:
    for fut in futs:
        if not fut.done():
            fut.set_result(None)


class Subscription:
    """One subscription: filter, optional grouping, bounded queue (Rules 3-6).

    As an async iterator it yields event objects forever (closing or failing
    ends it with an exception, never with StopAsyncIteration). ``aclose()`` and
    ``close()`` remove it and its timers. Event objects are shared between
    subscriptions: treat them as read-only.
    """

    def __init__(
        self, owner: EventManager, plan: EventPlan, *, limit: int, query_id: int
    ) -> None:
        if limit < 1:
            raise InvalidParameterError("an event queue limit must be >= 1")
        self.id = query_id
        self.plan = plan
        self.namespace = plan.namespace
        self.from_lower = plan.from_lower
        self.limit = limit
        self.dropped = 0
        self.delivered = 0
        self.poller: Poller | None = None
        self.consumer: Any = None  # permanent consumer path (IntendedConsumer)
        self.group_deadline: float | None = None
        self._owner = owner
        self._match = compile_where(plan.bound.where)
        bound = plan.bound
        self._having = compile_where(bound.having) if bound.having else None
        self._group_getters = tuple(
            _path_getter(bp.path) for bp in bound.group_by or ()
        )
        self._groups: dict[tuple[Any, ...], list[Any]] = {}
        self._lock = threading.Lock()
        self._queue: deque[CIMInstance] = deque()
        self._notice: CIMInstance | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._notify: Callable[[], None] | None = None
        self._error: WbemError | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<Subscription {self.id} {self.namespace}: {self.plan.text}>"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def error(self) -> WbemError | None:
        return self._error

    def pending(self) -> int:
        """Events queued and not yet taken (the overflow notice counts)."""
        with self._lock:
            return len(self._queue) + (self._notice is not None)

    # --- producer side (never blocks, Rule 3) ---------------------------------------
    def offer(self, event: CIMInstance) -> asyncio.Future[None] | None:
        """Filter ``event`` (its class already matched FROM); queue or group it.

        Returns a waiting consumer's future to wake, if any.
        """
        try:
            if not self._match(event):
                return None
        except Exception:  # a filter never breaks the writer
            _log.debug("event filter failed", exc_info=True)
            return None
        if self.plan.group_within is not None:
            self._group(event)
            return None
        return self.push(event)

    def push(self, event: CIMInstance) -> asyncio.Future[None] | None:
        with self._lock:
            if self._closed:
                return None
            queue = self._queue
            if len(queue) >= self.limit:
                lost = queue.popleft()
                self.dropped += 1
                if self._notice is None:
                    self._notice = self._owner.overflow_notice(self, lost)
            queue.append(event)
            waiter, self._waiter = self._waiter, None
            notify = self._notify
        if notify is not None:
            notify()
        return waiter

    def _group(self, event: CIMInstance) -> None:
        key = tuple(_norm(get(event)) for get in self._group_getters)
        arm = False
        with self._lock:
            if self._closed:
                return
            slot = self._groups.get(key)
            if slot is None:
                self._groups[key] = [1, event]
            else:
                slot[0] += 1
            if self.group_deadline is None:
                assert self.plan.group_within is not None
                self.group_deadline = self._owner.clock.now() + self.plan.group_within
                arm = True
        if arm:
            self._owner._arm_group(self)

    def flush_groups(self) -> list[asyncio.Future[None]]:
        """GROUP WITHIN expired: one ``__AggregateEvent`` per group, HAVING applied."""
        with self._lock:
            groups, self._groups = self._groups, {}
            self.group_deadline = None
        wake: list[asyncio.Future[None]] = []
        for count, representative in groups.values():
            agg = self._owner.aggregate_event(self.namespace, count, representative)
            if self._having is not None and not self._having(agg):
                continue
            w = self.push(agg)
            if w is not None:
                wake.append(w)
        return wake

    # --- consumer side ------------------------------------------------------------------
    def _take_locked(self) -> CIMInstance | None:
        notice = self._notice
        if notice is not None:
            self._notice = None
            return notice
        if self._queue:
            self.delivered += 1
            return self._queue.popleft()
        return None

    def get_nowait(self) -> CIMInstance | None:
        """The next event, or None (raises the failure once the subscription failed)."""
        with self._lock:
            event = self._take_locked()
            if event is None and self._error is not None:
                raise self._error
            return event

    def set_notify(self, notify: Callable[[], None] | None) -> None:
        """A callback run (on the producer's thread) after each queued event."""
        self._notify = notify

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> CIMInstance:
        while True:
            with self._lock:
                event = self._take_locked()
                if event is not None:
                    return event
                if self._error is not None:
                    raise self._error
                if self._closed:
                    raise CallCancelledError("the event subscription was cancelled")
                fut = asyncio.get_running_loop().create_future()
                self._waiter = fut
            try:
                await fut
            finally:
                with self._lock:
                    if self._waiter is fut:
                        self._waiter = None

    async def aclose(self) -> None:
        self.close()

    def close(self, error: WbemError | None = None) -> None:
        """End the subscription (idempotent): remove it, its poller share and its
        grouping timer; a consumer waiting gets ``error`` (or CallCancelledError)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._error = error
            self._queue.clear()
            self._notice = None
            self._groups.clear()
            self.group_deadline = None
            waiter, self._waiter = self._waiter, None
            notify = self._notify
        try:
            if waiter is not None:
                wake([waiter])
            if notify is not None:
                notify()
        finally:
            self._owner._remove(self)

    def fail(self, error: WbemError) -> None:
        self.close(error)
