"""The *remote source*: a WBEM server reached over CIM-XML/HTTP(S), shaped like
the embedded object manager so ``Services`` runs unchanged over it.

Owns ``RemoteManager`` (the methods ``Services``' operation closures call on
an ``ObjectManager``: get/put/delete of instances and classes, enumerations,
queries, associations, methods, qualifiers, namespaces) and
``connect_remote``. ``Services`` wraps it exactly as it wraps the local
manager (duck typing: the same method names and signatures), so every call
mode — sync, semisync, async with sinks, ``cancel_async_call``, asyncio — is
the one call engine over this source (design.md "one call engine").
Imports protocol, errors, model, manager (``check_flags`` only) and the
sibling HTTP module; never server.

Rule 1: enumerations are lazy iterators over pull operations
        (Open… then Pull… pages), falling back to the classic operation
        (EnumerateInstances, ExecQuery, Associators, References; streamed and
        parsed as bytes arrive) when the server answers CIM_ERR_NOT_SUPPORTED;
        the fallback is remembered per operation for the connection.
Rule 2: closing an enumeration early (generator close = engine cancel =
        ``cancel_async_call``) sends CloseEnumeration for an open pull
        context, or drops a streamed response (the server sees the
        disconnect); either way the server closes the provider.
Rule 3: an enumeration called with an engine context (``ctx``) never blocks
        when created (the engine opens sources on its own thread): the first
        request happens at the first ``next``; called without one (the
        synchronous API) queries and associations send their first request at
        once, so errors raise at the call, as embedded.
Rule 4: errors: a CIM status becomes the WbemError of spec §11.3 (the exact
        WMI code when openwmi's server named it); transport loss becomes one
        WBEM_E_TRANSPORT_FAILURE (``_remote_http`` Rule 1).
Rule 5: embedded-only features (``register_provider``, MOF compilation,
        ``explain``, the embedded event manager, ``repository``) raise
        ``NotSupportedError`` saying so. Event subscriptions themselves work
        remotely through CIM indications (``_remote_events``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..constants import (
    WBEM_FLAG_CREATE_ONLY,
    WBEM_FLAG_DIRECT_READ,
    WBEM_FLAG_SHALLOW,
    WBEM_FLAG_UPDATE_ONLY,
)
from ..errors import (
    AlreadyExistsError,
    InvalidClassError,
    InvalidNamespaceError,
    InvalidObjectPathError,
    InvalidParameterError,
    NotFoundError,
    NotSupportedError,
    TransportError,
    WbemError,
)
from ..manager import check_flags
from ..model import (
    CIMClass,
    CIMInstance,
    CIMType,
    ObjectPath,
    QualifierDeclaration,
    coerce_property,
    type_of_value,
)
from ..protocol import ProtocolError, paramvalue_xml
from ..protocol._client import (
    ResponseParser,
    error_from_status,
    imethodcall,
    iparam_bool,
    iparam_class,
    iparam_classname,
    iparam_instance,
    iparam_instancename,
    iparam_named_instance,
    iparam_object_name,
    iparam_qualifier_declaration,
    iparam_str,
    iparam_uint,
    methodcall,
    new_message_id,
    parse_whole_response,
)
from ._remote_http import HTTPTransport

__all__ = ["RemoteManager", "connect_remote"]

_NOT_SUPPORTED = 7
# what each streamed operation returns (DSP0200), so the parser gets no events
# for the elements nested in them
_RESULT_TAGS: dict[str, tuple[str, ...]] = {
    "EnumerateInstances": ("VALUE.NAMEDINSTANCE",),
    "EnumerateClasses": ("CLASS",),
    "ExecQuery": ("VALUE.OBJECTWITHPATH", "VALUE.OBJECT", "VALUE.OBJECTWITHLOCALPATH"),
    "Associators": ("VALUE.OBJECTWITHPATH",),
    "References": ("VALUE.OBJECTWITHPATH",),
    "OpenEnumerateInstances": ("VALUE.INSTANCEWITHPATH",),
    "OpenAssociatorInstances": ("VALUE.INSTANCEWITHPATH",),
    "OpenReferenceInstances": ("VALUE.INSTANCEWITHPATH",),
    "PullInstancesWithPath": ("VALUE.INSTANCEWITHPATH",),
    "OpenQueryInstances": ("INSTANCE",),
    "PullInstances": ("INSTANCE",),
}
_INTEROP_NAMESPACES = ("root/interop", "interop", "root/PG_InterOp")


def _embedded_only(what: str) -> NotSupportedError:
    return NotSupportedError(
        f"{what} needs the embedded object manager (openwmi.connect() without a "
        "URL); it is not available over a remote CIM-XML connection"
    )


def _normalize_ns(namespace: object) -> str:
    if not isinstance(namespace, str) or not namespace.strip("/\\"):
        raise InvalidNamespaceError(f"namespace {namespace!r} is not valid")
    ns = namespace.replace("\\", "/").strip("/")
    if "//" in ns:
        raise InvalidNamespaceError(f"namespace {namespace!r} has an empty segment")
    return ns


def _true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


@dataclass(frozen=True, slots=True)
class _Enum:
    """One enumeration: its pull form and its classic fallback."""

    namespace: str
    open_method: str
    open_params: list[str]
    pull_method: str
    classic_method: str
    classic_params: list[str]
    keep: Callable[[Any], bool] | None = field(default=None)


class RemoteManager:
    """A WBEM server behind the ``ObjectManager`` methods ``Services`` uses.

    Args:
        url: ``http(s)://host[:port]``.
        user, password: HTTP Basic credentials (None: none sent).
        verify: verify the server's TLS certificate (or a CA bundle path).
        timeout: seconds for each request (a float), or ``(connect,
            operation)``; None waits forever.
        first_page, page_size: MaxObjectCount of the Open and of each Pull.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        verify: bool | str = True,
        timeout: float | tuple[float, float] | None = 60.0,
        first_page: int = 100,
        page_size: int = 1000,
    ) -> None:
        self.transport = HTTPTransport(
            url, user=user, password=password, verify=verify, timeout=timeout
        )
        self.url = self.transport.url
        self.server = self.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        self.first_page = first_page
        self.page_size = page_size
        self._no_pull: set[str] = set()  # Open… methods the server lacks (Rule 1)
        self._classes: dict[tuple[str, str], CIMClass] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"<openwmi.RemoteManager {self.url}>"

    # --- embedded-only (Rule 5) -------------------------------------------------------
    @property
    def repository(self) -> Any:
        raise _embedded_only("the repository (MOF compilation, schema loading)")

    @property
    def queries(self) -> Any:
        raise _embedded_only("explain")

    @property
    def events(self) -> Any:
        raise _embedded_only(
            "the embedded event manager (remote subscriptions go through "
            "exec_notification_query[_async], delivered as CIM indications)"
        )

    @property
    def providers(self) -> Any:
        raise _embedded_only("the provider registry")

    def register_provider(self, namespace: str, classname: str, provider: Any) -> None:
        raise _embedded_only(
            "register_provider (register providers in the server process)"
        )

    def create_namespace(self, namespace: str) -> None:
        raise _embedded_only("create_namespace (put a __NAMESPACE instance instead)")

    # --- the wire -------------------------------------------------------------------
    def close(self) -> None:
        self._closed = True
        self.transport.close()

    def _call(
        self, method: str, namespace: str, params: list[str]
    ) -> tuple[list[Any], ResponseParser]:
        """One intrinsic call, whole response: (results, parser). Raises its error."""
        body = imethodcall(method, namespace, params, new_message_id())
        data = self.transport.post(method, namespace, body)
        try:
            objects, parser = parse_whole_response(
                data, namespace, _RESULT_TAGS.get(method)
            )
        except ProtocolError as exc:
            raise TransportError(
                f"{method}: the server's response is not valid CIM-XML: {exc.message}"
            ) from exc
        if parser.error is not None:
            raise error_from_status(*parser.error)
        return objects, parser

    def _one(self, method: str, namespace: str, params: list[str]) -> Any:
        objects, _ = self._call(method, namespace, params)
        return objects[0] if objects else None

    def _streamed(
        self, method: str, namespace: str, params: list[str]
    ) -> Iterator[Any]:
        """A classic enumeration, decoded while the response arrives."""
        body = imethodcall(method, namespace, params, new_message_id())
        parser = ResponseParser(namespace, _RESULT_TAGS.get(method))
        chunks = self.transport.chunks(method, namespace, body)
        try:
            try:
                for chunk in chunks:
                    yield from parser.feed(chunk)
                yield from parser.close()
            except ProtocolError as exc:
                raise TransportError(
                    f"{method}: the server's response is not valid CIM-XML: "
                    f"{exc.message}"
                ) from exc
        finally:
            chunks.close()
        if parser.error is not None:
            raise error_from_status(*parser.error)

    # --- enumerations (Rules 1-3) -------------------------------------------------------
    def _page(
        self, method: str, namespace: str, params: list[str]
    ) -> tuple[list[Any], bool, str | None]:
        objects, parser = self._call(method, namespace, params)
        eos = _true(parser.out_params.get("EndOfSequence"))
        token = parser.out_params.get("EnumerationContext")
        if not eos and not isinstance(token, str):
            raise TransportError(
                f"{method}: the server sent no EnumerationContext and no EndOfSequence"
            )
        return objects, eos, token if isinstance(token, str) else None

    def _open(self, spec: _Enum, ctx: Any) -> Iterator[Any]:
        """Send the first request now; the rest is a lazy iterator."""
        if spec.open_method not in self._no_pull:
            try:
                page = self._page(
                    spec.open_method,
                    spec.namespace,
                    [*spec.open_params, iparam_uint("MaxObjectCount", self.first_page)],
                )
            except WbemError as exc:
                if exc.details.get("cim_status") != _NOT_SUPPORTED:
                    raise
                self._no_pull.add(spec.open_method)
            else:
                return self._filtered(self._pulled(spec, *page, ctx), spec.keep)
        return self._filtered(
            self._streamed(spec.classic_method, spec.namespace, spec.classic_params),
            spec.keep,
        )

    def _lazy(self, spec: _Enum, ctx: Any) -> Iterator[Any]:
        yield from self._open(spec, ctx)

    def _enumerate(self, spec: _Enum, ctx: Any, *, eager: bool) -> Iterator[Any]:
        return self._open(spec, ctx) if eager else self._lazy(spec, ctx)

    @staticmethod
    def _filtered(
        it: Iterator[Any], keep: Callable[[Any], bool] | None
    ) -> Iterator[Any]:
        if keep is None:
            return it
        return _keep(it, keep)

    def _pulled(
        self,
        spec: _Enum,
        objects: list[Any],
        eos: bool,
        token: str | None,
        ctx: Any,
    ) -> Iterator[Any]:
        ns = spec.namespace
        finished = eos
        try:
            yield from objects
            while not finished:
                if ctx is not None:
                    if ctx.cancelled:
                        return
                    ctx.flush()  # deliver what we have before waiting on the wire
                try:
                    objects, finished, new_token = self._page(
                        spec.pull_method,
                        ns,
                        [
                            iparam_str("EnumerationContext", token or ""),
                            iparam_uint("MaxObjectCount", self.page_size),
                        ],
                    )
                except WbemError:
                    finished = True  # the server closed it (or the wire is gone)
                    raise
                token = new_token or token
                yield from objects
        finally:
            if not finished and token is not None:
                self._close_enumeration(ns, token)

    def _close_enumeration(self, namespace: str, token: str) -> None:
        # a failed close changes nothing for the caller: the context expires
        with contextlib.suppress(WbemError):
            self._call(
                "CloseEnumeration",
                namespace,
                [iparam_str("EnumerationContext", token)],
            )

    # --- namespaces ------------------------------------------------------------------
    def check_namespace(self, namespace: object) -> str:
        """The namespace in canonical spelling (checked on the server by
        ``probe_namespace``, not here: this is called on every operation)."""
        return _normalize_ns(namespace)

    def probe_namespace(self, namespace: str) -> str:
        """Check that ``namespace`` exists on the server (and that we may use it).

        Raises:
            InvalidNamespaceError: the server does not know it.
            AccessDeniedError: the credentials are refused.
            TransportError: the server cannot be reached.
        """
        ns = _normalize_ns(namespace)
        try:
            self._call("GetQualifier", ns, [iparam_str("QualifierName", "Key")])
        except (NotFoundError, NotSupportedError):
            pass
        except WbemError as exc:
            if exc.details.get("cim_status") in (1, 4, 6, 7):
                return ns  # the namespace answered; GetQualifier itself failed
            raise
        return ns

    def open_namespace(self, namespace: str, name: str, flags: int = 0) -> str:
        check_flags("OpenNamespace", flags)
        if not name or not isinstance(name, str):
            raise InvalidParameterError("OpenNamespace: a namespace name is required")
        current = _normalize_ns(namespace)
        target = f"{current}/{name.replace(chr(92), '/').strip('/')}"
        return self.probe_namespace(target)

    def list_namespaces(self) -> list[str]:
        """Every namespace, from the interop namespace's CIM_Namespace instances."""
        last: WbemError | None = None
        for interop in _INTEROP_NAMESPACES:
            try:
                names = [
                    str(inst.get("Name"))
                    for inst in self._streamed(
                        "EnumerateInstances",
                        interop,
                        [iparam_classname("ClassName", "CIM_Namespace")],
                    )
                ]
            except (InvalidNamespaceError, InvalidClassError, NotFoundError) as exc:
                last = exc
                continue
            return sorted(names, key=str.lower)
        raise NotSupportedError(
            "the server has no interop namespace listing CIM_Namespace"
        ) from last

    # --- paths and classes --------------------------------------------------------------
    def parse_path(
        self, namespace: str, path: str | ObjectPath
    ) -> tuple[str, ObjectPath]:
        parsed = path if isinstance(path, ObjectPath) else ObjectPath.parse(path)
        return _normalize_ns(parsed.namespace or namespace), parsed

    def get_class(self, namespace: str, name: str) -> CIMClass:
        ns = _normalize_ns(namespace)
        cls = self._one(
            "GetClass",
            ns,
            [
                iparam_classname("ClassName", name),
                iparam_bool("LocalOnly", False),
                iparam_bool("IncludeQualifiers", True),
                iparam_bool("IncludeClassOrigin", True),
            ],
        )
        if not isinstance(cls, CIMClass):
            raise TransportError(f"GetClass {name}: the server returned no class")
        cls.namespace = ns
        cls.server = self.server
        return cls

    def find_class(self, namespace: str, name: str) -> CIMClass | None:
        """The class (cached per connection) or None when the server has none."""
        ns = _normalize_ns(namespace)
        key = (ns.lower(), name.lower())
        cls = self._classes.get(key)
        if cls is None:
            try:
                cls = self.get_class(ns, name)
            except (NotFoundError, InvalidClassError):
                return None
            cls.freeze_facts()
            self._classes[key] = cls
        return cls

    def _class(self, namespace: str, name: str) -> CIMClass:
        cls = self.find_class(namespace, name)
        if cls is None:
            raise InvalidClassError(f"class {name!r} does not exist in {namespace}")
        return cls

    def _forget(self, namespace: str, name: str) -> None:
        self._classes.pop((_normalize_ns(namespace).lower(), name.lower()), None)

    def _key_names(self, namespace: str, path: ObjectPath) -> list[str] | None:
        """Key names for an unnamed key (``Cls="v"``), from the class."""
        if any(not k for k, _ in path.keybindings):
            cls = self.find_class(namespace, path.classname)
            return list(cls.key_names) if cls is not None else None
        return None

    def put_class(self, namespace: str, cls: CIMClass, flags: int = 0) -> None:
        check_flags("PutClass", flags)
        if not isinstance(cls, CIMClass):
            raise InvalidParameterError("PutClass needs a CIMClass")
        ns = _normalize_ns(namespace)
        self._forget(ns, cls.name)
        if flags & WBEM_FLAG_UPDATE_ONLY:
            self._call("ModifyClass", ns, [iparam_class("ModifiedClass", cls)])
            return
        try:
            self._call("CreateClass", ns, [iparam_class("NewClass", cls)])
        except AlreadyExistsError:
            if flags & WBEM_FLAG_CREATE_ONLY:
                raise
            self._call("ModifyClass", ns, [iparam_class("ModifiedClass", cls)])

    def delete_class(self, namespace: str, name: str, flags: int = 0) -> None:
        check_flags("DeleteClass", flags)
        ns = _normalize_ns(namespace)
        self._forget(ns, name)
        self._call("DeleteClass", ns, [iparam_classname("ClassName", name)])

    def create_class_enum(
        self, namespace: str, superclass: str | None = None, flags: int = 0
    ) -> Iterator[CIMClass]:
        """Classes below ``superclass`` (lazy: EnumerateClasses is streamed)."""
        check_flags("CreateClassEnum", flags)
        ns = _normalize_ns(namespace)
        if superclass and self.find_class(ns, superclass) is None:
            raise InvalidClassError(
                f"CreateClassEnum: class {superclass!r} does not exist in {ns}"
            )
        params = [
            iparam_bool("DeepInheritance", not flags & WBEM_FLAG_SHALLOW),
            iparam_bool("LocalOnly", False),
            iparam_bool("IncludeQualifiers", True),
            iparam_bool("IncludeClassOrigin", True),
        ]
        if superclass:
            params.insert(0, iparam_classname("ClassName", superclass))
        return self._streamed("EnumerateClasses", ns, params)

    # --- qualifier declarations -----------------------------------------------------------
    def get_qualifier(self, namespace: str, name: str) -> QualifierDeclaration:
        decl = self._one(
            "GetQualifier",
            _normalize_ns(namespace),
            [iparam_str("QualifierName", name)],
        )
        if not isinstance(decl, QualifierDeclaration):
            raise NotFoundError(f"qualifier {name!r} is not declared in {namespace}")
        return decl

    def list_qualifiers(self, namespace: str) -> list[QualifierDeclaration]:
        objects, _ = self._call("EnumerateQualifiers", _normalize_ns(namespace), [])
        return [d for d in objects if isinstance(d, QualifierDeclaration)]

    def put_qualifier(self, namespace: str, decl: QualifierDeclaration) -> None:
        if not isinstance(decl, QualifierDeclaration):
            raise InvalidParameterError("PutQualifier needs a QualifierDeclaration")
        self._call(
            "SetQualifier",
            _normalize_ns(namespace),
            [iparam_qualifier_declaration("QualifierDeclaration", decl)],
        )

    def delete_qualifier(self, namespace: str, name: str) -> None:
        self._call(
            "DeleteQualifier",
            _normalize_ns(namespace),
            [iparam_str("QualifierName", name)],
        )

    # --- objects ------------------------------------------------------------------------
    def get_object(
        self,
        namespace: str,
        path: str | ObjectPath | None,
        flags: int = 0,
        ctx: Any = None,
    ) -> Any:
        """GetObject: GetClass for a class path, GetInstance for an instance path."""
        check_flags("GetObject", flags)
        if path is None or (isinstance(path, str) and not path.strip()):
            return CIMClass("", namespace=_normalize_ns(namespace))
        ns, parsed = self.parse_path(namespace, path)
        if parsed.is_class:
            return self.get_class(ns, parsed.classname)
        return self.get_instance(ns, parsed, ctx)

    def get_instance(
        self, namespace: str, path: str | ObjectPath, ctx: Any = None
    ) -> CIMInstance:
        ns, parsed = self.parse_path(namespace, path)
        if not parsed.is_instance:
            raise InvalidObjectPathError(f"{parsed.relpath} names a class")
        inst = self._one(
            "GetInstance",
            ns,
            [
                iparam_instancename(
                    "InstanceName", parsed, self._key_names(ns, parsed)
                ),
                iparam_bool("LocalOnly", False),
                iparam_bool("IncludeQualifiers", False),
            ],
        )
        if not isinstance(inst, CIMInstance):
            raise NotFoundError(f"{parsed.relpath} not found in {ns}")
        object.__setattr__(inst, "_path", parsed.with_namespace(ns, self.server))
        inst.namespace = ns
        inst.server = self.server
        return inst

    def spawn_instance(
        self, namespace: str, classname: str, **values: Any
    ) -> CIMInstance:
        """A new instance of the server's class (fetched once per connection)."""
        ns = _normalize_ns(namespace)
        cls = self._class(ns, classname)
        props = cls.properties
        out = dict(cls.facts.defaults)
        for name, value in values.items():
            prop = props.get(name)
            if prop is None:
                raise NotFoundError(
                    f"property {name!r} is not declared by class {cls.name}"
                )
            out[prop.name] = coerce_property(prop, value, f"{cls.name}.{prop.name}")
        return CIMInstance.trusted(cls, out, namespace=ns)

    def _path_of(self, namespace: str, inst: CIMInstance) -> ObjectPath:
        path = inst.path
        if path is not None:
            return path
        cls = self._class(namespace, inst.classname)
        keys = tuple((k, inst.get(k)) for k in cls.key_names)
        if any(v is None for _, v in keys):
            raise InvalidParameterError(
                f"PutInstance: key {', '.join(k for k, v in keys if v is None)} "
                f"of {cls.name} is NULL"
            )
        return ObjectPath(cls.name, keys, singleton=not keys)

    def put_instance(
        self, namespace: str, inst: CIMInstance, flags: int = 0, ctx: Any = None
    ) -> str:
        """CreateInstance, or ModifyInstance when it exists (WMI PutInstance);
        returns the relative path."""
        check_flags("PutInstance", flags)
        if not isinstance(inst, CIMInstance):
            raise InvalidParameterError(
                f"PutInstance needs a CIMInstance, got {type(inst).__name__}"
            )
        ns = _normalize_ns(namespace)
        if not flags & WBEM_FLAG_UPDATE_ONLY:
            try:
                name = self._one(
                    "CreateInstance", ns, [iparam_instance("NewInstance", inst)]
                )
            except AlreadyExistsError:
                if flags & WBEM_FLAG_CREATE_ONLY:
                    raise
            else:
                if isinstance(name, ObjectPath):
                    return name.relpath
                return self._path_of(ns, inst).relpath
        path = self._path_of(ns, inst)
        self._call(
            "ModifyInstance",
            ns,
            [
                iparam_named_instance(
                    "ModifiedInstance", inst, path, self._key_names(ns, path)
                )
            ],
        )
        return path.relpath

    def delete_instance(
        self,
        namespace: str,
        path: str | ObjectPath | None,
        flags: int = 0,
        ctx: Any = None,
    ) -> None:
        check_flags("DeleteInstance", flags)
        if path is None or (isinstance(path, str) and not path.strip()):
            raise InvalidParameterError("DeleteInstance: an object path is required")
        ns, parsed = self.parse_path(namespace, path)
        if not parsed.is_instance:
            raise InvalidObjectPathError(
                f"DeleteInstance: {parsed.relpath} names a class, not an instance"
            )
        self._call(
            "DeleteInstance",
            ns,
            [iparam_instancename("InstanceName", parsed, self._key_names(ns, parsed))],
        )

    def create_instance_enum(
        self, namespace: str, classname: str, flags: int = 0, ctx: Any = None
    ) -> Iterator[CIMInstance]:
        """Instances of ``classname`` (and subclasses unless SHALLOW/DIRECT_READ).

        Without an engine context the class is checked first (cached
        GetClass), so an unknown class raises at the call (Rule 3).
        """
        check_flags("CreateInstanceEnum", flags)
        if not classname or not isinstance(classname, str):
            raise InvalidParameterError("CreateInstanceEnum: a class name is required")
        ns = _normalize_ns(namespace)
        if ctx is None:
            self._class(ns, classname)
        shallow = bool(flags & (WBEM_FLAG_SHALLOW | WBEM_FLAG_DIRECT_READ))
        low = classname.lower()
        # WMI SHALLOW = this class only; DSP0200 DeepInheritance=FALSE still
        # returns subclass instances (with fewer properties): filter them out
        keep = (lambda inst: inst.classname.lower() == low) if shallow else None
        spec = _Enum(
            ns,
            "OpenEnumerateInstances",
            [
                iparam_classname("ClassName", classname),
                iparam_bool("DeepInheritance", not shallow),
            ],
            "PullInstancesWithPath",
            "EnumerateInstances",
            [
                iparam_classname("ClassName", classname),
                iparam_bool("DeepInheritance", not shallow),
                iparam_bool("LocalOnly", False),
                iparam_bool("IncludeQualifiers", False),
            ],
            keep,
        )
        return self._enumerate(spec, ctx, eager=False)

    def exec_query(
        self,
        namespace: str,
        query: Any,
        language: Any = "WQL",
        flags: int = 0,
        ctx: Any = None,
    ) -> Iterator[Any]:
        """ExecQuery over OpenQueryInstances/PullInstances (ExecQuery fallback)."""
        check_flags("ExecQuery", flags)
        if language is None or (isinstance(language, str) and not language.strip()):
            raise InvalidParameterError("ExecQuery: the query language is NULL")
        if not isinstance(query, str) or not query.strip():
            raise InvalidParameterError("ExecQuery: the query is NULL or empty")
        ns = _normalize_ns(namespace)
        spec = _Enum(
            ns,
            "OpenQueryInstances",
            [
                iparam_str("FilterQueryLanguage", str(language)),
                iparam_str("FilterQuery", query),
                iparam_bool("ReturnQueryResultClass", False),
            ],
            "PullInstances",
            "ExecQuery",
            [
                iparam_str("QueryLanguage", str(language)),
                iparam_str("Query", query),
            ],
        )
        return self._enumerate(spec, ctx, eager=ctx is None)

    # --- associations -------------------------------------------------------------------
    def _assoc(
        self,
        namespace: str,
        path: str | ObjectPath,
        *,
        references: bool,
        filters: dict[str, str | None],
    ) -> Iterator[CIMInstance]:
        ns, source = self.parse_path(namespace, path)
        if not source.is_instance:
            raise InvalidObjectPathError(
                f"{source.relpath} names a class, not an instance"
            )
        keys = self._key_names(ns, source)
        extra = [
            iparam_str(k, v) if k in ("Role", "ResultRole") else iparam_classname(k, v)
            for k, v in filters.items()
            if v
        ]
        name = "Reference" if references else "Associator"
        spec = _Enum(
            ns,
            f"Open{name}Instances",
            [iparam_instancename("InstanceName", source, keys), *extra],
            "PullInstancesWithPath",
            f"{name}s",
            [
                iparam_object_name("ObjectName", source, keys),
                *extra,
                iparam_bool("IncludeQualifiers", False),
            ],
        )
        return self._enumerate(spec, None, eager=True)

    def references(
        self,
        namespace: str,
        path: str | ObjectPath,
        *,
        result_class: str | None = None,
        role: str | None = None,
    ) -> Iterator[CIMInstance]:
        return self._assoc(
            namespace,
            path,
            references=True,
            filters={"ResultClass": result_class, "Role": role},
        )

    def associators(
        self,
        namespace: str,
        path: str | ObjectPath,
        *,
        assoc_class: str | None = None,
        result_class: str | None = None,
        role: str | None = None,
        result_role: str | None = None,
    ) -> Iterator[CIMInstance]:
        return self._assoc(
            namespace,
            path,
            references=False,
            filters={
                "AssocClass": assoc_class,
                "ResultClass": result_class,
                "Role": role,
                "ResultRole": result_role,
            },
        )

    # --- methods ------------------------------------------------------------------------
    def exec_method(
        self,
        namespace: str,
        path: str | ObjectPath,
        method: str,
        in_params: Any = None,
        flags: int = 0,
        ctx: Any = None,
    ) -> CIMInstance:
        """An extrinsic call; the out-parameters as a loose ``__PARAMETERS``
        instance (``ReturnValue`` and every out-parameter).

        In-parameters are typed from the method's declaration (fetched once).
        """
        check_flags("ExecMethod", flags)
        ns, parsed = self.parse_path(namespace, path)
        cls = self.find_class(ns, parsed.classname)
        decl = cls.methods.get(method) if cls is not None else None
        items: list[tuple[str, Any]]
        if in_params is None:
            items = []
        elif isinstance(in_params, CIMInstance):
            items = list(in_params.values_set().items())
        elif isinstance(in_params, dict):
            items = list(in_params.items())
        else:
            raise InvalidParameterError(
                "ExecMethod: in-parameters must be a dict or a CIMInstance"
            )
        params = []
        for name, value in items:
            p = decl.parameters.get(name) if decl is not None else None
            if p is not None:
                params.append(
                    paramvalue_xml(p.name, value, p.type, is_array=p.is_array)
                )
            else:
                t = (
                    CIMType.REFERENCE
                    if isinstance(value, ObjectPath)
                    else type_of_value(value)
                )
                params.append(
                    paramvalue_xml(name, value, t, is_array=isinstance(value, list))
                )
        mname = decl.name if decl is not None else method
        keys = list(cls.key_names) if cls is not None and parsed.is_instance else None
        body = methodcall(mname, parsed, ns, params, new_message_id(), keys)
        data = self.transport.post(mname, f"{ns}:{parsed.relpath}", body)
        try:
            _, parser = parse_whole_response(data, ns)
        except ProtocolError as exc:
            raise TransportError(
                f"{mname}: the server's response is not valid CIM-XML: {exc.message}"
            ) from exc
        if parser.error is not None:
            raise error_from_status(*parser.error)
        out: dict[str, Any] = {"ReturnValue": parser.return_value}
        out.update(parser.out_params)
        result = CIMInstance("__PARAMETERS", namespace=ns)
        object.__setattr__(result, "_values", out)
        return result


def _keep(it: Iterator[Any], keep: Callable[[Any], bool]) -> Iterator[Any]:
    try:
        for obj in it:
            if keep(obj):
                yield obj
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


def connect_remote(
    url: str,
    *,
    namespace: str,
    user: str | None,
    password: str | None,
    verify: bool | str,
    timeout: float | tuple[float, float] | None,
) -> RemoteManager:
    """A ``RemoteManager`` whose namespace was checked on the server.

    Raises:
        InvalidParameterError: not an http(s) URL.
        InvalidNamespaceError: the server has no such namespace.
        AccessDeniedError: the credentials are refused.
        TransportError: the server cannot be reached.
    """
    manager = RemoteManager(
        url, user=user, password=password, verify=verify, timeout=timeout
    )
    try:
        manager.probe_namespace(namespace)
    except BaseException:
        manager.close()
        raise
    return manager
