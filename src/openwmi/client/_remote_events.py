"""ExecNotificationQuery over a remote connection: a CIM indication
subscription (DSP1054) on the server and a listener of the client's own.

Owns ``RemoteEvents`` (one per remote connection: the listener, the routing
of indications to subscriptions, the cleanup worker), ``RemoteSubscription``
(the never-ending async iterator the call engine pumps, fed by the listener)
and the three client forms ``remote_exec_notification_query_async``,
``remote_exec_notification_query`` and ``remote_aio_exec_notification_query``
that ``_events`` dispatches to when the connection's manager is a
``RemoteManager``. Imports engine, errors, model, protocol and the sibling
client modules; never server or manager internals.

Rule 1 (the listener). One HTTP listener per connection (``http.server`` on
        a thread), started by the first subscription and stopped when the
        connection closes. It binds 127.0.0.1 when the server is on loopback,
        else all interfaces with the local address that reaches the server
        advertised (``configure_listener`` overrides both, before the first
        subscription). Each subscription has its own destination URL
        ``http://host:port/openwmi/<token>``; an ExportIndication POSTed there
        (decoded by ``protocol._export``) goes to that subscription only.
Rule 2 (subscribing). The call creates, in the server's interop namespace,
        a CIM_IndicationFilter (the query, WQL, SourceNamespaces = the
        connection's namespace), a CIM_ListenerDestinationCIMXML (Transient,
        pointing at the listener) and the CIM_IndicationSubscription binding
        them, all before it returns, so no event after the call is missed.
        The server validates the query; its CIM_ERR_INVALID_PARAMETER names
        the event subsystem's WMI code (``…: WBEM_E_UNPARSABLE_QUERY: …``),
        which is restored, so a bad query fails with the same code as
        embedded. As embedded (``_events`` Rule 2), the async form delivers
        every such failure through the sink's one final ``set_status``; the
        semisync and asyncio forms raise it at the call. Whatever was created
        before a failure is deleted again.
Rule 3 (delivery). Indications are delivered to the sink through the call
        engine exactly like embedded events (``_EventOp``); the DSP1054
        delivery properties the server adds (IndicationFilterName,
        SequenceContext, SequenceNumber) are removed so the sink sees the
        event object only. A subscription's queue is bounded: when it is full
        the listener answers CIM_ERR_FAILED, which the server retries with
        back-off (its own queue then drops with a notice), so memory never
        grows without bound here.
Rule 4 (ending). ``cancel_async_call`` (or releasing the enumerator, or
        leaving the ``async for``) ends the call with its one final status and
        nothing after; the subscription, destination and filter are then
        deleted on the server by a worker thread (best effort: a failure is
        logged, the cancel never waits for it). Closing the connection
        cancels every call (WBEM_E_SHUTTING_DOWN), waits (bounded) for those
        deletions, then stops the listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import queue
import re
import secrets
import socket
import threading
import weakref
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from ..constants import WBEM_FLAG_CREATE_ONLY
from ..engine import Enumerator, ObjectSink, engine_stream, start_enumerator
from ..errors import (
    CallCancelledError,
    HResult,
    InvalidNamespaceError,
    InvalidParameterError,
    NotFoundError,
    WbemError,
)
from ..model import CIMInstance, ObjectPath
from ..protocol import ProtocolError
from ..protocol._export import decode_export_request
from ..query._parser import check_query_language

if TYPE_CHECKING:
    from ._events import EventStream
    from ._remote import RemoteManager
    from ._services import Services

__all__ = [
    "RemoteEvents",
    "RemoteSubscription",
    "configure_listener",
    "remote_aio_exec_notification_query",
    "remote_events_of",
    "remote_exec_notification_query",
    "remote_exec_notification_query_async",
]

_log = logging.getLogger(__name__)
_NAME = "ExecNotificationQuery"
_FILTER = "CIM_IndicationFilter"
_DEST = "CIM_ListenerDestinationCIMXML"
_SUB = "CIM_IndicationSubscription"
_INTEROP = ("root/interop", "interop", "root/PG_InterOp")
_EXTRAS = frozenset({"indicationfiltername", "sequencecontext", "sequencenumber"})
_PATH_PREFIX = "/openwmi/"
#: "WBEM_E_…: message" inside the server's CIM_ERR_INVALID_PARAMETER (Rule 2)
_NAMED = re.compile(r": (WBEM(?:ESS)?_[EW]_[A-Z0-9_]+): (.*)\Z", re.DOTALL)
_TRANSIENT = 3  # PersistenceType
_QUEUE_LIMIT = 1000
_CLOSE_WAIT = 10.0


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class RemoteSubscription:
    """One remote subscription's events, as the async iterator the engine pumps.

    Never ends on its own (closing or failing ends it with an exception, never
    StopAsyncIteration), like the embedded ``Subscription``.
    """

    def __init__(
        self, hub: RemoteEvents, token: str, namespace: str, query: str
    ) -> None:
        self.token = token
        self.namespace = namespace
        self.query = query
        self.limit = _QUEUE_LIMIT
        self.delivered = 0
        #: what was created on the server, in creation order: (namespace, path)
        self.created: list[tuple[str, ObjectPath]] = []
        self._hub = hub
        self._lock = threading.Lock()
        self._queue: deque[CIMInstance] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: WbemError | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<RemoteSubscription {self.token} {self.namespace}: {self.query}>"

    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def push(self, event: CIMInstance) -> bool:
        """Queue ``event`` (listener thread); False when the queue is full."""
        with self._lock:
            if self._closed:
                return True  # accepted and dropped: nothing follows a cancel
            if len(self._queue) >= self.limit:
                return False
            self._queue.append(event)
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            with contextlib.suppress(RuntimeError):  # loop closed: nobody waits
                waiter.get_loop().call_soon_threadsafe(_wake, waiter)
        return True

    def __aiter__(self) -> RemoteSubscription:
        return self

    async def __anext__(self) -> CIMInstance:
        while True:
            with self._lock:
                if self._queue:
                    self.delivered += 1
                    return self._queue.popleft()
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
        """End it (idempotent) and have the server's instances deleted (Rule 4)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._error = error
            self._queue.clear()
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            with contextlib.suppress(RuntimeError):
                waiter.get_loop().call_soon_threadsafe(_wake, waiter)
        self._hub._release(self)


