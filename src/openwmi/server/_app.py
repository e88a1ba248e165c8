"""The ASGI application: authenticate → check headers → read and decode the
request → check the namespace permission → run the operation → write the
response (streamed for enumerations).

Owns ``CIMXMLApp`` and ``Limits``. Joins protocol (CIM-XML, headers) and the
object manager (through ``_operations``); imports protocol, manager, model,
errors; never the client or the engine. No hand-written HTTP: uvicorn (or any
ASGI server, or httpx's ASGITransport in tests) drives it.

Rule 1: credentials are checked before a single body byte is read; a missing,
        malformed or wrong credential gets the same 401 (nothing leaks).
Rule 2: anything wrong with the request itself (headers, size, XML, DSP0201
        structure) is HTTP 4xx with a ``CIMError`` header, never 500; an
        operation failure is HTTP 200 with an ERROR element.
Rule 3: enumerations are written as the cursor produces them, in chunks of
        about ``Limits.chunk_bytes``; the first chunk is produced before the
        status line so early errors still become ERROR responses; a client
        that disconnects stops the cursor (and the provider behind it).
Rule 4: EnumerateInstances of classes with no provider skips the instance
        objects: the repository's value dicts go straight to the encoder's
        per-class row writer (same bytes as the general path, several times
        faster); anything else takes the general path in ``_operations``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import WbemError
from ..model import CIMClass
from ..protocol import (
    InstanceEncoder,
    IntrinsicCall,
    MethodCall,
    ProtocolError,
    basic_credentials,
    bool_param,
    check_against_body,
    check_headers,
    cim_status,
    error_headers,
    error_response,
    parse_document,
    parse_request,
    response_head,
    response_headers,
    response_tail,
    str_list_param,
    str_param,
    unauthorized_headers,
)
from ..protocol._encode import error_xml
from ._contexts import Cursor, EnumerationContexts
from ._indications import stop_indications
from ._operations import Operations, Streamed, required_right

if TYPE_CHECKING:
    from ..manager import ObjectManager
    from ._auth import Authenticator

__all__ = ["CIMXMLApp", "Limits"]

log = logging.getLogger("openwmi.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Limits:
    """Server limits (all enforced per request or per user)."""

    max_request_bytes: int = 8 * 1024 * 1024
    max_xml_depth: int = 64
    request_seconds: float = 300.0
    max_contexts_per_user: int = 64
    default_operation_timeout: float = 30.0
    max_operation_timeout: float = 3600.0
    chunk_bytes: int = 256 * 1024


class _Disconnected(Exception):
    pass


class CIMXMLApp:
    """The CIM-XML server as an ASGI callable."""

    def __init__(
        self,
        manager: ObjectManager,
        *,
        authenticator: Authenticator | None,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        realm: str = "openwmi",
        host: str | None = None,
    ) -> None:
        self.manager = manager
        self.auth = authenticator
        self.limits = limits or Limits()
        self.realm = realm
        self.contexts = EnumerationContexts(
            clock=clock,
            max_per_user=self.limits.max_contexts_per_user,
            default_timeout=self.limits.default_operation_timeout,
            max_timeout=self.limits.max_operation_timeout,
        )
        self.ops = Operations(manager, self.contexts, host=host)
        self._ticker: asyncio.Task[None] | None = None
        self.in_flight = 0

    # --- ASGI entry -------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        self.in_flight += 1
        try:
            await self._http(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                self._ticker = asyncio.create_task(self._tick())
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.contexts.expire()
            except Exception:  # never let the ticker die
                log.exception("closing expired enumeration contexts failed")

    async def aclose(self) -> None:
        """Stop the expiry ticker and close every open enumeration context."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.contexts.close_all()
        await asyncio.to_thread(stop_indications, self.manager)  # delivery threads

    # --- plain responses --------------------------------------------------------------
    async def _plain(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    async def _reject(self, send: Send, exc: ProtocolError) -> None:
        body = f"{exc.message}\n".encode()
        if exc.status == 401:
            await self._plain(
                send, 401, unauthorized_headers(self.realm, len(body)), body
            )
            return
        await self._plain(send, exc.status, error_headers(exc.header, len(body)), body)

    async def _unauthorized(self, send: Send) -> None:
        body = b"authentication required\n"
        await self._plain(send, 401, unauthorized_headers(self.realm, len(body)), body)

    # --- one request ------------------------------------------------------------------
    async def _authenticate(
        self, headers: list[tuple[bytes, bytes]]
    ) -> str | bool | None:
        """The user name; None when auth is off; False when refused (Rule 1)."""
        if self.auth is None:
            return None
        try:
            creds = basic_credentials(headers)
        except ProtocolError:
            return False
        if creds is None:
            return False
        user, password = creds
        auth = self.auth
        ok = (
            True
            if auth.is_cached(user, password)
            else await asyncio.to_thread(auth.check, user, password)
        )
        return user if ok else False

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.limits.max_request_bytes
        for k, v in scope.get("headers", ()):
            if k.lower() == b"content-length":
                try:
                    declared = int(v)
                except ValueError:
                    raise ProtocolError(
                        "bad Content-Length", "request-not-well-formed"
                    ) from None
                if declared > limit:
                    raise ProtocolError(
                        f"request of {declared} bytes exceeds {limit}",
                        "request-not-well-formed",
                        413,
                    )
        parts: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                raise _Disconnected
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise ProtocolError(
                    f"request exceeds {limit} bytes", "request-not-well-formed", 413
                )
            parts.append(chunk)
            if not msg.get("more_body", False):
                return b"".join(parts)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") not in ("POST", "M-POST"):
            body = b"CIM-XML requests are POSTed\n"
            await self._plain(
                send,
                405,
                [
                    (b"allow", b"POST"),
                    (b"content-type", b"text/plain"),
                    (b"content-length", str(len(body)).encode()),
                ],
                body,
            )
            return
        headers = list(scope.get("headers", ()))
        user = await self._authenticate(headers)
        if user is False:
            await self._unauthorized(send)
            return
        assert user is None or isinstance(user, str)
        try:
            head = check_headers(headers)
            body = await self._read_body(scope, receive)
            root = parse_document(body, max_depth=self.limits.max_xml_depth)
            call = parse_request(root)
            check_against_body(
                head,
                call.method,
                call.namespace,
                intrinsic=isinstance(call, IntrinsicCall),
            )
        except _Disconnected:
            return
        except ProtocolError as exc:
            await self._reject(send, exc)
            return
        except WbemError as exc:  # a value in the request does not fit its type
            await self._reject(send, ProtocolError(exc.message, "request-not-valid"))
            return
        await self._respond(call, user, receive, send)

    async def _respond(
        self,
        call: IntrinsicCall | MethodCall,
        user: str | None,
        receive: Receive,
        send: Send,
    ) -> None:
        intrinsic = isinstance(call, IntrinsicCall)
        watcher = asyncio.create_task(_wait_disconnect(receive))
        reply: str | Streamed | None = None
        try:
            try:
                async with asyncio.timeout(self.limits.request_seconds):
                    if self.auth is not None:
                        self.auth.require(user, call.namespace, required_right(call))
                    if isinstance(call, IntrinsicCall):
                        if call.method.lower() == "enumerateinstances":
                            reply = await self._enumerate_values(call)
                        if reply is None:
                            reply = await self.ops.intrinsic(call, user)
                    else:
                        reply = await self.ops.extrinsic(call, user)
                    if isinstance(reply, Streamed):
                        await self._stream(call, reply, watcher, send)
                        return
            except TimeoutError:
                await self._error(send, call, 1, "the request took too long")
                return
            except Exception as exc:
                if not isinstance(exc, WbemError):
                    log.exception("%s failed", call.method)
                code, desc = cim_status(exc)
                await self._error(send, call, code, desc)
                return
            assert isinstance(reply, str)
            text = (
                response_head(call.message_id, call.method, intrinsic=intrinsic)
                + reply
                + response_tail(intrinsic=intrinsic)
            ).encode("utf-8")
            await self._plain(
                send, 200, response_headers(chunked=False, length=len(text)), text
            )
        finally:
            watcher.cancel()
            if isinstance(reply, Streamed):
                await reply.cursor.aclose()

    async def _enumerate_values(self, call: IntrinsicCall) -> Streamed | None:
        """EnumerateInstances of repository-only classes, written from the stored
        values with no instance object per row (Rule 4); None: not eligible,
        or the request has a problem the general path reports in its own words.
        """
        params = call.params
        try:
            name = str_param(params, "ClassName")
            if not name:
                return None
            deep = bool_param(params, "DeepInheritance", True)
            plist = str_list_param(params, "PropertyList")
            ico = bool_param(params, "IncludeClassOrigin", False)
            prepared = await asyncio.to_thread(
                self._prepare_values, call.namespace, name, deep, plist
            )
        except Exception:  # the general path raises the same error, in its order
            return None
        if prepared is None:
            return None
        rows, plist = prepared
        enc = InstanceEncoder(
            include_class_origin=ico,
            property_list=plist,
            host=self.ops.host,
            namespace=call.namespace,
        )

        def encode(chunk: tuple[CIMClass, list[dict[str, Any]]]) -> str:
            return enc.named_instances(chunk[0], chunk[1])

        return Streamed(Cursor(rows), encode)

    def _prepare_values(
        self, namespace: str, name: str, deep: bool, plist: list[str] | None
    ) -> (
        tuple[Iterator[tuple[CIMClass, list[dict[str, Any]]]], list[str] | None] | None
    ):
        manager = self.manager
        rows = manager.iter_instance_values(namespace, name, 0)
        if rows is None:
            return None
        if not deep:  # the requested class's properties only (Operations Rule 2)
            cls = manager.find_class(manager.check_namespace(namespace), name)
            own = list(cls.properties) if cls is not None else []
            if plist is not None:
                low = {p.lower() for p in plist}
                own = [p for p in own if p.lower() in low]
            plist = own
        return rows, plist

    async def _error(
        self, send: Send, call: IntrinsicCall | MethodCall, code: int, desc: str
    ) -> None:
        body = error_response(
            call.message_id,
            call.method,
            code,
            desc,
            intrinsic=isinstance(call, IntrinsicCall),
        )
        await self._plain(
            send, 200, response_headers(chunked=False, length=len(body)), body
        )

    async def _stream(
        self,
        call: IntrinsicCall | MethodCall,
        reply: Streamed,
        watcher: asyncio.Task[None],
        send: Send,
    ) -> None:
        cursor, encode, chunk = reply.cursor, reply.encode, self.limits.chunk_bytes
        try:
            first = await cursor.take(None, encode, max_bytes=chunk)
        except Exception as exc:
            code, desc = cim_status(exc)
            await self._error(send, call, code, desc)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": response_headers(chunked=True),
            }
        )
        text = (
            response_head(call.message_id, call.method) + reply.prefix + "".join(first)
        )
        await send(
            {"type": "http.response.body", "body": text.encode(), "more_body": True}
        )
        try:
            while not cursor.exhausted:
                if watcher.done():
                    return  # the client went away: the finally closes the cursor
                parts = await cursor.take(None, encode, max_bytes=chunk)
                if parts:
                    await send(
                        {
                            "type": "http.response.body",
                            "body": "".join(parts).encode(),
                            "more_body": True,
                        }
                    )
        except Exception as exc:
            # headers are gone: end the document with an ERROR the client will
            # see as a failed response rather than a silently short result
            code, desc = cim_status(exc)
            log.warning("%s failed mid-stream: %s", call.method, desc)
            tail = reply.suffix + error_xml(code, desc) + response_tail()
            await send({"type": "http.response.body", "body": tail.encode()})
            return
        tail = reply.suffix + response_tail()
        await send({"type": "http.response.body", "body": tail.encode()})


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return
