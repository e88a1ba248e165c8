"""CallState, CancelReason and Call: the single-completion guard of one call.

Owns the per-call rules of MS-WMI's AsyncOperationTable (spec §2.4, §3.2, §3.4)
as a pure synchronous class, tested with no event loop (house-style §4):

Rule 1. ``complete()`` is the only way to a terminal state. Exactly one caller
        ever gets ``began=True``; only that caller (or, if a callback is in
        progress, the thread running it, right after it returns) delivers the
        final ``set_status``.
Rule 2. A data callback (``indicate``/progress) starts only while the call is
        RUNNING and no other callback is in progress (``in_callback`` is
        MS-WMI's CallbackInProgress); nothing starts after ``complete()``.
Rule 3. ``final_done()`` drops the sink: the engine keeps no reference to it
        after the final status.

No lock is ever held while a sink is called. Imports only the stdlib and
openwmi.errors; never asyncio, the object manager, or the wire.
"""

from __future__ import annotations

import enum
import math
import threading
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from openwmi.errors import HResult, is_error

if TYPE_CHECKING:
    from ._sink import ObjectSink
    from ._source import CallContext

__all__ = ["Call", "CallState", "CancelReason", "FinalStatus"]

CancelReason = Literal["client", "deadline", "shutdown", "sink_error", "released"]


class CallState(enum.Enum):
    """Where a call is in its life (terminal: COMPLETED, FAILED, CANCELLED)."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


_TERMINAL = frozenset({CallState.COMPLETED, CallState.FAILED, CallState.CANCELLED})
_CANCEL_CODES = frozenset({HResult.WBEM_E_CALL_CANCELLED, HResult.WBEM_E_SHUTTING_DOWN})


class FinalStatus(NamedTuple):
    """The arguments of the one final ``set_status(WBEM_STATUS_COMPLETE, ...)``."""

    hresult: int
    message: str | None
    obj: Any


def _state_for(hresult: int) -> CallState:
    if hresult in _CANCEL_CODES:
        return CallState.CANCELLED
    return CallState.FAILED if is_error(hresult) else CallState.COMPLETED


class Call:
    """One started call: its sink, operation, state and callback bookkeeping.

    The handle returned by ``Engine.start``. Read ``state``, ``cancel_reason``,
    ``final`` (a FinalStatus once decided); ``wait(timeout)`` blocks until the
    final status has been delivered to the sink.
    """

    __slots__ = (
        "__weakref__",
        "_lock",
        "_waiters",
        "batch",
        "cancel_reason",
        "ctx",
        "deadline",
        "detach",
        "dlock",
        "final",
        "final_delivered",
        "flags",
        "in_callback",
        "opened",
        "operation",
        "pending_final",
        "sink",
        "sink_id",
        "sink_timeout",
        "source",
        "state",
        "task",
    )

    def __init__(
        self,
        sink: ObjectSink,
        operation: Any,
        *,
        flags: int = 0,
        detach: bool = False,
        sink_timeout: float | None = 30.0,
    ) -> None:
        self.sink: ObjectSink | None = sink
        self.sink_id = id(sink)  # registry key; stable while the call is live
        self.operation = operation
        self.flags = flags
        # True for ExecMethod: cancel detaches the client, the producer runs on.
        self.detach = detach
        self.sink_timeout = sink_timeout
        self.state = CallState.PENDING
        self.cancel_reason: CancelReason | None = None
        self.final: FinalStatus | None = None
        # Invariant: in_callback is True while exactly one sink callback of this
        # call (data or final) runs; deadline is finite only while a *data*
        # callback runs (the sink timer, spec §3.4).
        self.in_callback = False
        self.deadline = math.inf
        # Invariant: pending_final is set only while in_callback is True.
        self.pending_final: FinalStatus | None = None
        self.final_delivered = False
        self.opened = False
        self.task: Any = None
        self.batch: Any = None  # the producer side's pending objects
        self.source: Any = None
        self.ctx: CallContext | None = None
        self._lock = threading.Lock()
        # Serialises the data callbacks of producer-side threads (never taken
        # by a canceller, so cancel never waits on a sink).
        self.dlock = threading.Lock()
        self._waiters: list[threading.Event] | None = None

    def __repr__(self) -> str:
        return f"<Call {self.operation!r} {self.state.value}>"

    @property
    def terminal(self) -> bool:
        """True once ``complete()`` has succeeded (final decided)."""
        return self.state in _TERMINAL

    def mark_running(self) -> bool:
        """PENDING → RUNNING; False if the call already ended (cancelled early)."""
        with self._lock:
            if self.state is not CallState.PENDING:
                return False
            self.state = CallState.RUNNING
            return True

    def complete(
        self,
        hresult: int,
        message: str | None = None,
        obj: Any = None,
        reason: CancelReason | None = None,
    ) -> tuple[bool, FinalStatus | None]:
        """Decide the final status (single-completion guard).

        Returns:
            ``(began, deliver_now)``: ``began`` is True for exactly one caller.
            ``deliver_now`` is the FinalStatus that caller must deliver itself,
            or None when a callback is in progress (its thread delivers it on
            return, see ``end_callback``).
        """
        final = FinalStatus(hresult, message, obj)
        with self._lock:
            if self.state in _TERMINAL:
                return False, None
            self.state = _state_for(hresult)
            self.cancel_reason = reason
            self.final = final
            self.deadline = math.inf
            if self.in_callback:
                self.pending_final = final
                return True, None
            self.in_callback = True  # the final callback is now in progress
            return True, final

    def finish(self, status: int) -> bool:
        """Rule 1 in its house-style form; True for exactly one caller.

        Used where no callback bookkeeping is needed; the engine uses
        ``complete()``.
        """
        began, _ = self.complete(status)
        return began

    def try_begin_callback(self, now: float) -> bool:
        """Start a data callback if allowed (Rule 2); arms the sink timer."""
        with self._lock:
            if self.state is not CallState.RUNNING or self.in_callback:
                return False
            self.in_callback = True
            if self.sink_timeout is not None:
                self.deadline = now + self.sink_timeout
            return True

    def end_callback(self) -> FinalStatus | None:
        """End a data callback; return a final status now owed by this thread."""
        with self._lock:
            self.deadline = math.inf
            final, self.pending_final = self.pending_final, None
            self.in_callback = final is not None
            return final

    def final_done(self) -> None:
        """The final status has been delivered: drop the sink, wake waiters."""
        with self._lock:
            self.sink = None
            self.in_callback = False
            self.final_delivered = True
            waiters, self._waiters = self._waiters, None
        for ev in waiters or ():
            ev.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the final status was delivered; False on timeout."""
        with self._lock:
            if self.final_delivered:
                return True
            ev = threading.Event()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(ev)
        return ev.wait(timeout)