def _event_of(indication: CIMInstance, namespace: str) -> CIMInstance:
    """The event object without the DSP1054 delivery properties (Rule 3)."""
    names = indication.property_names()
    if not any(n.lower() in _EXTRAS for n in names):
        return indication
    values = {n: v for n, v in indication.items() if n.lower() not in _EXTRAS}
    return CIMInstance(indication.classname, values, namespace=namespace)


def _restored(exc: WbemError) -> WbemError:
    """The event subsystem's own code when the server named it (Rule 2)."""
    if not isinstance(exc, InvalidParameterError):
        return exc
    m = _NAMED.search(exc.message)
    if m is None or m.group(1) not in HResult.__members__:
        return exc
    return WbemError.of(HResult[m.group(1)], m.group(2))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _local_address_to(host: str, port: int) -> str:
    """The local address the OS would use to reach ``host`` (no packet sent)."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(info[0], socket.SOCK_DGRAM) as s:
            s.connect(info[4])
            addr: str = s.getsockname()[0]
            return addr
    except OSError:
        return socket.gethostname()


class _Handler(BaseHTTPRequestHandler):
    server: _ListenerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        _log.debug("listener: " + format, *args)

    def _reply(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", 'application/xml; charset="utf-8"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = urlsplit(self.path).path
        token = path[len(_PATH_PREFIX) :] if path.startswith(_PATH_PREFIX) else ""
        hub = self.server.hub()
        sub = hub._route(token) if hub is not None and token else None
        if sub is None:
            self._reply(404, headers={"CIMError": "unknown-destination"})
            return
        try:
            req = decode_export_request(body)
        except ProtocolError as exc:
            self._reply(400, headers={"CIMError": exc.header})
            return
        if sub.push(_event_of(req.indication, sub.namespace)):
            self._reply(200, _export_response(req.message_id))
        else:  # full: the server retries with back-off (Rule 3)
            self._reply(200, _export_response(req.message_id, error=1))


def _export_response(message_id: str, error: int = 0) -> bytes:
    from ..protocol._encode import XML_HEAD, esc

    inner = (
        f'<ERROR CODE="{error}" DESCRIPTION="the client queue is full"/>'
        if error
        else ""
    )
    return (
        f'{XML_HEAD}<CIM CIMVERSION="2.0" DTDVERSION="2.4">'
        f'<MESSAGE ID="{esc(message_id)}" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP>'
        f'<EXPMETHODRESPONSE NAME="ExportIndication">{inner}</EXPMETHODRESPONSE>'
        "</SIMPLEEXPRSP></MESSAGE></CIM>"
    ).encode()


class _ListenerServer(ThreadingHTTPServer):
    daemon_threads = True
    hub: Callable[[], RemoteEvents | None]


class RemoteEvents:
    """The event side of one remote connection (Rules 1 and 4)."""

    def __init__(self, manager: RemoteManager) -> None:
        self.manager = manager
        server = manager.server.strip("[]")
        if _is_loopback(server):
            self.host, self.advertised = "127.0.0.1", "127.0.0.1"
        else:
            port = urlsplit(manager.url).port or 5988
            self.host, self.advertised = "0.0.0.0", _local_address_to(server, port)
        self.port = 0
        self._lock = threading.Lock()
        self._subs: dict[str, RemoteSubscription] = {}
        self._http: _ListenerServer | None = None
        self._http_thread: threading.Thread | None = None
        self._jobs: queue.SimpleQueue[RemoteSubscription | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._interop: str | None = None
        self._closed = False

    # --- listener (Rule 1) ---------------------------------------------------------
    @property
    def url(self) -> str | None:
        """The listener's base URL once started."""
        if self._http is None:
            return None
        host = self.advertised
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._http.server_address[1]}"

    def _start(self) -> str:
        with self._lock:
            if self._closed:
                raise WbemError.of(
                    HResult.WBEM_E_SHUTTING_DOWN, "this connection is closed"
                )
            if self._http is None:
                family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                cls = type("_Listener", (_ListenerServer,), {"address_family": family})
                http = cls((self.host, self.port), _Handler)
                ref = weakref.ref(self)
                http.hub = ref
                thread = threading.Thread(
                    target=http.serve_forever,
                    kwargs={"poll_interval": 0.1},
                    name="openwmi-listener",
                    daemon=True,
                )
                self._http, self._http_thread = http, thread
                thread.start()
        url = self.url
        assert url is not None
        return url

    def _route(self, token: str) -> RemoteSubscription | None:
        with self._lock:
            return self._subs.get(token)

    # --- subscribing (Rule 2) ---------------------------------------------------------
    def _interop_ns(self) -> str:
        if self._interop is not None:
            return self._interop
        last: WbemError | None = None
        for ns in _INTEROP:
            try:
                self.manager.get_class(ns, _FILTER)
            except (InvalidNamespaceError, NotFoundError) as exc:
                last = exc
                continue
            except WbemError as exc:
                if exc.hresult != HResult.WBEM_E_INVALID_CLASS:
                    raise
                last = exc
                continue
            self._interop = ns
            return ns
        raise WbemError.of(
            HResult.WBEM_E_NOT_SUPPORTED,
            f"{_NAME}: the server has no {_FILTER} in an interop namespace "
            f"({last}); it does not support CIM indications",
        )

    def subscribe(
        self, namespace: str, query: str, language: str
    ) -> RemoteSubscription:
        """Create the server's filter, destination and subscription (Rule 2).

        Raises:
            WbemError: the server refused (the query's own code restored), or
                the server cannot be reached.
        """
        check_query_language(language)
        base = self._start()
        token = secrets.token_hex(12)
        sub = RemoteSubscription(self, token, namespace, query)
        with self._lock:
            self._subs[token] = sub
        mgr = self.manager
        name = f"openwmi-client-{token}"
        common = {
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": mgr.server,
            "Name": name,
        }
        try:
            interop = self._interop_ns()
            filt = mgr.spawn_instance(
                interop,
                _FILTER,
                CreationClassName=_FILTER,
                Query=query,
                QueryLanguage="WQL",
                SourceNamespaces=[namespace],
                **common,
            )
            fpath = self._create(sub, interop, filt)
            dest = mgr.spawn_instance(
                interop,
                _DEST,
                CreationClassName=_DEST,
                Destination=f"{base}{_PATH_PREFIX}{token}",
                PersistenceType=_TRANSIENT,
                **common,
            )
            dpath = self._create(sub, interop, dest)
            binding = mgr.spawn_instance(interop, _SUB, Filter=fpath, Handler=dpath)
            self._create(sub, interop, binding)
        except WbemError as exc:
            sub.close()
            raise _restored(exc) from exc
        except BaseException:
            sub.close()
            raise
        return sub

    def _create(
        self, sub: RemoteSubscription, namespace: str, inst: CIMInstance
    ) -> ObjectPath:
        rel = self.manager.put_instance(namespace, inst, WBEM_FLAG_CREATE_ONLY)
        path = ObjectPath.parse(rel)
        sub.created.append((namespace, path))
        return path

    # --- cleanup (Rule 4) ---------------------------------------------------------------
    def _release(self, sub: RemoteSubscription) -> None:
        with self._lock:
            self._subs.pop(sub.token, None)
            if not sub.created:
                return
            self._pending += 1
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="openwmi-unsubscribe", daemon=True
                )
                self._worker.start()
        self._jobs.put(sub)

    def _work(self) -> None:
        while True:
            sub = self._jobs.get()
            if sub is None:
                return
            try:
                self._delete(sub)
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def _delete(self, sub: RemoteSubscription) -> None:
        # the subscription first: a referenced filter/destination cannot go
        for ns, path in reversed(sub.created):
            try:
                self.manager.delete_instance(ns, path)
            except NotFoundError:
                pass
            except Exception:
                _log.warning(
                    "could not delete %s from %s on %s",
                    path.relpath,
                    ns,
                    self.manager.url,
                    exc_info=True,
                )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every pending server-side deletion is done."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def active(self) -> list[RemoteSubscription]:
        with self._lock:
            return list(self._subs.values())

    def close(self, timeout: float = _CLOSE_WAIT) -> None:
        """Cancel what is left, wait (bounded) for deletions, stop the listener."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            subs = list(self._subs.values())
        for sub in subs:
            sub.close(
                WbemError.of(HResult.WBEM_E_SHUTTING_DOWN, "the connection is closed")
            )
        self.flush(timeout)
        with self._lock:
            worker, self._worker = self._worker, None
            http, self._http = self._http, None
            thread, self._http_thread = self._http_thread, None
        if worker is not None:
            self._jobs.put(None)
            worker.join(timeout)
        if http is not None:
            http.shutdown()
            http.server_close()
        if thread is not None:
            thread.join(timeout)


_HUBS: weakref.WeakKeyDictionary[Any, RemoteEvents] = weakref.WeakKeyDictionary()
_HUBS_LOCK = threading.Lock()


def _hub_of(manager: RemoteManager) -> RemoteEvents:
    with _HUBS_LOCK:
        hub = _HUBS.get(manager)
        if hub is None:
            hub = _HUBS[manager] = RemoteEvents(manager)
            close = manager.close

            def closing() -> None:
                # after Services closed the engine (every call cancelled), before
                # the transport goes: the deletions still reach the server
                try:
                    hub.close()
                finally:
                    close()

            setattr(manager, "close", closing)  # noqa: B010 - instance hook
        return hub


def remote_events_of(svc: Services) -> RemoteEvents:
    """The connection's ``RemoteEvents`` (created on first use)."""
    return _hub_of(cast("RemoteManager", svc._manager))


