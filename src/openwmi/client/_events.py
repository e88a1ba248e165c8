"""ExecNotificationQuery in its three client forms (spec §6.1-§6.3).

Owns ``exec_notification_query_async`` (object sink), ``exec_notification_query``
(semisynchronous enumerator) and ``aio_exec_notification_query`` (``async for``),
each taking the ``Services`` it works on; ``Services``/``AioServices`` delegate
to them. The subscription is registered before the function returns, so no
event that follows the call is missed. Imports engine, manager (the embedded
source's event subsystem) and errors; never server.

Rule 1 (design.md decision 3). An event call never completes: its stream
        yields until ``cancel_async_call`` (one ``set_status(0,
        WBEM_E_CALL_CANCELLED)``, nothing after), a failure (one
        ``set_status`` with the error) or shutdown (``WBEM_E_SHUTTING_DOWN``).
        No success status is ever delivered; no progress either.
Rule 2 (spec §1.3). ExecNotificationQueryAsync fails *before start* (raised,
        sink untouched) for a NULL sink, NULL/empty query or language, bad
        flags and a closed connection; every query check (WBEM_E_INVALID_QUERY_TYPE,
        WBEM_E_UNPARSABLE_QUERY, WBEM_E_INVALID_CLASS, WBEM_E_NOT_EVENT_CLASS,
        WBEM_E_MISSING_GROUP_WITHIN, WBEMESS_E_REGISTRATION_TOO_PRECISE/_BROAD…)
        fails *after start*, through the sink's one final ``set_status``.
Rule 3 (spec §6.1). The semisynchronous form needs both
        WBEM_FLAG_RETURN_IMMEDIATELY and WBEM_FLAG_FORWARD_ONLY, else
        WBEM_E_INVALID_PARAMETER; it (and the asyncio form) raises the query
        errors at the call, as the .NET pages document for the return value
        (spec §1.3 [INF]); releasing the enumerator cancels the subscription;
        ``reset`` on it is WBEM_E_INVALID_OPERATION (decision 4).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from ..constants import WBEM_FLAG_FORWARD_ONLY, WBEM_FLAG_RETURN_IMMEDIATELY
from ..engine import (
    BatchPolicy,
    EngineStream,
    Enumerator,
    ObjectSink,
    engine_stream,
    start_enumerator,
)
from ..errors import InvalidParameterError, WbemError
from ..manager import check_flags
from ..manager._events import Subscription, events_of
from ._local import Enumerate

if TYPE_CHECKING:
    from ..engine import Call
    from ._services import Services

__all__ = [
    "EventStream",
    "aio_exec_notification_query",
    "exec_notification_query",
    "exec_notification_query_async",
]

_NAME = "ExecNotificationQuery"


def _check_strings(query: object, language: object) -> None:
    if language is None or (isinstance(language, str) and not language.strip()):
        raise InvalidParameterError(f"{_NAME}: the query language is NULL")
    if query is None or (isinstance(query, str) and not query.strip()):
        raise InvalidParameterError(f"{_NAME}: the query is NULL or empty")


def _remote(svc: Services) -> Any:
    """The remote implementation when ``svc`` is a remote connection, else None
    (``_remote_events``: a server-side indication subscription and a listener)."""
    if type(svc._manager).__name__ != "RemoteManager":
        return None
    from . import _remote_events

    return _remote_events


def _failing(error: WbemError) -> Iterator[Any]:
    """A stream that fails at once: the error reaches the sink after start."""
    yield from ()
    raise error


class _EventOp(Enumerate):
    """The engine operation of an event call.

    An event stream never ends and its producer mostly waits: the engine
    hands what it holds to the sink whenever the producer is about to wait
    (also when a delivery is still in flight: the rest follows it), so a lone
    event goes out at once and a burst goes out in batches of up to 64. While
    a sink is slow the subscription's bounded queue absorbs (and, past its
    limit, drops with a notice) what comes meanwhile.
    """

    __slots__ = ()
    batch_policy: ClassVar[BatchPolicy] = BatchPolicy(max_objects=64, max_delay=0.005)


def _stream_op(sub: Subscription) -> Enumerate:
    def produce(ctx: Any) -> Subscription:
        ctx.on_cancel(sub.close)  # timers and queue gone as cancel returns
        return sub

    return _EventOp(_NAME, produce)


def _close_with(call: Call | None, sub: Any) -> None:
    """Close ``sub`` when the call is cancelled, even before its producer opened
    (a call cancelled or shut down before launch never opens its source)."""
    ctx = call.ctx if call is not None else None
    if ctx is not None:
        ctx.on_cancel(sub.close)


def exec_notification_query_async(
    svc: Services,
    query: str,
    sink: ObjectSink,
    flags: int = 0,
    language: str = "WQL",
) -> None:
    """ExecNotificationQueryAsync: events reach ``sink.indicate`` until cancelled.

    Args:
        svc: the connection (its namespace is the event namespace).
        query: e.g. ``SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE
            TargetInstance ISA 'Win32_Process'``.
        sink: the ObjectSink; stop with ``svc.cancel_async_call(sink)``.
        flags: 0 or WBEM_FLAG_SEND_STATUS (accepted; events send no progress).
        language: "WQL".

    Raises (before start, sink untouched; Rule 2):
        InvalidParameterError: NULL sink, query or language; a flag not allowed.
        ShuttingDownError: the connection is closed.
    """
    svc._check_open()
    check_flags(_NAME, flags, asynchronous=True)
    _check_strings(query, language)
    if sink is None:
        raise InvalidParameterError(f"{_NAME}Async: the sink is NULL")
    if (remote := _remote(svc)) is not None:
        remote.remote_exec_notification_query_async(svc, query, sink, flags, language)
        return
    events = events_of(svc._manager)
    start_subscription(
        svc,
        sink,
        flags,
        lambda: events.subscribe(svc.namespace, query, language),
        _stream_op,
    )


def start_subscription(
    svc: Services,
    sink: ObjectSink,
    flags: int,
    subscribe: Callable[[], Any],
    make_op: Callable[[Any], Enumerate],
) -> None:
    """Subscribe, then run the subscription as an engine call on ``sink``
    (embedded and remote alike). A subscription that cannot be made reaches the
    sink as the call's one final status (spec §1.3: checked after start); a
    call cancelled before its producer opens still closes the subscription."""
    try:
        sub = subscribe()
    except WbemError as exc:
        err = exc
        svc._start(Enumerate(_NAME, lambda ctx: _failing(err)), sink, flags)
        return
    try:
        call = svc._shared.engine().start(
            make_op(sub),
            svc._shared.source,
            sink,
            flags=flags,
            namespace=svc.namespace,
        )
    except BaseException:
        sub.close()
        raise
    _close_with(call, sub)


def exec_notification_query(
    svc: Services,
    query: str,
    flags: int = WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY,
    language: str = "WQL",
) -> Enumerator:
    """ExecNotificationQuery (semisynchronous only): an event enumerator.

    ``enumerator.next(timeout_ms, count)`` returns events as they arrive
    (WBEM_S_TIMEDOUT when none came in time); ``close()`` cancels.

    Raises:
        InvalidParameterError: the flags lack RETURN_IMMEDIATELY or
            FORWARD_ONLY (or have others), NULL query or language.
        Every ``EventManager.prepare`` error (Rule 3).
    """
    svc._check_open()
    both = WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY
    check_flags(_NAME, flags)
    if flags & both != both:
        raise InvalidParameterError(
            f"{_NAME}: flags must include both WBEM_FLAG_RETURN_IMMEDIATELY and "
            "WBEM_FLAG_FORWARD_ONLY (events are never returned synchronously)",
            flags=flags,
        )
    _check_strings(query, language)
    if (remote := _remote(svc)) is not None:
        enum: Enumerator = remote.remote_exec_notification_query(
            svc, query, flags, language
        )
        return enum
    sub = events_of(svc._manager).subscribe(svc.namespace, query, language)
    try:
        enum = start_enumerator(
            svc._shared.engine(),
            _stream_op(sub),
            svc._shared.source,
            flags=flags,
            namespace=svc.namespace,
        )
    except BaseException:
        sub.close()
        raise
    _close_with(enum.call, sub)
    return enum


class EventStream:
    """``async for event in svc.aio.exec_notification_query(q)``.

    Never ends on its own; leave the loop with ``break`` inside ``async with``,
    call ``aclose()``, or cancel the task (= ``cancel_async_call``).
    """

    def __init__(self, stream: EngineStream, sub: Subscription) -> None:
        self._stream = stream
        self._sub = sub

    @property
    def subscription(self) -> Subscription:
        return self._sub

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self._stream.__anext__()
        except BaseException:
            self._sub.close()
            raise

    async def aclose(self) -> None:
        await self._stream.aclose()
        self._sub.close()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        sub = getattr(self, "_sub", None)
        if sub is not None and not sub.closed:
            # GC may run while this thread holds event locks: close elsewhere.
            threading.Thread(target=sub.close, daemon=True).start()


def aio_exec_notification_query(
    svc: Services, query: str, language: str = "WQL"
) -> EventStream:
    """The asyncio form (Rule 3: query errors raise here, at the call)."""
    svc._check_open()
    _check_strings(query, language)
    if (remote := _remote(svc)) is not None:
        aio: EventStream = remote.remote_aio_exec_notification_query(
            svc, query, language
        )
        return aio
    sub = events_of(svc._manager).subscribe(svc.namespace, query, language)
    shared = svc._shared
    stream = engine_stream(
        shared.engine(), _stream_op(sub), shared.source, namespace=svc.namespace
    )
    return EventStream(stream, sub)
