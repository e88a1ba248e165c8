"""Case-insensitive, case-preserving names (CIM names compare without case).

Owns ``NocaseDict``. Imports nothing from openwmi.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TypeVar, overload

V = TypeVar("V")
_T = TypeVar("_T")


class NocaseDict(MutableMapping[str, V]):
    """A dict keyed by names compared case-insensitively; keeps the first spelling.

    Iteration yields the names as they were first written, in insertion order.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        self._data: dict[str, tuple[str, V]] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            self[key] = value

    def __getitem__(self, key: str) -> V:
        return self._data[key.lower()][1]

    def __setitem__(self, key: str, value: V) -> None:
        low = key.lower()
        old = self._data.get(low)
        self._data[low] = (old[0] if old is not None else key, value)

    def __delitem__(self, key: str) -> None:
        del self._data[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    @overload
    def get(self, key: str, /) -> V | None: ...
    @overload
    def get(self, key: str, /, default: V | _T) -> V | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        hit = self._data.get(key.lower())
        return default if hit is None else hit[1]

    def values(self) -> list[V]:  # type: ignore[override]  # a list is faster than a view
        return [v for _, v in self._data.values()]

    def items(self) -> list[tuple[str, V]]:  # type: ignore[override]  # as values()
        return list(self._data.values())

    def canonical(self, key: str) -> str | None:
        """The stored spelling of ``key``, or None when absent."""
        hit = self._data.get(key.lower())
        return None if hit is None else hit[0]

    def copy(self) -> NocaseDict[V]:
        new: NocaseDict[V] = NocaseDict()
        new._data = dict(self._data)
        return new

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NocaseDict):
            return {k: v for k, (_, v) in self._data.items()} == {
                k: v for k, (_, v) in other._data.items()
            }
        if isinstance(other, Mapping):
            return self == NocaseDict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable mapping, like dict

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {value!r}" for name, value in self._data.values())
        return f"NocaseDict({{{inner}}})"
