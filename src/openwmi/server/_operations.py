"""DSP0200 operations over the object manager: one coroutine per intrinsic
operation, the pull operations, and extrinsic method calls.

Owns the mapping from a decoded request (``protocol.IntrinsicCall`` /
``protocol.MethodCall``) to ``ObjectManager`` calls and from their results to
response text: either a whole ``str`` (the children of (I)METHODRESPONSE) or a
``Streamed`` cursor that the app writes chunk by chunk. Manager calls run on
worker threads (the manager is synchronous); enumerations are never
materialised. Imports protocol, manager, model, errors; never client or engine.

Rule 1: option defaults are DSP0200's (GetClass LocalOnly/IncludeQualifiers
        TRUE; instance IncludeQualifiers FALSE; DeepInheritance TRUE for
        instances, FALSE for classes; IncludeClassOrigin FALSE).
Rule 2: EnumerateInstances with DeepInheritance FALSE returns subclass
        instances with only the properties of the requested class.
Rule 3: the right a call needs (read, write, execute, admin) is decided here
        (``required_right``), checked by the app before the call runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..constants import (
    WBEM_FLAG_CREATE_ONLY,
    WBEM_FLAG_SHALLOW,
    WBEM_FLAG_UPDATE_ONLY,
)
from ..errors import (
    InvalidParameterError,
    NotFoundError,
    NotSupportedError,
    WbemError,
)
from ..model import (
    CIMClass,
    CIMInstance,
    CIMType,
    ObjectPath,
)
from ..protocol import (
    InstanceEncoder,
    IntrinsicCall,
    MethodCall,
    bool_param,
    class_xml,
    classname_xml,
    coerce_text,
    instancename_xml,
    int_param,
    paramvalue_xml,
    qualifier_declaration_xml,
    str_list_param,
    str_param,
    value_xml,
)
from ..protocol._encode import esc, local_namespace_xml
from ._contexts import Cursor, EnumerationContexts, ProviderContext, cim_error

if TYPE_CHECKING:
    from ..manager import ObjectManager

__all__ = ["Operations", "Streamed", "required_right"]

T = TypeVar("T")

_WRITE = frozenset(
    {
        "createclass",
        "modifyclass",
        "deleteclass",
        "createinstance",
        "modifyinstance",
        "deleteinstance",
        "setproperty",
        "setqualifier",
        "deletequalifier",
    }
)
_NAMESPACE_CLASSES = frozenset({"cim_namespace", "__namespace"})


def required_right(call: IntrinsicCall | MethodCall) -> str:
    """The namespace permission a call needs (Rule 3)."""
    if isinstance(call, MethodCall):
        return "execute"
    name = call.method.lower()
    if name in _WRITE:
        target = call.params.get("NewInstance") or call.params.get("InstanceName")
        classname = (
            target.classname if isinstance(target, (CIMInstance, ObjectPath)) else None
        )
        if classname and classname.lower() in _NAMESPACE_CLASSES:
            return "admin"
        return "write"
    return "read"


@dataclass(eq=False)
class Streamed:
    """A result written while the cursor produces it, inside ``prefix``/``suffix``."""

    cursor: Cursor
    encode: Callable[[Any], str]
    prefix: str = "<IRETURNVALUE>"
    suffix: str = "</IRETURNVALUE>"


Reply = str | Streamed


def _ret(inner: str) -> str:
    return f"<IRETURNVALUE>{inner}</IRETURNVALUE>"


def _class_path(host: str, ns: str, name: str) -> str:
    return (
        f"<CLASSPATH><NAMESPACEPATH><HOST>{esc(host)}</HOST>{local_namespace_xml(ns)}"
        f"</NAMESPACEPATH>{classname_xml(name)}</CLASSPATH>"
    )


class Operations:
    """The operations of one server over one object manager."""

    def __init__(
        self,
        manager: ObjectManager,
        contexts: EnumerationContexts,
        *,
        host: str | None = None,
    ) -> None:
        self.manager = manager
        self.contexts = contexts
        self.host = host or manager.server

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kw)

    # --- dispatch ------------------------------------------------------------------------
    async def intrinsic(self, call: IntrinsicCall, user: str | None) -> Reply:
        handler = getattr(self, f"op_{call.method.lower()}", None)
        if handler is None:
            raise cim_error(7, f"operation {call.method} is not supported")
        reply: Reply = await handler(call, user)
        return reply

    # --- helpers -----------------------------------------------------------------------
    def _encoder(
        self, call: IntrinsicCall, property_list: list[str] | None = None
    ) -> InstanceEncoder:
        return InstanceEncoder(
            include_class_origin=bool_param(call.params, "IncludeClassOrigin", False),
            property_list=property_list,
            host=self.host,
            namespace=call.namespace,
        )

    def _classname(self, call: IntrinsicCall, name: str = "ClassName") -> str:
        value = str_param(call.params, name)
        if not value:
            raise InvalidParameterError(f"{call.method}: {name} is required")
        return value

    def _instancename(
        self, call: IntrinsicCall, name: str = "InstanceName"
    ) -> ObjectPath:
        value = call.params.get(name)
        if not isinstance(value, ObjectPath) or not value.is_instance:
            raise InvalidParameterError(
                f"{call.method}: {name} must be an instance name"
            )
        return value.with_namespace(value.namespace or call.namespace)

    def _object_name(self, call: IntrinsicCall) -> ObjectPath:
        value = call.params.get("ObjectName")
        if isinstance(value, str):
            value = ObjectPath.parse(value)
        if not isinstance(value, ObjectPath):
            raise InvalidParameterError(f"{call.method}: ObjectName is required")
        return value

    def _object_with_path(self, enc: InstanceEncoder) -> Callable[[Any], str]:
        def encode(obj: Any) -> str:
            if isinstance(obj, CIMClass):
                ns = obj.namespace or enc.namespace
                return (
                    f"<VALUE.OBJECTWITHPATH>{_class_path(obj.server or self.host, ns, obj.name)}"
                    f"{class_xml(obj, include_qualifiers=True)}</VALUE.OBJECTWITHPATH>"
                )
            return enc.object_with_path(obj)

        return encode

    # --- classes -------------------------------------------------------------------------
    async def op_getclass(self, call: IntrinsicCall, user: str | None) -> Reply:
        name = self._classname(call)
        cls = await self._run(self.manager.get_class, call.namespace, name)
        return _ret(
            class_xml(
                cls,
                local_only=bool_param(call.params, "LocalOnly", True),
                include_qualifiers=bool_param(call.params, "IncludeQualifiers", True),
                include_class_origin=bool_param(
                    call.params, "IncludeClassOrigin", False
                ),
                property_list=str_list_param(call.params, "PropertyList"),
            )
        )

    async def _class_enum(self, call: IntrinsicCall) -> Cursor:
        base = str_param(call.params, "ClassName") or None
        deep = bool_param(call.params, "DeepInheritance", False)
        it = await self._run(
            self.manager.create_class_enum,
            call.namespace,
            base,
            0 if deep else WBEM_FLAG_SHALLOW,
        )
        return Cursor(it)

    async def op_enumerateclasses(self, call: IntrinsicCall, user: str | None) -> Reply:
        cursor = await self._class_enum(call)
        local_only = bool_param(call.params, "LocalOnly", True)
        iq = bool_param(call.params, "IncludeQualifiers", True)
        ico = bool_param(call.params, "IncludeClassOrigin", False)

        def encode(cls: CIMClass) -> str:
            return class_xml(
                cls,
                local_only=local_only,
                include_qualifiers=iq,
                include_class_origin=ico,
            )

        return Streamed(cursor, encode)

    async def op_enumerateclassnames(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        cursor = await self._class_enum(call)
        return Streamed(cursor, lambda cls: classname_xml(cls.name))

    def _put_class(self, ns: str, cls: CIMClass, flags: int) -> None:
        try:
            self.manager.put_class(ns, cls, flags)
        except NotFoundError as exc:
            if cls.superclass and "superclass" in exc.message:
                raise cim_error(10, exc.message) from exc
            raise

    async def op_createclass(self, call: IntrinsicCall, user: str | None) -> Reply:
        cls = call.params.get("NewClass")
        if not isinstance(cls, CIMClass):
            raise InvalidParameterError("CreateClass: NewClass must be a CLASS")
        await self._run(self._put_class, call.namespace, cls, WBEM_FLAG_CREATE_ONLY)
        return ""

    async def op_modifyclass(self, call: IntrinsicCall, user: str | None) -> Reply:
        cls = call.params.get("ModifiedClass")
        if not isinstance(cls, CIMClass):
            raise InvalidParameterError("ModifyClass: ModifiedClass must be a CLASS")
        await self._run(self._put_class, call.namespace, cls, WBEM_FLAG_UPDATE_ONLY)
        return ""

    async def op_deleteclass(self, call: IntrinsicCall, user: str | None) -> Reply:
        name = self._classname(call)
        await self._run(self.manager.delete_class, call.namespace, name)
        return ""

    # --- instances -----------------------------------------------------------------------
    async def op_getinstance(self, call: IntrinsicCall, user: str | None) -> Reply:
        path = self._instancename(call)
        inst = await self._run(
            self.manager.get_instance,
            call.namespace,
            path,
            ProviderContext(user, call.namespace),
        )
        enc = self._encoder(call, str_list_param(call.params, "PropertyList"))
        return _ret(enc.instance(inst))

    def _instance_enum(
        self, call: IntrinsicCall, user: str | None, classname: str, deep: bool
    ) -> tuple[Cursor, list[str] | None]:
        """The enumeration of ``classname`` and the effective property list (Rule 2)."""
        ctx = ProviderContext(user, call.namespace)
        it = self.manager.create_instance_enum(call.namespace, classname, 0, ctx)
        plist = str_list_param(call.params, "PropertyList")
        if not deep:
            cls = self.manager.find_class(
                self.manager.check_namespace(call.namespace), classname
            )
            own = list(cls.properties) if cls is not None else []
            if plist is not None:
                low = {p.lower() for p in plist}
                own = [p for p in own if p.lower() in low]
            plist = own
        return Cursor(it, ctx), plist

    async def op_enumerateinstances(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        name = self._classname(call)
        deep = bool_param(call.params, "DeepInheritance", True)
        cursor, plist = await self._run(self._instance_enum, call, user, name, deep)
        return Streamed(cursor, self._encoder(call, plist).named_instance)

    async def op_enumerateinstancenames(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        name = self._classname(call)
        cursor, _ = await self._run(self._instance_enum, call, user, name, True)
        return Streamed(cursor, self._encoder(call).instancename)

    def _create(self, ns: str, inst: CIMInstance, user: str | None) -> str:
        rel = self.manager.put_instance(
            ns, inst, WBEM_FLAG_CREATE_ONLY, ProviderContext(user, ns)
        )
        path = ObjectPath.parse(rel)
        cls = self.manager.find_class(self.manager.check_namespace(ns), path.classname)
        if cls is not None:  # a REF key reads back from the text path as a string
            path = ObjectPath(
                path.classname,
                tuple(
                    (k, ObjectPath.parse(v))
                    if isinstance(v, str)
                    and k in cls.properties
                    and cls.properties[k].type is CIMType.REFERENCE
                    else (k, v)
                    for k, v in path.keybindings
                ),
                path.namespace,
                path.server,
                path.singleton,
            )
        return instancename_xml(path, cls.key_names if cls is not None else None)

    async def op_createinstance(self, call: IntrinsicCall, user: str | None) -> Reply:
        inst = call.params.get("NewInstance")
        if not isinstance(inst, CIMInstance):
            raise InvalidParameterError(
                "CreateInstance: NewInstance must be an INSTANCE"
            )
        return _ret(await self._run(self._create, call.namespace, inst, user))

    def _modify(
        self,
        ns: str,
        modified: CIMInstance,
        plist: list[str] | None,
        user: str | None,
    ) -> None:
        path = modified.path
        if path is None or not path.is_instance:
            raise InvalidParameterError("ModifyInstance: the instance needs its name")
        path = path.with_namespace(path.namespace or ns)
        ctx = ProviderContext(user, ns)
        current = self.manager.get_instance(ns, path, ctx)
        cls = current.cimclass
        new_values = modified.values_set() if plist is None else None
        names = list(modified.property_names()) if plist is None else list(plist)
        result = current.copy()
        for name in names:
            if cls is not None and name not in cls.properties:
                raise cim_error(
                    12, f"ModifyInstance: {cls.name} has no property {name!r}"
                )
            prop = cls.properties[name] if cls is not None else None
            if prop is not None and prop.is_key:
                continue  # keys come from the instance name
            value = (
                new_values.get(name)
                if new_values is not None
                else (modified.get(name, None))
            )
            if prop is not None:
                value = coerce_text(
                    prop.type,
                    value,
                    is_array=prop.is_array,
                    where=f"{cls.name}.{prop.name}",  # type: ignore[union-attr]  # prop implies cls
                )
            result[name] = value
        self.manager.put_instance(ns, result, WBEM_FLAG_UPDATE_ONLY, ctx)

    async def op_modifyinstance(self, call: IntrinsicCall, user: str | None) -> Reply:
        inst = call.params.get("ModifiedInstance")
        if not isinstance(inst, CIMInstance):
            raise InvalidParameterError(
                "ModifyInstance: ModifiedInstance must be a VALUE.NAMEDINSTANCE"
            )
        plist = str_list_param(call.params, "PropertyList")
        await self._run(self._modify, call.namespace, inst, plist, user)
        return ""

    async def op_deleteinstance(self, call: IntrinsicCall, user: str | None) -> Reply:
        path = self._instancename(call)
        await self._run(
            self.manager.delete_instance,
            call.namespace,
            path,
            0,
            ProviderContext(user, call.namespace),
        )
        return ""

    # --- properties ----------------------------------------------------------------------
    def _get_property(
        self, ns: str, path: ObjectPath, name: str, user: str | None
    ) -> str:
        inst = self.manager.get_instance(ns, path, ProviderContext(user, ns))
        cls = inst.cimclass
        if name not in inst or (cls is not None and name not in cls.properties):
            raise cim_error(12, f"{inst.classname} has no property {name!r}")
        prop = cls.properties[name] if cls is not None else None
        return value_xml(inst[name], prop.type if prop is not None else None)

    async def op_getproperty(self, call: IntrinsicCall, user: str | None) -> Reply:
        path = self._instancename(call)
        name = str_param(call.params, "PropertyName")
        if not name:
            raise InvalidParameterError("GetProperty: PropertyName is required")
        return _ret(
            await self._run(self._get_property, call.namespace, path, name, user)
        )

    def _set_property(
        self, ns: str, path: ObjectPath, name: str, value: Any, user: str | None
    ) -> None:
        ctx = ProviderContext(user, ns)
        inst = self.manager.get_instance(ns, path, ctx)
        cls = inst.cimclass
        if cls is None or name not in cls.properties:
            raise cim_error(12, f"{inst.classname} has no property {name!r}")
        prop = cls.properties[name]
        inst = inst.copy()
        inst[prop.name] = coerce_text(
            prop.type, value, is_array=prop.is_array, where=f"{cls.name}.{prop.name}"
        )
        self.manager.put_instance(ns, inst, WBEM_FLAG_UPDATE_ONLY, ctx)

    async def op_setproperty(self, call: IntrinsicCall, user: str | None) -> Reply:
        path = self._instancename(call)
        name = str_param(call.params, "PropertyName")
        if not name:
            raise InvalidParameterError("SetProperty: PropertyName is required")
        await self._run(
            self._set_property,
            call.namespace,
            path,
            name,
            call.params.get("NewValue"),
            user,
        )
        return ""

    # --- qualifiers ----------------------------------------------------------------------
    async def op_getqualifier(self, call: IntrinsicCall, user: str | None) -> Reply:
        name = self._classname(call, "QualifierName")
        decl = await self._run(self.manager.get_qualifier, call.namespace, name)
        return _ret(qualifier_declaration_xml(decl))

    async def op_setqualifier(self, call: IntrinsicCall, user: str | None) -> Reply:
        from ..model import QualifierDeclaration

        decl = call.params.get("QualifierDeclaration")
        if not isinstance(decl, QualifierDeclaration):
            raise InvalidParameterError(
                "SetQualifier: QualifierDeclaration must be a QUALIFIER.DECLARATION"
            )
        await self._run(self.manager.put_qualifier, call.namespace, decl)
        return ""

    async def op_deletequalifier(self, call: IntrinsicCall, user: str | None) -> Reply:
        name = self._classname(call, "QualifierName")
        await self._run(self.manager.delete_qualifier, call.namespace, name)
        return ""

    async def op_enumeratequalifiers(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        decls = await self._run(self.manager.list_qualifiers, call.namespace)
        return _ret("".join(qualifier_declaration_xml(d) for d in decls))

    # --- associations --------------------------------------------------------------------
    def _assoc_classes(self, ns: str, assoc_class: str | None) -> list[CIMClass]:
        classes = list(self.manager.create_class_enum(ns, assoc_class, 0))
        if assoc_class:
            classes.insert(0, self.manager.get_class(ns, assoc_class))
        return [c for c in classes if c.is_association]

    def _class_associations(
        self,
        ns: str,
        target: str,
        *,
        references: bool,
        assoc_class: str | None,
        result_class: str | None,
        role: str | None,
        result_role: str | None,
    ) -> list[CIMClass]:
        """Class-level Associators/References (ObjectName is a class path)."""
        tcls = self.manager.get_class(ns, target)
        out: dict[str, CIMClass] = {}
        for assoc in self._assoc_classes(
            ns, assoc_class if not references else result_class
        ):
            refs = [p for p in assoc.properties.values() if p.type is CIMType.REFERENCE]
            mine = [
                p
                for p in refs
                if p.reference_class
                and tcls.is_subclass_of(p.reference_class)
                and (not role or p.name.lower() == role.lower())
            ]
            if not mine:
                continue
            if references:
                out[assoc.name.lower()] = assoc
                continue
            for p in refs:
                if p in mine or not p.reference_class:
                    continue
                if result_role and p.name.lower() != result_role.lower():
                    continue
                try:
                    other = self.manager.get_class(ns, p.reference_class)
                except WbemError:
                    continue
                if result_class and not other.is_subclass_of(result_class):
                    continue
                out[other.name.lower()] = other
        return list(out.values())

    def _assoc_iter(
        self, call: IntrinsicCall, user: str | None, *, references: bool
    ) -> Any:
        obj = self._object_name(call)
        ns = call.namespace
        p = call.params
        if obj.is_class:
            return iter(
                self._class_associations(
                    ns,
                    obj.classname,
                    references=references,
                    assoc_class=str_param(p, "AssocClass"),
                    result_class=str_param(p, "ResultClass"),
                    role=str_param(p, "Role"),
                    result_role=str_param(p, "ResultRole"),
                )
            )
        path = obj.with_namespace(obj.namespace or ns)
        if references:
            return self.manager.references(
                ns,
                path,
                result_class=str_param(p, "ResultClass"),
                role=str_param(p, "Role"),
            )
        return self.manager.associators(
            ns,
            path,
            assoc_class=str_param(p, "AssocClass"),
            result_class=str_param(p, "ResultClass"),
            role=str_param(p, "Role"),
            result_role=str_param(p, "ResultRole"),
        )

    async def _assoc(
        self, call: IntrinsicCall, user: str | None, *, references: bool, names: bool
    ) -> Reply:
        it = await self._run(self._assoc_iter, call, user, references=references)
        enc = self._encoder(call, str_list_param(call.params, "PropertyList"))
        if names:

            def encode(obj: Any) -> str:
                if isinstance(obj, CIMClass):
                    ns = obj.namespace or call.namespace
                    return f"<OBJECTPATH>{_class_path(self.host, ns, obj.name)}</OBJECTPATH>"
                return enc.object_path(obj)

            return Streamed(Cursor(it), encode)
        return Streamed(Cursor(it), self._object_with_path(enc))

    async def op_associators(self, call: IntrinsicCall, user: str | None) -> Reply:
        return await self._assoc(call, user, references=False, names=False)

    async def op_associatornames(self, call: IntrinsicCall, user: str | None) -> Reply:
        return await self._assoc(call, user, references=False, names=True)

    async def op_references(self, call: IntrinsicCall, user: str | None) -> Reply:
        return await self._assoc(call, user, references=True, names=False)

    async def op_referencenames(self, call: IntrinsicCall, user: str | None) -> Reply:
        return await self._assoc(call, user, references=True, names=True)

    # --- queries -------------------------------------------------------------------------
    def _query_iter(
        self, ns: str, language: str | None, query: str | None, user: str | None
    ) -> Cursor:
        if not language or language.strip().upper() != "WQL":
            raise cim_error(
                14, f"query language {language!r} is not supported (only WQL)"
            )
        if not query:
            raise InvalidParameterError("a query is required")
        ctx = ProviderContext(user, ns)
        return Cursor(self.manager.exec_query(ns, query, "WQL", 0, ctx), ctx)

    async def op_execquery(self, call: IntrinsicCall, user: str | None) -> Reply:
        cursor = await self._run(
            self._query_iter,
            call.namespace,
            str_param(call.params, "QueryLanguage"),
            str_param(call.params, "Query"),
            user,
        )
        return Streamed(cursor, self._object_with_path(self._encoder(call)))

    # --- pull operations -------------------------------------------------------------------
    def _check_open_options(self, call: IntrinsicCall, *, query: bool = False) -> None:
        p = call.params
        if not query and (
            str_param(p, "FilterQuery") or str_param(p, "FilterQueryLanguage")
        ):
            if not str_param(p, "FilterQueryLanguage"):
                raise InvalidParameterError("FilterQuery needs a FilterQueryLanguage")
            raise cim_error(25, "filtered pull enumerations are not supported")
        if bool_param(p, "ContinueOnError", False):
            raise cim_error(26, "ContinueOnError is not supported")

    async def _open(
        self,
        call: IntrinsicCall,
        user: str | None,
        cursor: Cursor,
        kind: str,
        encode: Callable[[Any], str],
        *,
        context_timeout: float,
    ) -> Reply:
        max_count = int_param(call.params, "MaxObjectCount", 0)
        try:
            objs = await cursor.take(max_count, encode)
        except BaseException:
            await cursor.aclose()
            raise
        if cursor.exhausted:
            await cursor.aclose()
            return _pull_reply(objs, None)
        ctx = self.contexts.open(
            user=user,
            namespace=call.namespace,
            kind=kind,
            cursor=cursor,
            encode=encode,
            timeout=context_timeout,
        )
        return _pull_reply(objs, ctx.token)

    def _open_timeout(self, call: IntrinsicCall, user: str | None) -> float:
        self.contexts.check_room(user)
        return self.contexts.timeout_for(
            int_param(call.params, "OperationTimeout", None)
        )

    async def op_openenumerateinstances(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        self._check_open_options(call)
        timeout = self._open_timeout(call, user)
        name = self._classname(call)
        deep = bool_param(call.params, "DeepInheritance", True)
        cursor, plist = await self._run(self._instance_enum, call, user, name, deep)
        enc = self._encoder(call, plist)
        return await self._open(
            call,
            user,
            cursor,
            "instances-with-path",
            enc.instance_with_path,
            context_timeout=timeout,
        )

    async def op_openenumerateinstancepaths(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        self._check_open_options(call)
        timeout = self._open_timeout(call, user)
        name = self._classname(call)
        cursor, _ = await self._run(self._instance_enum, call, user, name, True)
        enc = self._encoder(call)
        return await self._open(
            call, user, cursor, "paths", enc.instancepath, context_timeout=timeout
        )

    async def _open_assoc(
        self, call: IntrinsicCall, user: str | None, *, references: bool, paths: bool
    ) -> Reply:
        self._check_open_options(call)
        timeout = self._open_timeout(call, user)
        call.params["ObjectName"] = call.params.get("InstanceName")
        obj = self._object_name(call)
        if not obj.is_instance:
            raise InvalidParameterError(
                f"{call.method}: InstanceName must name an instance"
            )
        it = await self._run(self._assoc_iter, call, user, references=references)
        enc = self._encoder(call, str_list_param(call.params, "PropertyList"))
        if paths:
            return await self._open(
                call,
                user,
                Cursor(it),
                "paths",
                enc.instancepath,
                context_timeout=timeout,
            )
        return await self._open(
            call,
            user,
            Cursor(it),
            "instances-with-path",
            enc.instance_with_path,
            context_timeout=timeout,
        )

    async def op_openassociatorinstances(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        return await self._open_assoc(call, user, references=False, paths=False)

    async def op_openassociatorinstancepaths(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        return await self._open_assoc(call, user, references=False, paths=True)

    async def op_openreferenceinstances(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        return await self._open_assoc(call, user, references=True, paths=False)

    async def op_openreferenceinstancepaths(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        return await self._open_assoc(call, user, references=True, paths=True)

    async def op_openqueryinstances(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        self._check_open_options(call, query=True)
        if bool_param(call.params, "ReturnQueryResultClass", False):
            raise cim_error(7, "ReturnQueryResultClass is not supported")
        timeout = self._open_timeout(call, user)
        cursor = await self._run(
            self._query_iter,
            call.namespace,
            str_param(call.params, "FilterQueryLanguage"),
            str_param(call.params, "FilterQuery"),
            user,
        )
        enc = self._encoder(call)
        return await self._open(
            call, user, cursor, "instances", enc.instance, context_timeout=timeout
        )

    async def _pull(self, call: IntrinsicCall, user: str | None, kind: str) -> Reply:
        max_count = int_param(call.params, "MaxObjectCount", None)
        if max_count is None:
            raise InvalidParameterError(f"{call.method}: MaxObjectCount is required")
        ctx = await self.contexts.get(
            call.params.get("EnumerationContext"),
            user=user,
            namespace=call.namespace,
            kind=kind,
        )
        async with ctx.lock:
            if ctx.cursor.closed:
                raise cim_error(21, "the enumeration context was closed")
            try:
                objs = await ctx.cursor.take(max_count, ctx.encode)
            except BaseException:
                await self.contexts.close(ctx)  # ContinueOnError is false
                raise
            if ctx.cursor.exhausted:
                await self.contexts.close(ctx)
                return _pull_reply(objs, None)
            self.contexts.touch(ctx)
            return _pull_reply(objs, ctx.token)

    async def op_pullinstanceswithpath(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        return await self._pull(call, user, "instances-with-path")

    async def op_pullinstancepaths(
        self, call: IntrinsicCall, user: str | None
    ) -> Reply:
        return await self._pull(call, user, "paths")

    async def op_pullinstances(self, call: IntrinsicCall, user: str | None) -> Reply:
        return await self._pull(call, user, "instances")

    async def op_closeenumeration(self, call: IntrinsicCall, user: str | None) -> Reply:
        ctx = await self.contexts.get(
            call.params.get("EnumerationContext"),
            user=user,
            namespace=call.namespace,
            kind=None,
        )
        await self.contexts.close(ctx)
        return ""

    async def op_enumerationcount(self, call: IntrinsicCall, user: str | None) -> Reply:
        raise cim_error(7, "EnumerationCount is not supported (deprecated in DSP0200)")

    # --- extrinsic methods -----------------------------------------------------------------
    def _invoke(self, call: MethodCall, user: str | None) -> str:
        mgr = self.manager
        ns = mgr.check_namespace(call.namespace)
        target = call.target
        cls = mgr.get_class(ns, target.classname)
        method = cls.methods.get(call.method)
        if method is None:
            raise cim_error(17, f"class {cls.name} has no method {call.method!r}")
        in_params: dict[str, Any] = {}
        for pv in call.params:
            decl = method.parameters.get(pv.name)
            if decl is None:
                raise InvalidParameterError(
                    f"{cls.name}.{method.name} has no parameter {pv.name!r}"
                )
            # untyped parameters take their type from the declaration
            in_params[decl.name] = coerce_text(
                decl.type,
                pv.value,
                is_array=decl.is_array,
                where=f"{method.name}({decl.name})",
            )
        path = (
            target.with_namespace(ns)
            if target.is_instance
            else ObjectPath(cls.name, (), ns)
        )
        out = mgr.exec_method(
            ns, path, method.name, in_params, 0, ProviderContext(user, ns)
        )
        parts = [
            paramvalue_xml(
                "", out.get("ReturnValue"), method.return_type, element="RETURNVALUE"
            )
        ]
        parts.extend(
            paramvalue_xml(p.name, out.get(p.name), p.type, is_array=p.is_array)
            for p in method.parameters.values()
            if p.is_out
        )
        return "".join(parts)

    async def extrinsic(self, call: MethodCall, user: str | None) -> str:
        if not call.target.classname:
            raise NotSupportedError("a method call needs a class or instance path")
        return await self._run(self._invoke, call, user)


def _pull_reply(objs: list[str], token: str | None) -> str:
    eos = "TRUE" if token is None else "FALSE"
    ctx = f"<VALUE>{esc(token)}</VALUE>" if token is not None else ""
    return (
        f"<IRETURNVALUE>{''.join(objs)}</IRETURNVALUE>"
        f'<PARAMVALUE NAME="EndOfSequence" PARAMTYPE="boolean"><VALUE>{eos}</VALUE></PARAMVALUE>'
        f'<PARAMVALUE NAME="EnumerationContext" PARAMTYPE="string">{ctx}</PARAMVALUE>'
    )
