"""The Source Protocol, the CallContext a producer sees, and BatchPolicy.

Owns the contract between the engine and anything that produces results: the
embedded object manager (local source) and the CIM-XML pull loop (remote
source) both implement ``Source``. Imports only openwmi.errors/constants and the
stdlib; never the object manager, the wire, or asyncio.

Writing a source
----------------
``open(operation, ctx)`` is called on the engine thread and must not block. It
returns one of:

* an **async iterator** (e.g. an async generator): pumped on the engine loop;
  cancelling the call cancels the pump task and closes it with ``aclose()``;
* a **sync iterable** (e.g. a generator): pumped on a worker thread, so a
  blocking producer never blocks the engine; on cancel the generator is
  closed with ``close()`` between items (a producer blocked inside one item cannot be
  interrupted: it sees ``ctx.cancelled`` / its ``on_cancel`` hooks);
* an **awaitable**: its result is the single object (None = no object);
* ``None``: no objects.

Do the work inside the generator body, not in ``open``. Raise a ``WbemError`` to
fail the call with its HRESULT and message; any other exception fails it with
``WBEM_E_PROVIDER_FAILURE``. A source may define ``cancel(ctx)``; it is called
(on a worker thread) when an enumeration is cancelled, and its result or
exception never changes what the client sees.

The operation is opaque to the engine except for two optional attributes:
``detach_on_cancel: bool`` (True for ExecMethod: cancel only detaches the client,
the producer is never told and runs to completion, its late results are
dropped) and ``batch_policy: BatchPolicy`` (overrides the engine's batching).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from openwmi.constants import WBEM_FLAG_SEND_STATUS
from openwmi.errors import InvalidParameterError, is_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._call import Call
    from ._engine import Engine

__all__ = ["BatchPolicy", "CallContext", "Source"]


@runtime_checkable
class Source(Protocol):
    """Something that turns an operation into a stream of result objects."""

    def open(self, operation: Any, ctx: CallContext) -> Any:
        """Start producing (non-blocking); see the module docstring."""
        ...


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """When the engine flushes collected objects to ``indicate``.

    A batch is flushed when it holds ``max_objects`` objects, when its estimated
    size reaches ``max_bytes`` (count x ``sizer(first object)``; 0 disables),
    when it is older than ``max_delay`` seconds (checked every 32 objects),
    when an async producer is about to wait, when the producer calls
    ``ctx.flush()`` or reports progress, and at the end. Never an empty
    ``indicate``.
    """

    max_objects: int = 256
    max_bytes: int = 256 * 1024  # MS-WMI FinalizerBatchSize default (spec §3.1)
    max_delay: float = 0.01
    sizer: Callable[[Any], int] = sys.getsizeof

    def __post_init__(self) -> None:
        if self.max_objects < 1:
            raise InvalidParameterError("BatchPolicy.max_objects must be >= 1")


class CallContext:
    """What a producer sees of its call.

    Attributes:
        flags: the call's WBEM_FLAG_* flags.
        user: the caller's identity (opaque to the engine).
        namespace: the namespace of the call (opaque to the engine).
        operation: the operation object.
    """

    __slots__ = (
        "_call",
        "_callbacks",
        "_cancelled",
        "_engine",
        "_final_code",
        "_lock",
        "_result_string",
        "flags",
        "namespace",
        "operation",
        "user",
    )

    def __init__(
        self,
        engine: Engine,
        call: Call,
        *,
        flags: int,
        user: Any,
        namespace: Any,
        operation: Any,
    ) -> None:
        self._engine = engine
        self._call = call
        self.flags = flags
        self.user = user
        self.namespace = namespace
        self.operation = operation
        self._cancelled = False
        self._callbacks: list[Callable[[], object]] | None = None
        self._lock = threading.Lock()
        self._result_string: str | None = None
        self._final_code = 0

    @property
    def cancelled(self) -> bool:
        """True once the call was cancelled (never for detach_on_cancel calls)."""
        return self._cancelled

    @property
    def send_status(self) -> bool:
        """True when the caller asked for progress (WBEM_FLAG_SEND_STATUS)."""
        return bool(self.flags & WBEM_FLAG_SEND_STATUS)

    def progress(self, percent: int, message: str | None = None) -> None:
        """Report progress.

        Reaches the sink as ``set_status(WBEM_STATUS_PROGRESS, hr, message,
        None)`` with ``hr = (100 << 16) | percent`` (HIWORD total, LOWORD done;
        spec §3.2), after the objects produced so far, only when the call has
        WBEM_FLAG_SEND_STATUS, and never after cancel or the final status.
        """
        if self.flags & WBEM_FLAG_SEND_STATUS:
            self._engine._deliver_progress(self._call, percent, message)

    def flush(self) -> None:
        """Deliver the objects collected so far now (call before blocking)."""
        self._engine._flush_pending(self._call)

    def set_result_string(self, value: str) -> None:
        """The final status strParam on success (e.g. PutInstance's new path)."""
        self._result_string = value

    @property
    def result_string(self) -> str | None:
        """What ``set_result_string`` set, if anything."""
        return self._result_string

    def set_final_code(self, hresult: int) -> None:
        """A success code other than WBEM_S_NO_ERROR for the final status.

        Raises:
            InvalidParameterError: ``hresult`` is a failure code (raise a
                WbemError instead).
        """
        if is_error(hresult):
            raise InvalidParameterError("set_final_code takes success codes only")
        self._final_code = hresult

    @property
    def final_code(self) -> int:
        """The success code the call ends with."""
        return self._final_code

    def on_cancel(self, callback: Callable[[], object]) -> None:
        """Run ``callback()`` when the call is cancelled (at once if it was).

        Callbacks run on the engine thread (or the registering thread when
        already cancelled); they must be quick. Their exceptions are ignored.
        Never called for detach_on_cancel calls.
        """
        with self._lock:
            if not self._cancelled:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return
        _run_quietly(callback)

    def _mark_cancelled(self) -> list[Callable[[], object]]:
        with self._lock:
            self._cancelled = True
            callbacks, self._callbacks = self._callbacks, None
        return callbacks or []


def _run_quietly(callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:  # a producer hook never changes what the client sees
        import logging

        logging.getLogger("openwmi.engine").debug(
            "on_cancel hook failed", exc_info=True
        )
