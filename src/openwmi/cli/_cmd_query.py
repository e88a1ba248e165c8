"""``openwmi query`` and the streaming call helper shared by ``enum``.

Owns running one asynchronous call for the CLI: objects stream to the
renderer as the sink receives them; Ctrl-C calls ``cancel_async_call`` and the
command exits 130 after the final status; a failure raises the WbemError from
the final status. Imports client only.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterator
from typing import Any

from ..client import QueueSink, Services, error_from_status
from ..errors import WbemError, is_error

__all__ = ["stream_call"]


def stream_call(svc: Services, start: Callable[[QueueSink], None]) -> Iterator[Any]:
    """Start a call on a fresh QueueSink and yield its objects; Ctrl-C cancels it."""
    sink = QueueSink()
    start(sink)
    try:
        while True:
            try:
                event = sink.get(timeout=0.2)
            except queue.Empty:
                continue
            if event.kind == "indicate":
                yield from event.objects
            elif event.final:
                if is_error(event.hresult):
                    err = error_from_status(event.hresult, event.message, event.obj)
                    raise err
                return
    except (KeyboardInterrupt, GeneratorExit):
        with contextlib.suppress(WbemError):  # it may have finished meanwhile
            svc.cancel_async_call(sink)
        raise
