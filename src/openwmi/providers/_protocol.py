"""The provider contract as typing Protocols, and capability declarations.

Owns ``ProviderContext`` (what a provider sees of its call), the
``InstanceProvider`` / ``MethodProvider`` / ``AssociationProvider`` /
``EventProvider`` / ``QueryProvider`` Protocols, ``Capabilities`` (what a
registration declares) and ``capabilities_of``. These describe the
duck-typed contract the object manager already calls (openwmi.manager,
``_providers``): a provider is any object with some of these methods; a
missing method is a missing capability (``WBEM_E_PROVIDER_NOT_CAPABLE``).

Imports model and errors only; never the repository, the manager, the engine
or socket.

Rule 1: ``ctx`` may be None (a synchronous call with no engine behind it);
        providers use the helpers ``is_cancelled(ctx)`` / ``report_progress``.
Rule 2: enumerations are generators (sync or async); closing the generator is
        how cancellation reaches the provider.
Rule 3: method providers are never told about a cancel (spec §8.2): they run
        to completion and their side effects stay.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..model import CIMInstance, ObjectPath

__all__ = [
    "AssociationProvider",
    "Capabilities",
    "EventProvider",
    "Hosting",
    "InstanceProvider",
    "MethodProvider",
    "ProviderContext",
    "QueryProvider",
    "QuerySupport",
    "capabilities_of",
    "is_cancelled",
    "report_progress",
]

ProviderItem = Mapping[str, Any] | CIMInstance


@runtime_checkable
class ProviderContext(Protocol):
    """What a provider sees of its call (the engine's ``CallContext``)."""

    @property
    def cancelled(self) -> bool: ...

    flags: int
    user: Any

    def progress(self, percent: int, message: str | None = None) -> None: ...


class InstanceProvider(Protocol):
    """Instances of a class: any subset of these methods (WMI ``__InstanceProviderRegistration``)."""

    def enumerate_instances(
        self, ctx: Any, classname: str
    ) -> Iterable[ProviderItem] | AsyncIterator[ProviderItem]: ...

    def get_instance(self, ctx: Any, path: ObjectPath) -> ProviderItem | None: ...


class WritableInstanceProvider(InstanceProvider, Protocol):
    def put_instance(
        self, ctx: Any, instance: CIMInstance, flags: int
    ) -> str | None: ...

    def delete_instance(self, ctx: Any, path: ObjectPath) -> None: ...


class MethodProvider(Protocol):
    """Extrinsic methods: returns the out-parameters with ``ReturnValue``."""

    def invoke_method(
        self, ctx: Any, path: ObjectPath, method: str, in_params: dict[str, Any]
    ) -> dict[str, Any]: ...


class QueryProvider(Protocol):
    """A provider that takes the WQL itself (``QuerySupport.WQL``).

    It may return a superset of the matching instances: openwmi post-filters
    whenever ``Capabilities.post_filter`` is True (the default), which is WMI's
    ``WBEM_REQUIREMENTS_START_POSTFILTER``.
    """

    def exec_query(
        self, ctx: Any, classname: str, query: str
    ) -> Iterable[ProviderItem] | AsyncIterator[ProviderItem]: ...


class AssociationProvider(Protocol):
    """Association instances that refer to ``path`` (REFERENCES OF); the
    manager derives ASSOCIATORS OF from them."""

    def references(
        self, ctx: Any, classname: str, path: ObjectPath
    ) -> Iterable[ProviderItem]: ...


class EventProvider(Protocol):
    """Extrinsic or intrinsic events pushed by the provider.

    ``provide_events(ctx, query, emit)`` starts delivery and returns a callable
    that stops it (WMI ``CancelQuery``); ``emit(instance)`` never blocks.
    """

    def provide_events(
        self, ctx: Any, query: str, emit: Callable[[ProviderItem], None]
    ) -> Callable[[], None]: ...


class QuerySupport(enum.Enum):
    """``__ObjectProviderRegistration.QuerySupportLevels`` in openwmi terms."""

    NONE = "none"  # openwmi enumerates and post-filters (WMI: no QuerySupportLevels)
    WQL = "wql"  # the provider's exec_query sees the WQL (WQL:UnarySelect)


class Hosting(enum.Enum):
    """Where a provider runs."""

    IN_PROCESS = "inprocess"  # the default: trusted, fast providers
    ISOLATED = "isolated"  # a provider host subprocess (openwmi.providers._host)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a registration declares (WMI ``__ObjectProviderRegistration`` and
    ``__MethodProviderRegistration``); every flag defaults to what the
    provider object implements."""

    get: bool = False
    put: bool = False
    delete: bool = False
    enumerate: bool = False
    methods: bool = False
    references: bool = False
    events: bool = False
    query_support: QuerySupport = QuerySupport.NONE
    post_filter: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def method_names(self) -> tuple[str, ...]:
        """The contract methods these capabilities stand for."""
        names = {
            "get_instance": self.get,
            "put_instance": self.put,
            "delete_instance": self.delete,
            "enumerate_instances": self.enumerate,
            "invoke_method": self.methods,
            "references": self.references,
            "provide_events": self.events,
            "exec_query": self.query_support is QuerySupport.WQL,
        }
        return tuple(n for n, on in names.items() if on)


def capabilities_of(provider: object) -> Capabilities:
    """The capabilities ``provider`` implements (an explicit ``capabilities``
    attribute wins)."""
    declared = getattr(provider, "capabilities", None)
    if isinstance(declared, Capabilities):
        return declared

    def has(name: str) -> bool:
        return callable(getattr(provider, name, None))

    return Capabilities(
        get=has("get_instance"),
        put=has("put_instance"),
        delete=has("delete_instance"),
        enumerate=has("enumerate_instances"),
        methods=has("invoke_method"),
        references=has("references"),
        events=has("provide_events"),
        query_support=QuerySupport.WQL if has("exec_query") else QuerySupport.NONE,
    )


def is_cancelled(ctx: Any) -> bool:
    """True once the call behind ``ctx`` was cancelled (False for ctx None)."""
    return bool(ctx is not None and getattr(ctx, "cancelled", False))


def report_progress(ctx: Any, percent: int, message: str | None = None) -> None:
    """``ctx.progress`` when there is a context (delivered only with
    WBEM_FLAG_SEND_STATUS; the engine decides)."""
    if ctx is not None:
        fn = getattr(ctx, "progress", None)
        if fn is not None:
            fn(max(0, min(100, int(percent))), message)
