"""The *local source*: operations on the embedded object manager, for the engine.

Owns the operation records (frozen, one per IWbemServices operation) and
``LocalSource.open``, which turns one into a stream for the call engine. The
work happens inside the returned generator (on an engine worker thread), never
in ``open``. Enumerations carry a ``produce(ctx)`` factory made by ``Services``
after it validated the call, so providers see the engine's ``CallContext``
(``cancelled``, ``progress``). Imports manager, model, errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..manager import ObjectManager

__all__ = ["Enumerate", "LocalSource", "SingleCall"]


@dataclass(frozen=True, slots=True)
class Enumerate:
    """A multi-object operation (CreateInstanceEnum, CreateClassEnum, ExecQuery…)."""

    name: str
    produce: Callable[[Any], Any]  # ctx -> sync or async iterator of objects
    detach_on_cancel: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class SingleCall:
    """A single-result operation. ``run(ctx)`` returns ``(object | None, result string | None)``."""

    name: str
    run: Callable[[Any], tuple[Any, str | None]]
    detach_on_cancel: bool = False  # True for ExecMethod (spec §2.6 rule 5)


class LocalSource:
    """The embedded object manager as an engine Source."""

    def __init__(self, manager: ObjectManager) -> None:
        self.manager = manager

    def open(self, operation: Any, ctx: Any) -> Any:
        if isinstance(operation, Enumerate):
            return _lazy(operation, ctx)
        assert isinstance(operation, SingleCall)
        return _single(operation, ctx)


def _lazy(op: Enumerate, ctx: Any) -> Any:
    produced = op.produce(ctx)
    return produced


def _single(op: SingleCall, ctx: Any) -> Iterator[Any]:
    obj, result = op.run(ctx)
    if result is not None:
        ctx.set_result_string(result)
    if obj is not None:
        yield obj
