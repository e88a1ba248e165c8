"""The event subsystem: notification queries, intrinsic/polled/extrinsic events.

Owns ``EventManager`` (one per object manager, ``events_of(manager)``),
``Subscription`` (one temporary or permanent subscription: its filter, its
grouping window and its bounded queue) and ``EventStatistics``. Imports model,
query, repository and errors (+ asyncio for waking async consumers); never
engine, protocol, server or client. The client turns a ``Subscription`` into an
ExecNotificationQuery call (it is an async iterator that never ends on its own).

Rule 1 (validation, spec §6.4). ``prepare`` checks, in order: the language
        (None → WBEM_E_INVALID_PARAMETER, not WQL → WBEM_E_INVALID_QUERY_TYPE),
        the syntax (WBEM_E_UNPARSABLE_QUERY), the FROM class
        (WBEM_E_INVALID_CLASS / WBEM_E_NOT_EVENT_CLASS), GROUP rules
        (WBEM_E_MISSING_GROUP_WITHIN…), then coverage: an instance-event query
        whose ``TargetInstance ISA`` classes include provider-backed classes
        that no event provider covers needs WITHIN
        (WBEMESS_E_REGISTRATION_TOO_PRECISE); an instance-event query with
        WITHIN and no ISA would poll everything (WBEMESS_E_REGISTRATION_TOO_BROAD).
        Without WITHIN and without ISA it sees every repository change.
Rule 2 (sources). Repository writes arrive through the change feed (after
        commit, on the writer's thread); provider-backed classes are polled
        (``_events_poll``; one poller per namespace, classes and interval);
        event providers publish with ``publish_event``/``publish_extrinsic``.
Rule 3 (the writer never waits). Dispatch evaluates each subscription's
        filter and appends to its bounded queue; it never blocks and never
        calls a sink. Consumers (the call engine, permanent consumers) drain
        the queues on their own threads.
Rule 4 (bounded, never silent). A queue holds at most ``queue_limit`` events
        (default 1,000, MS-WMI EventDropLimit). Past it the oldest event is
        dropped and one ``__EventQueueOverflowEvent`` (``Event`` = the first
        event lost) is delivered ahead of the rest; ``Subscription.dropped``
        counts every loss.
Rule 5 (time). WITHIN and GROUP WITHIN use the injected clock; ``tick()`` runs
        due timers. In production a daemon thread calls it; tests pass a
        FakeClock with ``autotick=False`` and call ``tick()`` after ``advance()``.
Rule 6 (endings). A subscription ends only by ``close()`` (cancel), failure
        (a poll or provider error, its namespace deleted) or shutdown; its
        async iterator never finishes normally, so an ExecNotificationQuery
        never gets a success status (design.md decision 3).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..constants import WBEM_FLAG_SHALLOW
from ..errors import (
    HResult,
    InvalidClassError,
    InvalidNamespaceError,
    InvalidParameterError,
    ProviderError,
    ShuttingDownError,
    WbemError,
)
from ..model import CIMClass, CIMInstance
from ..query import (
    check_query_language,
    parse_event_query,
    validate_query,
)
from ..repository import normalize_namespace
from ._events_poll import Poller
from ._events_sub import EventPlan, Subscription, isa_targets, lineage, wake

if TYPE_CHECKING:
    from ._changes import Change
    from ._events_permanent import PermanentSubscriptions
    from ._manager import ObjectManager

__all__ = [
    "Clock",
    "EventManager",
    "EventPlan",
    "EventStatistics",
    "Subscription",
    "events_of",
]

_log = logging.getLogger("openwmi.events")
DEFAULT_QUEUE_LIMIT = 1000  # MS-WMI EventDropLimit (spec §6.2)
_FILETIME_EPOCH = 116_444_736_000_000_000  # 1601-01-01 → 1970-01-01 in 100 ns


class Clock(Protocol):
    """Anything with ``now()`` in monotonic seconds (openwmi.engine.Clock's shape)."""

    def now(self) -> float: ...


class _MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


def filetime_now() -> int:
    """``TIME_CREATED``: 100-ns intervals since 1601-01-01 UTC (spec §6.5)."""
    return time.time_ns() // 100 + _FILETIME_EPOCH


@dataclass(frozen=True, slots=True)
class EventStatistics:
    """A snapshot of the event subsystem (``EventManager.statistics()``)."""

    subscriptions: int
    pollers: int
    group_timers: int
    timer_thread: bool
    dropped: int
    permanent_bindings: int
    event_providers: int


class _ProviderReg:
    def __init__(
        self,
        namespace: str,
        provider: Any,
        event_classes: dict[str, frozenset[str]],
        instance_classes: frozenset[str],
    ) -> None:
        self.namespace = namespace
        self.provider = provider
        self.event_classes = event_classes
        self.instance_classes = instance_classes


class EventPublisher:
    """What an event provider gets from ``provide_events``: ``publish(event)``."""

    def __init__(self, events: EventManager, namespace: str) -> None:
        self._events = events
        self.namespace = namespace

    def publish(self, event: CIMInstance) -> None:
        self._events.publish_event(self.namespace, event)


def _call_quietly(fn: Any, *args: Any) -> None:
    if callable(fn):
        try:
            fn(*args)
        except Exception:  # advisory notifications never fail a subscription
            _log.debug("event provider notification failed", exc_info=True)


class EventManager:
    """The event subsystem of one object manager (Rules 1-6).

    Args:
        manager: the object manager.
        clock: monotonic time for WITHIN / GROUP WITHIN (FakeClock in tests).
        queue_limit: events a subscription may hold before dropping the oldest.
        autotick: run a daemon timer thread (default: only with the real clock).
    """

    def __init__(
        self,
        manager: ObjectManager,
        *,
        clock: Clock | None = None,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        autotick: bool | None = None,
    ) -> None:
        from ._events_permanent import PermanentSubscriptions

        self._manager = manager
        self.clock: Clock = clock if clock is not None else _MonotonicClock()
        self.autotick = (clock is None) if autotick is None else autotick
        self.queue_limit = queue_limit
        self._lock = threading.RLock()
        self._by_ns: dict[str, tuple[Subscription, ...]] = {}
        self._subs: dict[int, Subscription] = {}
        self._pollers: dict[tuple[Any, ...], Poller] = {}
        self._grouping: dict[int, Subscription] = {}
        self._providers: list[_ProviderReg] = []
        self._ids = itertools.count(1)
        self._unsubscribe: Callable[[], None] | None = None
        self._tick_lock = threading.Lock()
        self._ticker: _Ticker | None = None
        self._closed = False
        self._classes: dict[tuple[str, str], tuple[CIMClass, frozenset[str]]] = {}
        self._lineages: dict[tuple[str, str], frozenset[str]] = {}
        self.permanent: PermanentSubscriptions = PermanentSubscriptions(self)
        self.permanent.start()

    @property
    def manager(self) -> ObjectManager:
        return self._manager

    def configure(
        self,
        *,
        clock: Clock | None = None,
        autotick: bool | None = None,
        queue_limit: int | None = None,
    ) -> None:
        """Swap the clock / timer thread / default queue limit (tests, tuning)."""
        with self._lock:
            if clock is not None:
                self.clock = clock
            if autotick is not None:
                self.autotick = autotick
            if queue_limit is not None:
                if queue_limit < 1:
                    raise InvalidParameterError("queue_limit must be >= 1")
                self.queue_limit = queue_limit
            ticker = self._ticker if not self.autotick else None
            if ticker is not None:
                self._ticker = None
        if ticker is not None:
            ticker.stop()
        self._poke()

    # --- classes ---------------------------------------------------------------------
    def _class(self, namespace: str, name: str) -> tuple[CIMClass, frozenset[str]]:
        key = (normalize_namespace(namespace), name.lower())
        hit = self._classes.get(key)
        if hit is None:
            cls = self._manager.repository.get_class(namespace, name)
            if cls is None:
                raise InvalidClassError(f"class {name} does not exist in {namespace}")
            hit = (cls, lineage(cls))
            self._classes[key] = hit
        return hit

    def _lineage_of(self, cls: CIMClass | None) -> frozenset[str]:
        if cls is None:
            return frozenset()
        key = (normalize_namespace(cls.namespace or ""), cls.name.lower())
        hit = self._lineages.get(key)
        if hit is None:
            hit = self._lineages[key] = lineage(cls)
        return hit

    def _event(
        self, namespace: str, classname: str, values: dict[str, Any]
    ) -> CIMInstance:
        cls = self._class(namespace, classname)[0]
        values["TIME_CREATED"] = filetime_now()
        return CIMInstance.trusted(cls, values, namespace=cls.namespace)

    def instance_event(
        self,
        namespace: str,
        kind: str,
        target: CIMInstance,
        previous: CIMInstance | None = None,
    ) -> CIMInstance:
        """``__Instance{Creation,Deletion,Modification}Event`` for ``target``."""
        values: dict[str, Any] = {"TargetInstance": target}
        if previous is not None:
            values["PreviousInstance"] = previous
        return self._event(namespace, f"__Instance{kind.capitalize()}Event", values)

    def aggregate_event(
        self, namespace: str, count: int, representative: CIMInstance
    ) -> CIMInstance:
        cls = self._class(namespace, "__AggregateEvent")[0]
        return CIMInstance.trusted(
            cls,
            {"NumberOfEvents": count, "Representative": representative},
            namespace=cls.namespace,
        )

    def overflow_notice(self, sub: Subscription, lost: CIMInstance) -> CIMInstance:
        """The ``__EventQueueOverflowEvent`` delivered when ``sub`` loses events."""
        values: dict[str, Any] = {"Event": lost}
        if sub.consumer is not None:
            values["IntendedConsumer"] = sub.consumer
        return self._event(sub.namespace, "__EventQueueOverflowEvent", values)

    # --- validation (Rule 1) --------------------------------------------------------------
    def prepare(self, namespace: str, query: str, language: str = "WQL") -> EventPlan:
        """Validate a notification query (Rule 1) without subscribing.

        Raises:
            InvalidParameterError: NULL language or query.
            InvalidQueryTypeError: the language is not WQL.
            UnparsableQueryError: a syntax error (line/column in the message).
            InvalidClassError: the FROM (or an ISA) class does not exist.
            WbemError: WBEM_E_NOT_EVENT_CLASS, WBEM_E_MISSING_GROUP_WITHIN,
                WBEM_E_AGGREGATING_BY_OBJECT, WBEM_E_PROPERTY_NOT_AN_OBJECT,
                WBEMESS_E_REGISTRATION_TOO_PRECISE / _TOO_BROAD.
            InvalidNamespaceError: the namespace does not exist.
        """
        check_query_language(language)
        manager = self._manager
        ns = manager.check_namespace(namespace)
        parsed = parse_event_query(query)
        repo = manager.repository
        bound = validate_query(parsed, lambda name: repo.get_class(ns, name))
        cls = bound.cimclass
        cls_lineage = lineage(cls)
        from_lower = cls.name.lower()
        instance_family = (
            from_lower == "__event" or "__instanceoperationevent" in cls_lineage
        )
        targets: set[str] | None = None
        poll: list[str] = []
        if instance_family:
            isa = isa_targets(bound.where)
            if isa is None:
                if parsed.within is not None:
                    raise WbemError.of(
                        HResult.WBEMESS_E_REGISTRATION_TOO_BROAD,
                        "WITHIN without 'TargetInstance ISA <class>' would poll every "
                        f"class in {ns}; name the class to watch",
                    )
            else:
                targets = set()
                for name in isa:
                    base = repo.get_class(ns, name)
                    if base is None:  # validated already; defensive
                        raise InvalidClassError(f"class {name} does not exist in {ns}")
                    for c in (base, *repo.subclasses(ns, base.name, deep=True)):
                        targets.add(c.name.lower())
                        if manager.providers.get(
                            ns, c.name
                        ) is not None and not self._covered(ns, c.name):
                            poll.append(c.name)
                if poll and parsed.within is None:
                    raise WbemError.of(
                        HResult.WBEMESS_E_REGISTRATION_TOO_PRECISE,
                        f"{', '.join(poll)} {'is' if len(poll) == 1 else 'are'} served "
                        "by a provider with no event provider: add WITHIN <seconds> "
                        "so the class is polled",
                    )
        return EventPlan(
            namespace=ns,
            text=str(query),
            bound=bound,
            from_lower=from_lower,
            instance_family=instance_family,
            targets=None if targets is None else frozenset(targets),
            poll_classes=tuple(dict.fromkeys(poll)),
            within=parsed.within,
            group_within=parsed.group_within,
        )

    def _covered(self, namespace: str, classname: str) -> bool:
        ns, low = normalize_namespace(namespace), classname.lower()
        return any(
            r.namespace == ns and low in r.instance_classes for r in self._providers
        )

    # --- subscribing ----------------------------------------------------------------------
    def subscribe(
        self,
        namespace: str,
        query: str,
        language: str = "WQL",
        *,
        limit: int | None = None,
        plan: EventPlan | None = None,
    ) -> Subscription:
        """Validate (Rule 1) and register a subscription; events queue from now on.

        Raises:
            Everything ``prepare`` raises; ProviderError when the first poll
            (the initial snapshot, spec §6.5) fails; ShuttingDownError once closed.
        """
        if self._closed:
            raise ShuttingDownError("the event subsystem is shut down")
        plan = plan if plan is not None else self.prepare(namespace, query, language)
        sub = Subscription(
            self,
            plan,
            limit=self.queue_limit if limit is None else limit,
            query_id=next(self._ids),
        )
        ns = normalize_namespace(plan.namespace)
        with self._lock:
            if plan.poll_classes:
                assert plan.within is not None
                key = (
                    ns,
                    tuple(sorted(c.lower() for c in plan.poll_classes)),
                    plan.within,
                )
                poller = self._pollers.get(key)
                if poller is None:
                    poller = Poller(
                        key,
                        plan.namespace,
                        plan.poll_classes,
                        plan.within,
                        self._enumerator(plan.namespace),
                        self.clock.now(),
                    )
                    self._pollers[key] = poller
                poller.subscriptions.append(sub)
                sub.poller = poller
            self._subs[sub.id] = sub
            self._by_ns[ns] = (*self._by_ns.get(ns, ()), sub)
            if self._unsubscribe is None:
                self._unsubscribe = self._manager.changes.subscribe(self._on_change)
        for reg in self._covering(sub):
            _call_quietly(
                getattr(reg.provider, "new_query", None), sub.id, "WQL", plan.text
            )
        self._poke()
        return sub

    def _enumerator(self, namespace: str) -> Callable[[str], Any]:
        manager = self._manager

        def enumerate_class(name: str) -> Any:
            return manager.create_instance_enum(namespace, name, WBEM_FLAG_SHALLOW)

        return enumerate_class

    def _covering(self, sub: Subscription) -> list[_ProviderReg]:
        ns = normalize_namespace(sub.namespace)
        plan = sub.plan
        out = []
        from_lineage = lineage(plan.bound.cimclass)
        for reg in self._providers:
            if reg.namespace != ns:
                continue
            hit = any(
                plan.from_lower in ec_lineage or ec in from_lineage
                for ec, ec_lineage in reg.event_classes.items()
            )
            if not hit and plan.instance_family and reg.instance_classes:
                hit = plan.targets is None or bool(plan.targets & reg.instance_classes)
            if hit:
                out.append(reg)
        return out

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if self._subs.pop(sub.id, None) is None:
                return
            ns = normalize_namespace(sub.namespace)
            rest = tuple(s for s in self._by_ns.get(ns, ()) if s is not sub)
            if rest:
                self._by_ns[ns] = rest
            else:
                self._by_ns.pop(ns, None)
            self._grouping.pop(sub.id, None)
            poller = sub.poller
            if poller is not None:
                poller.subscriptions = [s for s in poller.subscriptions if s is not sub]
                if not poller.subscriptions:
                    self._pollers.pop(poller.key, None)
                sub.poller = None
            unsubscribe = None
            if not self._subs:
                unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()
        for reg in self._covering(sub):
            _call_quietly(getattr(reg.provider, "cancel_query", None), sub.id)

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subs.values())

    # --- dispatch (Rules 2-3) ---------------------------------------------------------------
    def _dispatch(
        self, subs: Iterable[Subscription], events: list[CIMInstance]
    ) -> None:
        waiting: list[asyncio.Future[None]] = []
        for event in events:
            ev_lineage = self._lineage_of(event.cimclass)
            for sub in subs:
                if sub.from_lower in ev_lineage:
                    w = sub.offer(event)
                    if w is not None:
                        waiting.append(w)
        if waiting:
            wake(waiting)

    _INSTANCE_KINDS: ClassVar[dict[str, str]] = {
        "instance_created": "creation",
        "instance_modified": "modification",
        "instance_deleted": "deletion",
    }
    _OTHER_KINDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "class_created": ("__ClassCreationEvent", "TargetClass", "PreviousClass"),
        "class_modified": ("__ClassModificationEvent", "TargetClass", "PreviousClass"),
        "class_deleted": ("__ClassDeletionEvent", "TargetClass", "PreviousClass"),
        "namespace_created": (
            "__NamespaceCreationEvent",
            "TargetNamespace",
            "PreviousNamespace",
        ),
        "namespace_deleted": (
            "__NamespaceDeletionEvent",
            "TargetNamespace",
            "PreviousNamespace",
        ),
    }

    def _on_change(self, change: Change) -> None:
        """Change-feed subscriber: runs on the writer's thread after commit."""
        ns = normalize_namespace(change.namespace)
        if change.kind == "namespace_deleted":
            self._namespace_gone(ns, change)
        elif change.kind.startswith("class_"):  # a redefined event class
            self._classes.clear()
            self._lineages.clear()
        subs = self._by_ns.get(ns)
        if not subs:
            return
        kind = self._INSTANCE_KINDS.get(change.kind)
        if kind is not None:
            event = self.instance_event(
                change.namespace, kind, change.target, change.previous
            )
        else:
            classname, target, previous = self._OTHER_KINDS[change.kind]
            values: dict[str, Any] = {target: change.target}
            if change.previous is not None:
                values[previous] = change.previous
            event = self._event(change.namespace, classname, values)
        self._dispatch(subs, [event])

    def _namespace_gone(self, parent: str, change: Change) -> None:
        name = (
            change.target.get("Name")
            if isinstance(change.target, CIMInstance)
            else None
        )
        if not name:
            return
        gone = f"{parent}/{str(name).lower()}"
        for key in [
            k for k in self._classes if k[0] == gone or k[0].startswith(gone + "/")
        ]:
            self._classes.pop(key, None)
        victims = [
            s
            for ns, subs in list(self._by_ns.items())
            if ns == gone or ns.startswith(gone + "/")
            for s in subs
        ]
        for sub in victims:
            sub.fail(InvalidNamespaceError(f"namespace {sub.namespace} was deleted"))

    def publish_event(self, namespace: str, event: CIMInstance) -> None:
        """Deliver an event raised by a provider (intrinsic or extrinsic) to the
        matching subscriptions of ``namespace``. ``TIME_CREATED`` is set if unset.

        Raises:
            InvalidParameterError: ``event`` is not a CIMInstance of a class.
            WbemError: WBEM_E_NOT_EVENT_CLASS when its class is not an event class.
        """
        if not isinstance(event, CIMInstance) or event.cimclass is None:  # type: ignore[redundant-expr]  # callers may pass anything
            raise InvalidParameterError(
                "publish_event needs a CIMInstance of an event class (built with "
                "CIMInstance(manager.get_class(ns, name), {...}))"
            )
        cls = event.cimclass
        if "__event" not in lineage(cls):
            raise WbemError.of(
                HResult.WBEM_E_NOT_EVENT_CLASS,
                f"{cls.name} is not an event class (not derived from __Event)",
            )
        ns = normalize_namespace(self._manager.check_namespace(namespace))
        if event.get("TIME_CREATED") is None and "TIME_CREATED" in cls.properties:
            event["TIME_CREATED"] = filetime_now()
        if event.namespace is None:
            event.namespace = namespace
        subs = self._by_ns.get(ns)
        if subs:
            self._dispatch(subs, [event])

    def publish_extrinsic(
        self,
        namespace: str,
        event: CIMInstance | str,
        properties: dict[str, Any] | None = None,
    ) -> CIMInstance:
        """Publish an extrinsic event (a class derived from ``__ExtrinsicEvent``):
        an instance, or a class name and its property values. Returns the event.

        Raises:
            InvalidClassError: the class does not exist.
            InvalidParameterError: the class is not derived from __ExtrinsicEvent.
        """
        if isinstance(event, str):
            ns = self._manager.check_namespace(namespace)
            cls, ev_lineage = self._class(ns, event)
            inst = CIMInstance(cls, properties or {}, namespace=ns)
        else:
            inst = event
            ev_lineage = lineage(inst.cimclass) if inst.cimclass else frozenset()
        if "__extrinsicevent" not in ev_lineage:
            raise InvalidParameterError(
                f"{inst.classname} is not an extrinsic event class "
                "(derive it from __ExtrinsicEvent)"
            )
        self.publish_event(namespace, inst)
        return inst

    # --- event providers ---------------------------------------------------------------------
    def register_event_provider(
        self, namespace: str, provider: Any, classes: Iterable[str] | None = None
    ) -> None:
        """Register an event provider for ``namespace``.

        ``classes`` (default: ``provider.provides_events``) names event classes
        the provider raises (extrinsic, or intrinsic event classes) and/or
        ordinary classes whose intrinsic events it supplies (so queries on them
        need no WITHIN and are not polled). Optional provider hooks:
        ``provide_events(publisher)`` (called now, with an ``EventPublisher``),
        ``new_query(query_id, language, query)`` and ``cancel_query(query_id)``
        (advisory, spec §6.6: for starting and stopping its sources).

        Raises:
            InvalidParameterError: no classes named.
            InvalidClassError: a class does not exist.
        """
        ns = self._manager.check_namespace(namespace)
        names = list(
            classes if classes is not None else getattr(provider, "provides_events", ())
        )
        if not names:
            raise InvalidParameterError(
                "register_event_provider: name the classes (provides_events)"
            )
        event_classes: dict[str, frozenset[str]] = {}
        instance_classes: set[str] = set()
        for name in names:
            cls, cls_lineage = self._class(ns, name)
            if "__event" in cls_lineage:
                event_classes[cls.name.lower()] = cls_lineage
            else:
                instance_classes.add(cls.name.lower())
                for sc in self._manager.repository.subclasses(ns, cls.name, deep=True):
                    instance_classes.add(sc.name.lower())
        reg = _ProviderReg(
            normalize_namespace(ns),
            provider,
            event_classes,
            frozenset(instance_classes),
        )
        with self._lock:
            self._providers.append(reg)
        _call_quietly(
            getattr(provider, "provide_events", None), EventPublisher(self, ns)
        )
        for sub in self.subscriptions():
            if reg in self._covering(sub):
                _call_quietly(
                    getattr(provider, "new_query", None), sub.id, "WQL", sub.plan.text
                )

    def unregister_event_provider(self, namespace: str, provider: Any) -> None:
        ns = normalize_namespace(namespace)
        with self._lock:
            self._providers = [
                r
                for r in self._providers
                if not (r.namespace == ns and r.provider is provider)
            ]

    # --- timers (Rule 5) -------------------------------------------------------------------
    def _arm_group(self, sub: Subscription) -> None:
        with self._lock:
            if sub.id in self._subs:
                self._grouping[sub.id] = sub
        self._poke()

    def next_due(self) -> float | None:
        """The earliest WITHIN or GROUP WITHIN deadline, or None."""
        with self._lock:
            dues = [p.next_due for p in self._pollers.values()]
            dues += [
                s.group_deadline
                for s in self._grouping.values()
                if s.group_deadline is not None
            ]
        return min(dues) if dues else None

    def tick(self) -> float | None:
        """Run every due poll and grouping window; returns the next deadline.

        Polls run on the calling thread. A poll that fails fails the
        subscriptions of its poller (ProviderError, one final status each).
        """
        with self._tick_lock:
            now = self.clock.now()
            with self._lock:
                pollers = [p for p in self._pollers.values() if now >= p.next_due]
                groups = [
                    s
                    for s in self._grouping.values()
                    if s.group_deadline is not None and now >= s.group_deadline
                ]
                for s in groups:
                    self._grouping.pop(s.id, None)
            for poller in pollers:
                poller.next_due = now + poller.interval
                try:
                    events = poller.poll(self._poll_factory(poller.namespace))
                except Exception as exc:
                    err = (
                        exc
                        if isinstance(exc, WbemError)
                        else ProviderError(
                            f"polling failed: {type(exc).__name__}: {exc}"
                        )
                    )
                    for sub in list(poller.subscriptions):
                        sub.fail(err)
                    continue
                if events:
                    self._dispatch(list(poller.subscriptions), events)
            waiting: list[asyncio.Future[None]] = []
            for sub in groups:
                waiting += sub.flush_groups()
            if waiting:
                wake(waiting)
        return self.next_due()

    def _poll_factory(
        self, namespace: str
    ) -> Callable[[str, CIMInstance, CIMInstance | None], CIMInstance]:
        def make(
            kind: str, target: CIMInstance, prev: CIMInstance | None
        ) -> CIMInstance:
            return self.instance_event(namespace, kind, target, prev)

        return make

    def _poke(self) -> None:
        """Start (or wake) the timer thread when something is timed (autotick)."""
        if not self.autotick or self._closed:
            return
        with self._lock:
            if not self._pollers and not self._grouping:
                return
            ticker = self._ticker
            if ticker is None:
                ticker = self._ticker = _Ticker(self)
                ticker.start()
        ticker.wake()

    # --- lifecycle ------------------------------------------------------------------------
    def statistics(self) -> EventStatistics:
        with self._lock:
            subs = list(self._subs.values())
            return EventStatistics(
                subscriptions=len(subs),
                pollers=len(self._pollers),
                group_timers=len(self._grouping),
                timer_thread=self._ticker is not None and self._ticker.is_alive(),
                dropped=sum(s.dropped for s in subs),
                permanent_bindings=self.permanent.active_count(),
                event_providers=len(self._providers),
            )

    def close(self) -> None:
        """Shut down: every subscription fails with WBEM_E_SHUTTING_DOWN; the timer
        thread and permanent consumers stop. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.permanent.stop()
        for sub in self.subscriptions():
            sub.fail(ShuttingDownError("the object manager is shutting down"))
        with self._lock:
            ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.stop()


class _Ticker(threading.Thread):
    """Calls ``EventManager.tick`` when the next deadline comes (real clock only)."""

    def __init__(self, events: EventManager) -> None:
        super().__init__(name="openwmi-events-timer", daemon=True)
        self._events = events
        self._wakeup = threading.Event()
        self._stopped = False

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopped = True
        self._wakeup.set()
        if self is not threading.current_thread():
            self.join()

    def run(self) -> None:
        events = self._events
        while not self._stopped:
            try:
                due = events.tick()
            except Exception:
                _log.exception("event timer failed")
                due = None
            timeout = None if due is None else max(0.0, due - events.clock.now())
            self._wakeup.wait(timeout)
            self._wakeup.clear()


_attach_lock = threading.Lock()


def events_of(manager: ObjectManager) -> EventManager:
    """The manager's ``EventManager`` (``manager.events``), created on first use."""
    events = getattr(manager, "events", None)
    if isinstance(events, EventManager):
        return events
    with _attach_lock:
        events = getattr(manager, "events", None)
        if not isinstance(events, EventManager):
            events = EventManager(manager)
            setattr(manager, "events", events)  # noqa: B010 - until the lead wires it
    return events