def configure_listener(
    svc: Services,
    *,
    host: str | None = None,
    port: int | None = None,
    advertised_host: str | None = None,
) -> None:
    """Where the connection's listener binds and what URL the server is given
    (before the first subscription; Rule 1)."""
    hub = remote_events_of(svc)
    if hub._http is not None:
        raise InvalidParameterError(
            "configure_listener: the listener is running already (configure it "
            "before the first subscription)"
        )
    if host is not None:
        hub.host = host
        hub.advertised = advertised_host or host
    if advertised_host is not None:
        hub.advertised = advertised_host
    if port is not None:
        hub.port = port


# --- the three client forms -----------------------------------------------------------


def _remote_op(sub: RemoteSubscription) -> Any:
    from ._events import _EventOp

    def produce(ctx: Any) -> RemoteSubscription:
        ctx.on_cancel(sub.close)
        return sub

    return _EventOp(_NAME, produce)


def remote_exec_notification_query_async(
    svc: Services, query: str, sink: ObjectSink, flags: int, language: str
) -> None:
    """``exec_notification_query_async`` over a remote connection (the checks
    before start are done by ``_events``; Rule 2 for the rest)."""
    from ._events import start_subscription

    start_subscription(
        svc,
        sink,
        flags,
        lambda: remote_events_of(svc).subscribe(svc.namespace, query, language),
        _remote_op,
    )


def remote_exec_notification_query(
    svc: Services, query: str, flags: int, language: str
) -> Enumerator:
    """The semisynchronous form (flags checked by ``_events``; errors raise)."""
    sub = remote_events_of(svc).subscribe(svc.namespace, query, language)
    try:
        enum = start_enumerator(
            svc._shared.engine(),
            _remote_op(sub),
            svc._shared.source,
            flags=flags,
            namespace=svc.namespace,
        )
    except BaseException:
        sub.close()
        raise
    from ._events import _close_with

    _close_with(enum.call, sub)
    return enum


def remote_aio_exec_notification_query(
    svc: Services, query: str, language: str
) -> EventStream:
    """The asyncio form (errors raise at the call)."""
    from ._events import EventStream

    sub = remote_events_of(svc).subscribe(svc.namespace, query, language)
    shared = svc._shared
    try:
        stream = engine_stream(
            shared.engine(), _remote_op(sub), shared.source, namespace=svc.namespace
        )
    except BaseException:
        sub.close()
        raise
    return EventStream(stream, cast("Any", sub))
