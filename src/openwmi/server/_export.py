"""Indication delivery to listener destinations (DSP1054 "Indications"), with
bounded queues, retries and visible state.

Owns ``DeliveryPolicy`` (limits and back-off), ``Feed`` (one event
subscription feeding one destination, with its DSP1054 sequence numbers),
``Destination`` (one listener URL: its own delivery thread and HTTP client),
``DestinationStatistics`` (a frozen snapshot) and ``IndicationExporter`` (the
destinations of one server). Imports protocol, model and errors (+ httpx);
never the client or the engine. The CIM side (filters, destinations,
subscriptions as interop instances) is ``_indications``.

Rule 1 (the writer never waits). Events queue in the bounded queue of their
        event subscription (``DeliveryPolicy.queue_limit`` per feed; past it the
        oldest is dropped and an ``__EventQueueOverflowEvent`` notice is
        exported ahead of the rest, so a loss is never silent). The producer
        only wakes the destination's thread.
Rule 2 (isolation). Each destination has its own thread and HTTP client; a
        slow, dead or refusing listener delays only its own indications.
Rule 3 (retries). An indication is POSTed as one ExportIndication; a
        transport failure or a retryable refusal (HTTP 5xx/408/429, CIM_ERR_FAILED)
        is retried up to ``retry_attempts`` times, waiting ``retry_interval``
        doubled each time (capped at ``max_retry_interval``). Then it is given
        up (counted in ``failed``, logged, and the feed's ``on_fatal`` runs:
        the subscription's OnFatalErrorPolicy). A permanent refusal (any other
        HTTP 4xx or CIM error) is given up at once. Order within a feed is kept.
Rule 4 (visible state). ``statistics()`` gives, per destination: state
        (``idle``/``sending``/``retrying``/``failing``/``stopped``), queued,
        delivered, attempts, retries, failed, dropped, consecutive failures,
        the last error and when the next retry is due.
Rule 5 (sequencing, DSP1054 §7.9). Every exported indication carries
        ``IndicationFilterName``, ``SequenceContext`` (unique per feed and
        server run) and ``SequenceNumber`` (0, 1, 2 … per feed; a retry keeps
        its number), so a listener can detect loss and duplicates.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ..errors import WbemError
from ..model import CIMInstance, CIMType
from ..protocol._export import (
    ExportError,
    check_export_response,
    export_indication_request,
    export_request_headers,
)

__all__ = [
    "DeliveryPolicy",
    "Destination",
    "DestinationState",
    "DestinationStatistics",
    "Feed",
    "IndicationExporter",
]

log = logging.getLogger("openwmi.server.export")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Delivery limits (DSP1054 CIM_IndicationService DeliveryRetryAttempts /
    DeliveryRetryInterval, here with exponential back-off).

    Args:
        queue_limit: events a feed may hold before the oldest is dropped.
        retry_attempts: retries after the first attempt of one indication.
        retry_interval: seconds before the first retry; doubled for each next.
        max_retry_interval: cap on one back-off wait.
        timeout: seconds for one POST (connect, write and read each).
        verify: TLS verification for https listeners (httpx ``verify``).
    """

    queue_limit: int = 1000
    retry_attempts: int = 3
    retry_interval: float = 1.0
    max_retry_interval: float = 30.0
    timeout: float = 10.0
    verify: bool | str = True

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0-based)."""
        return float(min(self.max_retry_interval, self.retry_interval * (2**retry)))


class DestinationState(enum.Enum):
    """Where a destination's delivery stands (Rule 4)."""

    IDLE = "idle"
    SENDING = "sending"
    RETRYING = "retrying"
    FAILING = "failing"  # the last indication was given up; still trying new ones
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class DestinationStatistics:
    """A snapshot of one destination (``Destination.statistics()``)."""

    key: str
    url: str
    state: str
    feeds: int
    queued: int
    delivered: int
    attempts: int
    retries: int
    failed: int
    dropped: int
    consecutive_failures: int
    last_error: str | None
    next_retry_in: float | None


class EventSource(Protocol):
    """What a feed reads: ``manager.events`` subscriptions have this shape."""

    dropped: int

    def get_nowait(self) -> CIMInstance | None: ...

    def pending(self) -> int: ...

    def set_notify(self, notify: Callable[[], None] | None) -> None: ...

    def close(self) -> None: ...


