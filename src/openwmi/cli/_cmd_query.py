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
from ..errors import (
    HResult,
    InvalidParameterError,
    TypeMismatchError,
    WbemError,
    is_error,
)
from ..model import CIMMethod, CIMType

__all__ = ["parse_method_args", "stream_call"]


def stream_call(
    svc: Services,
    start: Callable[[QueueSink], None],
    on_progress: Callable[[int, str | None], None] | None = None,
) -> Iterator[Any]:
    """Start a call on a fresh QueueSink and yield its objects; Ctrl-C cancels it.

    ``on_progress(percent, message)`` receives WBEM_STATUS_PROGRESS reports
    (LOWORD of the hresult is the progress, HIWORD the total; spec §3.2).
    """
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
            elif event.kind == "progress" and on_progress is not None:
                done, total = event.hresult & 0xFFFF, (event.hresult >> 16) & 0xFFFF
                on_progress(done * 100 // total if total else done, event.message)
            elif event.final:
                if is_error(event.hresult):
                    err = error_from_status(event.hresult, event.message, event.obj)
                    raise err
                return
    except (KeyboardInterrupt, GeneratorExit):
        with contextlib.suppress(WbemError):  # it may have finished meanwhile
            svc.cancel_async_call(sink)
        raise


def parse_method_args(method: CIMMethod, args: tuple[str, ...]) -> dict[str, Any]:
    """``Name=Value`` words → typed in-parameters of ``method`` (declared types)."""
    out: dict[str, Any] = {}
    for word in args:
        name, sep, text = word.partition("=")
        if not sep:
            raise InvalidParameterError(f"method argument {word!r} is not Name=Value")
        param = method.parameters.get(name)
        if param is None or not param.is_in:
            raise WbemError.of(
                HResult.WBEM_E_INVALID_METHOD_PARAMETERS,
                f"{method.name} has no in-parameter {name!r}",
            )
        out[param.name] = _typed(param.type, text, f"{method.name}({param.name})")
    return out


def _typed(t: CIMType, text: str, where: str) -> Any:
    if t.is_integer:
        try:
            return int(text, 0)
        except ValueError:
            raise TypeMismatchError(f"{where}: {text!r} is not an integer") from None
    if t in (CIMType.REAL32, CIMType.REAL64):
        try:
            return float(text)
        except ValueError:
            raise TypeMismatchError(f"{where}: {text!r} is not a number") from None
    if t is CIMType.BOOLEAN:
        low = text.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise TypeMismatchError(f"{where}: {text!r} is not a boolean")
    return text
