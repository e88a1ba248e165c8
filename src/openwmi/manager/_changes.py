"""The change feed: what the repository committed, for intrinsic events.

Owns ``Change`` and ``ChangeFeed``. The object manager publishes one ``Change``
per committed write (instance/class/namespace created, modified, deleted) —
after the commit, never for a write that rolled back, outside the repository
lock. Subscribers (the events subsystem) must return quickly and must not
raise; an exception from one subscriber is contained and does not reach the
writer. Imports model only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Change", "ChangeFeed", "ChangeKind"]

ChangeKind = Literal[
    "instance_created",
    "instance_modified",
    "instance_deleted",
    "class_created",
    "class_modified",
    "class_deleted",
    "namespace_created",
    "namespace_deleted",
]


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write. ``target`` is the new (or deleted) instance/class, or the
    namespace name; ``previous`` the state before a modification."""

    kind: ChangeKind
    namespace: str
    target: Any
    previous: Any = None


class ChangeFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Callable[[Change], None], ...] = ()
        self.errors = 0  # subscriber exceptions contained (diagnostics)

    def __bool__(self) -> bool:
        return bool(self._subscribers)

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(
                    s for s in self._subscribers if s is not callback
                )

        return unsubscribe

    def publish(self, change: Change) -> None:
        for callback in self._subscribers:
            try:
                callback(change)
            except Exception:
                self.errors += 1
