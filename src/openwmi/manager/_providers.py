"""In-process provider registration and the calls into providers.

Owns ``ProviderRegistry`` and the wrappers that turn what a provider returns
(dicts or instances, from generators, async generators or plain calls) into
checked ``CIMInstance`` objects, and provider exceptions into WbemErrors
(a ``WbemError`` passes through; anything else → ``WBEM_E_PROVIDER_FAILURE``
with the provider's message). Imports model and errors only.

The provider contract (issue 4): any object with any of
``enumerate_instances(ctx, classname)``, ``get_instance(ctx, path)``,
``put_instance(ctx, instance, flags)``, ``delete_instance(ctx, path)``,
``invoke_method(ctx, path, method, in_params) -> dict`` (with "ReturnValue"),
and optionally ``cancel(ctx)``. A missing capability → WBEM_E_PROVIDER_NOT_CAPABLE.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..errors import (
    InvalidClassError,
    InvalidParameterError,
    ProviderError,
    ProviderNotCapableError,
    WbemError,
)
from ..model import CIMClass, CIMInstance
from ..repository import normalize_namespace

__all__ = ["DirectContext", "ProviderRegistry", "call_provider", "provider_instances"]


class ProviderRegistry:
    """(namespace, class) → provider object. Registration is exact-class."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_class: dict[tuple[str, str], Any] = {}

    def register(self, namespace: str, classname: str, provider: Any) -> None:
        if provider is None:
            raise InvalidParameterError("register_provider: provider is None")
        capabilities = (
            "enumerate_instances",
            "get_instance",
            "put_instance",
            "delete_instance",
            "invoke_method",
        )
        if not any(callable(getattr(provider, c, None)) for c in capabilities):
            raise InvalidParameterError(
                f"register_provider: {type(provider).__name__} implements none of "
                f"{', '.join(capabilities)}"
            )
        key = (normalize_namespace(namespace), classname.lower())
        with self._lock:
            if key in self._by_class:
                raise WbemError.of(
                    0x80041084,  # WBEM_E_PROVIDER_ALREADY_REGISTERED
                    f"a provider is already registered for {classname} in {namespace}",
                )
            self._by_class[key] = provider

    def unregister(self, namespace: str, classname: str) -> None:
        with self._lock:
            self._by_class.pop(
                (normalize_namespace(namespace), classname.lower()), None
            )

    def get(self, namespace: str, classname: str) -> Any:
        return self._by_class.get((normalize_namespace(namespace), classname.lower()))

    def __bool__(self) -> bool:
        return bool(self._by_class)


class DirectContext:
    """The context a provider sees on a synchronous call made without the engine
    (same attributes as the engine's CallContext; nothing to cancel or report to)."""

    __slots__ = ("flags", "namespace", "user")
    cancelled = False

    def __init__(self, namespace: str | None, flags: int = 0, user: Any = None) -> None:
        self.namespace, self.flags, self.user = namespace, flags, user

    def progress(self, percent: int, message: str | None = None) -> None:
        return None

    def on_cancel(self, callback: Any) -> None:
        return None

    def set_result_string(self, value: str) -> None:
        return None

    def flush(self) -> None:
        return None


def _capability(provider: Any, name: str, cls: CIMClass) -> Any:
    fn = getattr(provider, name, None)
    if not callable(fn):
        raise ProviderNotCapableError(
            f"the provider of {cls.name} does not support {name} "
            f"({type(provider).__name__} has no {name} method)"
        )
    return fn


def _failure(cls: CIMClass, what: str, exc: BaseException) -> WbemError:
    if isinstance(exc, WbemError):
        return exc
    return ProviderError(
        f"provider of {cls.name} failed in {what}: {type(exc).__name__}: {exc}"
    )


def call_provider(provider: Any, name: str, cls: CIMClass, *args: Any) -> Any:
    """Call one provider method, mapping its exceptions (WbemError passes)."""
    fn = _capability(provider, name, cls)
    if args and args[0] is None:
        args = (DirectContext(cls.namespace), *args[1:])
    try:
        return fn(*args)
    except Exception as exc:
        raise _failure(cls, name, exc) from exc


def to_instance(cls: CIMClass, item: Any, namespace: str) -> CIMInstance:
    """A provider's dict or instance as a checked instance of ``cls`` (or a subclass)."""
    if isinstance(item, CIMInstance):
        if item.cimclass is not None and item.cimclass.is_subclass_of(cls.name):
            return item
        values = item.values_set()
    elif isinstance(item, dict):
        values = item
    else:
        raise ProviderError(
            f"provider of {cls.name} yielded a {type(item).__name__}, "
            "expected a dict or a CIMInstance"
        )
    try:
        return CIMInstance(cls, values, namespace=namespace)
    except WbemError as exc:
        raise ProviderError(
            f"provider of {cls.name} returned a bad value: {exc.message}"
        ) from exc


def provider_instances(
    provider: Any, cls: CIMClass, namespace: str, ctx: Any
) -> Iterator[CIMInstance] | AsyncIterator[CIMInstance]:
    """The provider's enumeration of ``cls`` as instances (sync or async iterator).

    Closing the returned iterator closes the provider's generator (cancellation
    reaches the provider, house-style §4).
    """
    result = call_provider(provider, "enumerate_instances", cls, ctx, cls.name)
    if hasattr(result, "__aiter__"):
        return _async_instances(result, cls, namespace)
    if result is None:
        return iter(())
    try:
        it = iter(result)
    except TypeError:
        raise InvalidClassError(
            f"provider of {cls.name}: enumerate_instances returned {type(result).__name__}"
        ) from None
    return _sync_instances(it, cls, namespace)


def _sync_instances(
    it: Iterator[Any], cls: CIMClass, namespace: str
) -> Iterator[CIMInstance]:
    try:
        while True:
            try:
                item = next(it)
            except StopIteration:
                return
            except Exception as exc:
                raise _failure(cls, "enumerate_instances", exc) from exc
            yield to_instance(cls, item, namespace)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


async def _async_instances(
    ait: AsyncIterator[Any], cls: CIMClass, namespace: str
) -> AsyncIterator[CIMInstance]:
    it = ait.__aiter__()
    try:
        while True:
            try:
                item = await it.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:
                raise _failure(cls, "enumerate_instances", exc) from exc
            yield to_instance(cls, item, namespace)
    finally:
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            await aclose()