class Feed:
    """One event subscription feeding one destination (Rules 1 and 5).

    Args:
        source: the event subscription (bounded queue).
        filter_name: the filter's Name (``IndicationFilterName``).
        context: ``SequenceContext`` without its ``openwmi:`` prefix: unique per
            subscription, source namespace and server run.
        on_fatal: called (on the delivery thread) when an indication of this
            feed is given up, with the error text.
    """

    def __init__(
        self,
        source: EventSource,
        *,
        filter_name: str,
        context: str,
        on_fatal: Callable[[Feed, str], None] | None = None,
    ) -> None:
        self.source = source
        self.filter_name = filter_name
        self.sequence_context = f"openwmi:{context}"
        self.on_fatal = on_fatal
        self._seq = itertools.count()
        self.closed = False
        self.armed: Any = None  # the owner's record (``_indications``)

    def take(self) -> tuple[CIMInstance, dict[str, tuple[CIMType, Any]]] | None:
        """The next event with its sequencing properties, or None.

        Raises:
            WbemError: the event subscription failed (e.g. shutdown).
        """
        event = self.source.get_nowait()
        if event is None:
            return None
        extra: dict[str, tuple[CIMType, Any]] = {
            "IndicationFilterName": (CIMType.STRING, self.filter_name),
            "SequenceContext": (CIMType.STRING, self.sequence_context),
            "SequenceNumber": (CIMType.SINT64, next(self._seq)),
        }
        return event, extra

    def close(self) -> None:
        self.closed = True
        self.source.set_notify(None)
        self.source.close()


