"""ExecMethod: method lookup, in-parameter checks, the provider call, out-parameters.

Owns the method rules of spec §4.2 (opnum 24): method names are
case-insensitive; a ``Disabled`` method → WBEM_E_METHOD_DISABLED; a method with
no provider → WBEM_E_METHOD_NOT_IMPLEMENTED; a static method may be called on the
class path, an instance method needs an instance path; in-parameters are
checked against the declaration (unknown or mistyped → WBEM_E_INVALID_METHOD_PARAMETERS);
the result is a ``__PARAMETERS`` instance with ``ReturnValue`` typed as declared
and the out-parameters. Imports model and errors.
"""

from __future__ import annotations

from typing import Any

from ..errors import HResult, InvalidParameterError, ProviderError, WbemError
from ..model import (
    CIMClass,
    CIMInstance,
    CIMMethod,
    CIMProperty,
    NocaseDict,
    ObjectPath,
    coerce_property,
)
from ._providers import call_provider

__all__ = ["exec_method", "out_parameters_class"]


def _find(cls: CIMClass, name: object) -> CIMMethod:
    if not isinstance(name, str) or not name:
        raise InvalidParameterError("ExecMethod: a method name is required")
    method = cls.methods.get(name)
    if method is None:
        raise WbemError.of(
            HResult.WBEM_E_INVALID_METHOD,
            f"ExecMethod: class {cls.name} has no method {name!r}",
        )
    return method


def out_parameters_class(cls: CIMClass, method: CIMMethod) -> CIMClass:
    """The ``__PARAMETERS`` class of a method's outputs (ReturnValue first)."""
    props: NocaseDict[CIMProperty] = NocaseDict()
    props["ReturnValue"] = CIMProperty("ReturnValue", method.return_type)
    for p in method.parameters.values():
        if p.is_out:
            props[p.name] = CIMProperty(
                p.name,
                p.type,
                p.is_array,
                reference_class=p.reference_class,
                embedded_class=p.embedded_class,
            )
    return CIMClass("__PARAMETERS", None, props, namespace=cls.namespace)


def _in_values(cls: CIMClass, method: CIMMethod, in_params: Any) -> dict[str, Any]:
    if in_params is None:
        return {}
    if isinstance(in_params, CIMInstance):
        given = in_params.values_set()
    elif isinstance(in_params, dict):
        given = in_params
    else:
        raise InvalidParameterError(
            f"ExecMethod {cls.name}.{method.name}: in-parameters must be a dict or an "
            f"instance, got {type(in_params).__name__}"
        )
    out: dict[str, Any] = {}
    for name, value in given.items():
        param = method.parameters.get(name)
        if param is None or not param.is_in:
            raise WbemError.of(
                HResult.WBEM_E_INVALID_METHOD_PARAMETERS,
                f"ExecMethod {cls.name}.{method.name}: {name!r} is not an in-parameter",
            )
        prop = CIMProperty(
            param.name,
            param.type,
            param.is_array,
            reference_class=param.reference_class,
        )
        try:
            out[param.name] = coerce_property(
                prop, value, f"{method.name}({param.name})"
            )
        except WbemError as exc:
            raise WbemError.of(
                HResult.WBEM_E_INVALID_METHOD_PARAMETERS, exc.message
            ) from exc
    return out


def exec_method(
    cls: CIMClass,
    path: ObjectPath,
    method_name: str,
    in_params: Any,
    provider: Any,
    ctx: Any,
) -> CIMInstance:
    method = _find(cls, method_name)
    if (
        method.qualifiers.get("disabled") is not None
        and method.qualifiers["disabled"].value
    ):
        raise WbemError.of(
            HResult.WBEM_E_METHOD_DISABLED, f"{cls.name}.{method.name} is disabled"
        )
    if path.is_class and not method.is_static:
        raise InvalidParameterError(
            f"ExecMethod: {cls.name}.{method.name} is not static; call it on an instance path"
        )
    values = _in_values(cls, method, in_params)
    if provider is None or not callable(getattr(provider, "invoke_method", None)):
        raise WbemError.of(
            HResult.WBEM_E_METHOD_NOT_IMPLEMENTED,
            f"{cls.name}.{method.name} has no method provider",
        )
    result = call_provider(
        provider, "invoke_method", cls, ctx, path, method.name, values
    )
    out_cls = out_parameters_class(cls, method)
    if isinstance(result, CIMInstance):
        result = result.values_set()
    if not isinstance(result, dict):
        raise ProviderError(
            f"method provider of {cls.name}.{method.name} returned "
            f"{type(result).__name__}, expected a dict with ReturnValue"
        )
    out = CIMInstance(out_cls, namespace=cls.namespace)
    for name, value in result.items():
        if name not in out_cls.properties:
            raise ProviderError(
                f"method provider of {cls.name}.{method.name} returned unknown "
                f"out-parameter {name!r}"
            )
        try:
            out[name] = value
        except WbemError as exc:
            raise ProviderError(
                f"method provider of {cls.name}.{method.name}: {exc.message}"
            ) from exc
    return out
