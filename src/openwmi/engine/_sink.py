"""The ObjectSink Protocol and the two helper sinks users need.

Owns: ``ObjectSink`` (``indicate(objects)`` / ``set_status(flags, hresult,
message, obj)``, spec §3), ``CollectingSink`` (collects everything, ``wait()``
for the final status) and ``QueueSink`` (a thread-safe queue of ``SinkEvent``
for a consumer thread). Imports only openwmi.errors/constants and the stdlib;
never imports asyncio, the engine, or the object manager.

Rules a sink implementer relies on (enforced by the engine, spec §3.1-§3.5):

Rule 1. ``indicate`` always receives a non-empty list; the list is the sink's
        to keep.
Rule 2. Exactly one ``set_status(WBEM_STATUS_COMPLETE, ...)`` per call, last;
        progress (``WBEM_STATUS_PROGRESS``) only before it.
Rule 3. One callback at a time per call; calls sharing a sink may overlap.
Rule 4. Raising, or returning a failure HRESULT (severity bit set), from
        ``indicate`` or a progress ``set_status`` cancels the call.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from openwmi.constants import WBEM_STATUS_COMPLETE, WBEM_STATUS_PROGRESS
from openwmi.errors import HResult, WbemError, is_error

__all__ = [
    "CollectingSink",
    "ObjectSink",
    "QueueSink",
    "SinkEvent",
    "error_from_status",
]


@runtime_checkable
class ObjectSink(Protocol):
    """IWbemObjectSink: the client's callback object for an asynchronous call."""

    def indicate(self, objects: list[Any]) -> object:
        """Receive one batch (>= 1 object). Return None/0 or a success code."""
        ...

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> object:
        """Progress (``flags == WBEM_STATUS_PROGRESS``) or the final status (0)."""
        ...


def error_from_status(hresult: int, message: str | None, obj: Any) -> WbemError:
    """The WbemError for a failed final status.

    The engine passes the producer's WbemError as ``obj`` (a stand-in for
    ``__ExtendedStatus``); otherwise one is built from the code and message.
    """
    if isinstance(obj, WbemError) and obj.hresult == hresult:
        return obj
    return WbemError.of(hresult, message or "the call failed")


class CollectingSink:
    """Collects every object and the final status; ``wait()`` blocks for it.

    Thread-safe. Attributes after the final status: ``objects``, ``status``
    (the final HRESULT), ``message`` (strParam: error text, or the result
    string such as a new instance path), ``obj`` and ``error``.
    """

    def __init__(self) -> None:
        self.objects: list[Any] = []
        self.progress: list[tuple[int, str | None]] = []
        self.status: int | None = None
        self.message: str | None = None
        self.obj: Any = None
        self._done = threading.Event()

    def indicate(self, objects: list[Any]) -> int:
        """Append the batch."""
        self.objects.extend(objects)
        return HResult.WBEM_S_NO_ERROR

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        """Record progress, or the final status (and wake ``wait``)."""
        if flags == WBEM_STATUS_PROGRESS:
            self.progress.append((hresult, message))
        elif flags == WBEM_STATUS_COMPLETE:
            self.status, self.message, self.obj = hresult, message, obj
            self._done.set()
        return HResult.WBEM_S_NO_ERROR

    @property
    def done(self) -> bool:
        """True once the final status arrived."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> int:
        """Block until the final status; return it.

        Args:
            timeout: seconds; None waits forever.

        Returns:
            The final HRESULT, or ``WBEM_S_TIMEDOUT`` if it did not arrive in time.
        """
        if not self._done.wait(timeout):
            return HResult.WBEM_S_TIMEDOUT
        assert self.status is not None
        return self.status

    @property
    def error(self) -> WbemError | None:
        """The WbemError of a failed call, else None."""
        if self.status is None or not is_error(self.status):
            return None
        return error_from_status(self.status, self.message, self.obj)

    @property
    def result_string(self) -> str | None:
        """The final strParam of a successful call (GetResultString), else None."""
        if self.status is None or is_error(self.status):
            return None
        return self.message


@dataclass(frozen=True, slots=True)
class SinkEvent:
    """One sink callback as seen by a ``QueueSink`` consumer."""

    kind: Literal["indicate", "progress", "status"]
    objects: tuple[Any, ...] = ()
    hresult: int = 0
    message: str | None = None
    obj: Any = None

    @property
    def final(self) -> bool:
        """True for the final status event."""
        return self.kind == "status"


class QueueSink:
    """Puts every callback on a thread-safe queue as a ``SinkEvent``.

    ``maxsize > 0`` bounds the queue: ``indicate`` then blocks the delivering
    worker until the consumer catches up (backpressure; the sink timer still
    applies). Progress and the final status are never blocked.
    """

    def __init__(self, maxsize: int = 0) -> None:
        self._q: queue.Queue[SinkEvent] = queue.Queue(maxsize)
        self._final = threading.Event()

    def indicate(self, objects: list[Any]) -> int:
        """Queue the batch (may block while the queue is full)."""
        self._q.put(SinkEvent("indicate", tuple(objects)))
        return HResult.WBEM_S_NO_ERROR

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        """Queue progress or the final status."""
        kind: Literal["progress", "status"] = (
            "status" if flags == WBEM_STATUS_COMPLETE else "progress"
        )
        self._q.put(SinkEvent(kind, (), hresult, message, obj))
        if kind == "status":
            self._final.set()
        return HResult.WBEM_S_NO_ERROR

    def get(self, timeout: float | None = None) -> SinkEvent:
        """The next event; raises ``queue.Empty`` after ``timeout`` seconds."""
        return self._q.get(timeout=timeout)

    def events(self, timeout: float | None = None) -> list[SinkEvent]:
        """Every event up to and including the final status."""
        out: list[SinkEvent] = []
        while True:
            ev = self._q.get(timeout=timeout)
            out.append(ev)
            if ev.final:
                return out