class Destination:
    """One listener URL with its own delivery thread (Rules 2-4).

    Args:
        key: the identity of the CIM destination instance.
        url: the listener URL (``http://host:port[/path]`` or https).
        policy: delivery limits.
        clock: monotonic seconds (for ``next_retry_in``).
        transport: an httpx transport (tests); default: real sockets.
    """

    def __init__(
        self,
        key: str,
        url: str,
        policy: DeliveryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.key = key
        self.url = url
        self.policy = policy
        self._clock = clock
        self._client = httpx.Client(
            timeout=policy.timeout,
            verify=policy.verify,
            trust_env=False,  # never route indications through an env proxy
            transport=transport,
        )
        self._cond = threading.Condition()
        self._feeds: list[Feed] = []
        self._ready = False
        self._busy = False
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self.state = DestinationState.IDLE
        self.delivered = 0
        self.attempts = 0
        self.retries = 0
        self.failed = 0
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self._retry_at: float | None = None
        self._dropped_closed = 0  # losses of feeds already detached
        self._thread = threading.Thread(
            target=self._run, name=f"openwmi-export-{key[:40]}", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"<Destination {self.key} {self.url} {self.state.value}>"

    # --- feeds -------------------------------------------------------------------------
    def attach(self, feed: Feed) -> None:
        """Start delivering ``feed`` (its events may already be queued)."""
        with self._cond:
            self._feeds.append(feed)
            self._ready = True
            self._cond.notify_all()
        feed.source.set_notify(self.kick)

    def detach(self, feed: Feed) -> None:
        """Stop delivering ``feed`` and close its event subscription."""
        with self._cond:
            if feed in self._feeds:
                self._feeds.remove(feed)
                self._dropped_closed += feed.source.dropped
        feed.close()

    @property
    def feeds(self) -> list[Feed]:
        with self._cond:
            return list(self._feeds)

    def kick(self) -> None:
        """Wake the delivery thread (called on the producer's thread; never blocks
        for long: one condition lock)."""
        with self._cond:
            self._ready = True
            self._cond.notify()

    # --- lifecycle ---------------------------------------------------------------------
    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread (an in-flight POST ends within ``policy.timeout``),
        close every feed and the HTTP client. Idempotent."""
        self._stop.set()
        with self._cond:
            feeds, self._feeds = self._feeds, []
            self._cond.notify_all()
        for feed in feeds:
            self._dropped_closed += feed.source.dropped
            feed.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self.state = DestinationState.STOPPED
        with contextlib.suppress(Exception):
            self._client.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def flush(self, timeout: float = 20.0) -> bool:
        """Wait until every queued event has been sent or given up (tests, bench)."""

        def idle() -> bool:
            return self._stop.is_set() or (
                not self._ready
                and not self._busy
                and all(f.source.pending() == 0 for f in self._feeds)
            )

        with self._cond:
            return self._cond.wait_for(idle, timeout)

    def statistics(self) -> DestinationStatistics:
        with self._cond:
            feeds = list(self._feeds)
            retry_at = self._retry_at
        return DestinationStatistics(
            key=self.key,
            url=self.url,
            state=self.state.value,
            feeds=len(feeds),
            queued=sum(f.source.pending() for f in feeds),
            delivered=self.delivered,
            attempts=self.attempts,
            retries=self.retries,
            failed=self.failed,
            dropped=self._dropped_closed + sum(f.source.dropped for f in feeds),
            consecutive_failures=self.consecutive_failures,
            last_error=self.last_error,
            next_retry_in=None
            if retry_at is None
            else max(0.0, retry_at - self._clock()),
        )

    # --- the delivery thread -----------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._stop.is_set():
                    self._cond.wait()
                if self._stop.is_set():
                    return
                self._ready = False
                self._busy = True
            try:
                self._drain()
            except Exception:  # never let the delivery thread die
                log.exception("indication delivery to %s failed", self.url)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _drain(self) -> None:
        """Round-robin over the feeds, one event each, until all are empty."""
        while not self._stop.is_set():
            sent_any = False
            for feed in self.feeds:
                if self._stop.is_set():
                    return
                try:
                    item = feed.take()
                except WbemError as exc:  # the subscription ended (shutdown)
                    log.debug("feed of %s ended: %s", self.url, exc)
                    with self._cond:
                        if feed in self._feeds:
                            self._feeds.remove(feed)
                    continue
                if item is None:
                    continue
                sent_any = True
                self._deliver(feed, *item)
            if not sent_any:
                if self.state in (DestinationState.SENDING, DestinationState.RETRYING):
                    self.state = DestinationState.IDLE
                return

    def _deliver(
        self,
        feed: Feed,
        event: CIMInstance,
        extra: dict[str, tuple[CIMType, Any]],
    ) -> None:
        """One indication: POST, retry with back-off, or give up (Rule 3)."""
        body = export_indication_request(event, str(next(self._ids)), extra=extra)
        headers = export_request_headers(len(body))
        policy = self.policy
        error = "stopped"
        for attempt in range(policy.retry_attempts + 1):
            if attempt:
                delay = policy.backoff(attempt - 1)
                self.retries += 1
                self.state = DestinationState.RETRYING
                with self._cond:
                    self._retry_at = self._clock() + delay
                    self._cond.notify_all()
                stopped = self._stop.wait(delay) if delay > 0 else self._stop.is_set()
                with self._cond:
                    self._retry_at = None
                if stopped:
                    return
            elif self.state is not DestinationState.FAILING:
                self.state = DestinationState.SENDING
            self.attempts += 1
            try:
                reply = self._client.post(self.url, content=body, headers=headers)
                check_export_response(reply.status_code, reply.headers, reply.content)
            except ExportError as exc:
                error = exc.message
                self.last_error = error
                if not exc.retryable:
                    break
                continue
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                self.last_error = error
                continue
            self.delivered += 1
            self.consecutive_failures = 0
            self.state = DestinationState.SENDING
            return
        if self._stop.is_set():
            return
        self.failed += 1
        self.consecutive_failures += 1
        self.state = DestinationState.FAILING
        log.warning(
            "indication %s #%s to %s given up after %d attempt(s): %s",
            event.classname,
            extra["SequenceNumber"][1],
            self.url,
            attempt + 1,
            error,
        )
        if feed.on_fatal is not None:
            try:
                feed.on_fatal(feed, error)
            except Exception:
                log.exception("OnFatalErrorPolicy handling failed for %s", self.url)


class IndicationExporter:
    """The destinations of one server, created on first use (Rule 2).

    Args:
        policy: delivery limits for every destination.
        clock: monotonic seconds.
        transport: an httpx transport for every destination (tests).
    """

    def __init__(
        self,
        policy: DeliveryPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy or DeliveryPolicy()
        self._clock = clock
        self._transport = transport
        self._lock = threading.Lock()
        self._destinations: dict[str, Destination] = {}
        self._stopped = False

    def destination(self, key: str, url: str) -> Destination:
        """The running destination ``key`` (restarted when its URL changed)."""
        old: Destination | None = None
        with self._lock:
            if self._stopped:
                raise RuntimeError("the indication exporter is stopped")
            dest = self._destinations.get(key)
            if dest is not None and dest.url == url:
                return dest
            old = dest
            dest = Destination(
                key, url, self.policy, clock=self._clock, transport=self._transport
            )
            self._destinations[key] = dest
        if old is not None:
            for feed in old.feeds:
                with old._cond:
                    old._feeds.remove(feed)
                dest.attach(feed)
            old.stop()
        return dest

    def get(self, key: str) -> Destination | None:
        with self._lock:
            return self._destinations.get(key)

    def release(self, key: str) -> None:
        """Stop destination ``key`` when no feed uses it any more."""
        with self._lock:
            dest = self._destinations.get(key)
            if dest is None or dest.feeds:
                return
            del self._destinations[key]
        dest.stop()

    def destinations(self) -> list[Destination]:
        with self._lock:
            return list(self._destinations.values())

    def statistics(self) -> list[DestinationStatistics]:
        """One snapshot per running destination (Rule 4)."""
        return [d.statistics() for d in self.destinations()]

    def flush(self, timeout: float = 20.0) -> bool:
        """Wait until every destination has nothing queued (tests, bench)."""
        deadline = time.monotonic() + timeout
        return all(
            d.flush(max(0.0, deadline - time.monotonic())) for d in self.destinations()
        )

    def stop(self) -> None:
        """Stop every destination (idempotent)."""
        with self._lock:
            self._stopped = True
            dests, self._destinations = list(self._destinations.values()), {}
        for d in dests:
            d.stop()
