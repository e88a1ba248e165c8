"""Lazy cursors over the object manager's enumerations, and the DSP0200 pull
enumeration contexts that hold them.

Owns ``Cursor`` (pulls a batch of objects from a sync iterator on a worker
thread, or from an async iterator on the loop; ``aclose`` closes the iterator,
which closes the provider's generator: cancellation reaches the provider) and
``EnumerationContexts`` (open / take / close / expire with an injected clock,
per-user limits, and the context's owner, namespace and pull kind checked on
every Pull). Imports protocol, errors and the stdlib; never the engine or the
client.

Rule 1: a context is used by one request at a time: a second Pull on the
        same context waits for the first (its lock); an idle context only
        expires while nobody holds it.
Rule 2: CloseEnumeration, expiry, server shutdown and the end of the sequence
        all close the cursor the same way (``Cursor.aclose``).
Rule 3: a context that expired or belongs to another user is reported exactly
        like an unknown one (CIM_ERR_INVALID_ENUMERATION_CONTEXT): nothing leaks.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import HResult, WbemError

__all__ = ["Cursor", "EnumerationContext", "EnumerationContexts", "ProviderContext"]

INVALID_CONTEXT = 21
SERVER_LIMITS_EXCEEDED = 27


def cim_error(status: int, message: str) -> WbemError:
    """A WbemError that goes on the wire with exactly ``status``."""
    return WbemError(message, hresult=HResult.WBEM_E_FAILED, cim_status=status)


class ProviderContext:
    """What providers see as ``ctx`` for calls made by the server."""

    def __init__(self, user: str | None, namespace: str) -> None:
        self.user = user
        self.namespace = namespace
        self.flags = 0
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def progress(self, percent: int, message: str | None = None) -> None:
        """Progress is not reported over CIM-XML."""

    def flush(self) -> None:
        """Nothing to flush: the server pulls."""

    def set_result_string(self, value: str) -> None:
        """Result strings are not carried by CIM-XML."""


class Cursor:
    """A lazy, closable cursor over one enumeration (sync or async iterator)."""

    def __init__(self, iterator: Any, ctx: ProviderContext | None = None) -> None:
        self._it = iterator
        self._async = hasattr(iterator, "__anext__")
        self._ctx = ctx
        # held while a worker thread runs the generator: close waits for it
        self._busy = threading.Lock()
        self.exhausted = False
        self.closed = False

    def _take_sync(
        self, n: int | None, encode: Callable[[Any], str], max_bytes: int | None
    ) -> list[str]:
        out: list[str] = []
        size = 0
        it = self._it
        with self._busy:
            if self.closed:
                return out
            return self._fill(it, out, size, n, encode, max_bytes)

    def _fill(
        self,
        it: Any,
        out: list[str],
        size: int,
        n: int | None,
        encode: Callable[[Any], str],
        max_bytes: int | None,
    ) -> list[str]:
        while n is None or len(out) < n:
            try:
                obj = next(it)
            except StopIteration:
                self.exhausted = True
                break
            text = encode(obj)
            out.append(text)
            if max_bytes is not None:
                size += len(text)
                if size >= max_bytes:
                    break
        return out

    async def take(
        self,
        n: int | None,
        encode: Callable[[Any], str],
        *,
        max_bytes: int | None = None,
    ) -> list[str]:
        """Up to ``n`` encoded objects (all when None, stopping at ``max_bytes``).

        Sets ``exhausted`` when the enumeration ended. Errors from the
        provider propagate (the caller closes the cursor).
        """
        if self.closed or self.exhausted or n == 0:
            return []
        if not self._async:
            return await asyncio.to_thread(self._take_sync, n, encode, max_bytes)
        out: list[str] = []
        size = 0
        while n is None or len(out) < n:
            try:
                obj = await self._it.__anext__()
            except StopAsyncIteration:
                self.exhausted = True
                break
            text = encode(obj)
            out.append(text)
            if max_bytes is not None:
                size += len(text)
                if size >= max_bytes:
                    break
        return out

    async def aclose(self) -> None:
        """Close the iterator (and the provider's generator behind it); idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._ctx is not None:
            self._ctx.cancel()
        it = self._it
        if self._async:
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                await aclose()
            return
        close = getattr(it, "close", None)
        if close is not None:
            # a generator cannot be closed while another thread runs it: wait
            # for a batch still running (a timed-out request) to finish first
            def locked_close() -> None:
                with self._busy:
                    close()

            await asyncio.to_thread(locked_close)


@dataclass(eq=False)
class EnumerationContext:
    """One open pull enumeration."""

    token: str
    user: str | None
    namespace: str
    kind: str  # "instances-with-path" | "paths" | "instances"
    cursor: Cursor
    encode: Callable[[Any], str]
    timeout: float
    deadline: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class EnumerationContexts:
    """The open pull enumerations of one server."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_per_user: int = 64,
        default_timeout: float = 30.0,
        max_timeout: float = 3600.0,
    ) -> None:
        self.clock = clock
        self.max_per_user = max_per_user
        self.default_timeout = default_timeout
        self.max_timeout = max_timeout
        self._open: dict[str, EnumerationContext] = {}

    def __len__(self) -> int:
        return len(self._open)

    def timeout_for(self, requested: int | None) -> float:
        """The inter-operation timeout for an Open (CIM_ERR_INVALID_OPERATION_TIMEOUT
        for 0 = never, which this server does not grant, and for too large)."""
        if requested is None:
            return self.default_timeout
        if requested == 0 or requested > self.max_timeout:
            raise cim_error(
                22,
                f"OperationTimeout {requested} s is not supported "
                f"(1..{int(self.max_timeout)} s)",
            )
        return float(requested)

    def count_for(self, user: str | None) -> int:
        return sum(1 for c in self._open.values() if c.user == user)

    def open(
        self,
        *,
        user: str | None,
        namespace: str,
        kind: str,
        cursor: Cursor,
        encode: Callable[[Any], str],
        timeout: float,
    ) -> EnumerationContext:
        """Register a context (the caller has checked ``count_for`` first)."""
        token = secrets.token_urlsafe(18)
        ctx = EnumerationContext(
            token,
            user,
            namespace,
            kind,
            cursor,
            encode,
            timeout,
            self.clock() + timeout,
        )
        self._open[token] = ctx
        return ctx

    def check_room(self, user: str | None) -> None:
        if self.count_for(user) >= self.max_per_user:
            raise cim_error(
                SERVER_LIMITS_EXCEEDED,
                f"too many open enumeration contexts ({self.max_per_user} per user); "
                "close some with CloseEnumeration",
            )

    async def get(
        self, token: object, *, user: str | None, namespace: str, kind: str | None
    ) -> EnumerationContext:
        """The live context named ``token`` for this user (Rule 3).

        Raises:
            WbemError: CIM_ERR_INVALID_ENUMERATION_CONTEXT.
        """
        await self.expire()
        ctx = self._open.get(token) if isinstance(token, str) else None
        if (
            ctx is None
            or ctx.user != user
            or ctx.namespace.lower().strip("/") != namespace.lower().strip("/")
        ):
            raise cim_error(
                INVALID_CONTEXT, "the enumeration context is unknown or closed"
            )
        if kind is not None and ctx.kind != kind:
            # DSP0200: a pull of the wrong type closes nothing but is refused
            raise cim_error(
                INVALID_CONTEXT,
                f"this enumeration context returns {ctx.kind}, not {kind}",
            )
        return ctx

    def touch(self, ctx: EnumerationContext) -> None:
        ctx.deadline = self.clock() + ctx.timeout

    async def close(self, ctx: EnumerationContext) -> None:
        self._open.pop(ctx.token, None)
        await ctx.cursor.aclose()

    async def expire(self) -> int:
        """Close every idle context past its deadline; returns how many."""
        now = self.clock()
        dead = [
            c for c in self._open.values() if c.deadline <= now and not c.lock.locked()
        ]
        for c in dead:
            await self.close(c)
        return len(dead)

    async def close_all(self) -> None:
        for c in list(self._open.values()):
            await self.close(c)
