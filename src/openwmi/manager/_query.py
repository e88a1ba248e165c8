"""ExecQuery: WQL data, schema and association queries over the object manager.

Owns query *execution* (spec §7): the WQL package parses, validates, compiles
and plans; this module runs the plan against the repository or providers.

Rule 1: key equality on every key is a direct lookup (one primary-key read per
        class in the hierarchy); nothing is scanned.
Rule 2: equality/range on an ``Indexed`` property reads the property index;
        numeric/boolean comparisons on other properties are pushed into SQL
        (``json_extract``); both only narrow the rows — every candidate is then
        checked by the compiled WQL predicate, so results are exact.
Rule 3: provider-backed classes are enumerated and post-filtered.
Rule 4: the result is lazy; projection keeps the system properties.
Imports query, model, errors, repository; never engine/protocol/server/client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from ..constants import WBEM_FLAG_PROTOTYPE
from ..errors import InvalidQueryError, NotFoundError
from ..model import CIMClass, CIMInstance, CIMType, ObjectPath
from ..query import (
    AssociatorsQuery,
    EventQuery,
    Plan,
    PreparedQuery,
    ReferencesQuery,
    SchemaQuery,
    SelectQuery,
    check_query_language,
    compile_schema_where,
    parse_wql,
    prepare_query,
    prototype,
)
from ..repository import key_id

if TYPE_CHECKING:
    from ._manager import ObjectManager

__all__ = ["QueryRunner", "indexed_properties"]

_PUSHABLE = frozenset(
    {
        CIMType.UINT8,
        CIMType.SINT8,
        CIMType.UINT16,
        CIMType.SINT16,
        CIMType.UINT32,
        CIMType.SINT32,
        CIMType.SINT64,
        CIMType.REAL32,
        CIMType.REAL64,
        CIMType.BOOLEAN,
    }
)


_CACHE_SIZE = 512


def indexed_properties(cls: CIMClass) -> list[str]:
    """Properties carrying the ``Indexed`` qualifier (they feed the property index)."""
    return [p.name for p in cls.properties.values() if p.qualifier("indexed")]


class QueryRunner:
    """Runs WQL for one object manager."""

    def __init__(self, manager: ObjectManager) -> None:
        self.manager = manager
        # (namespace, text) -> (FROM class object, prepared query). Valid while the
        # repository still shares that very class object (any class write
        # replaces the namespace's class cache, so stale entries never match).
        self._prepared: dict[tuple[str, str], tuple[CIMClass, PreparedQuery]] = {}

    # --- entry point -----------------------------------------------------------------
    def prepare(self, namespace: str, query: Any, language: Any) -> Any:
        """Validate eagerly (everything a synchronous ExecQuery reports at once)."""
        check_query_language(language)
        ns = self.manager.check_namespace(namespace)
        parsed = parse_wql(query)
        if isinstance(parsed, EventQuery):
            raise InvalidQueryError(
                "ExecQuery: this is an event query; use exec_notification_query"
            )
        if isinstance(parsed, SelectQuery):
            repo = self.manager.repository
            key = (ns, query) if isinstance(query, str) else None
            hit = self._prepared.get(key) if key is not None else None
            if hit is not None and repo.get_class(ns, hit[1].plan.classname) is hit[0]:
                return ns, hit[1]
            prepared = prepare_query(parsed, lambda name: repo.get_class(ns, name))
            if key is not None:
                if len(self._prepared) >= _CACHE_SIZE:
                    self._prepared.pop(next(iter(self._prepared)))
                self._prepared[key] = (prepared.bound.cimclass, prepared)
            return ns, prepared
        return ns, parsed

    def run(
        self, namespace: str, query: Any, language: Any, flags: int, ctx: Any = None
    ) -> Iterator[Any] | AsyncIterator[Any]:
        ns, prepared = self.prepare(namespace, query, language)
        if isinstance(prepared, PreparedQuery):
            if flags & WBEM_FLAG_PROTOTYPE:
                return iter([prototype(prepared.bound).cimclass])
            return self._select(ns, prepared, ctx)
        if isinstance(prepared, SchemaQuery):
            return self._schema(ns, prepared)
        if isinstance(prepared, AssociatorsQuery):
            return self._associators(ns, prepared)
        assert isinstance(prepared, ReferencesQuery)
        return self._references(ns, prepared)

    def explain(self, namespace: str, query: str, language: str = "WQL") -> str:
        ns, prepared = self.prepare(namespace, query, language)
        if not isinstance(prepared, PreparedQuery):
            return (
                f"{type(prepared).__name__}: evaluated over the class/association graph"
            )
        classes = self._classes(ns, prepared.plan)
        lines = [prepared.plan.explain()]
        for cls in classes:
            where = "provider (enumerate + filter)"
            if self.manager.providers.get(ns, cls.name) is None:
                jf, ixf = self._sql_filters(cls, prepared.plan)
                where = (
                    "repository"
                    + (f", index on {', '.join(p for p, _, _ in ixf)}" if ixf else "")
                    + (
                        f", SQL filter on {', '.join(p for p, _, _ in jf)}"
                        if jf
                        else ""
                    )
                )
            lines.append(f"  {cls.name}: {where}")
        return "\n".join(lines)

    # --- data queries --------------------------------------------------------------------
    def _classes(self, ns: str, plan: Plan) -> list[CIMClass]:
        repo = self.manager.repository
        base = repo.get_class(ns, plan.classname)
        assert base is not None  # validated
        classes = [base, *repo.subclasses(ns, base.name, deep=True)]
        if plan.exact_class is not None:
            low = plan.exact_class.lower()
            classes = [c for c in classes if c.name.lower() == low]
        return classes

    def _sql_filters(
        self, cls: CIMClass, plan: Plan
    ) -> tuple[list[tuple[str, str, Any]], list[tuple[str, str, Any]]]:
        indexed = {p.lower() for p in indexed_properties(cls)}
        json_filters: list[tuple[str, str, Any]] = []
        index_filters: list[tuple[str, str, Any]] = []
        for c in plan.constraints:
            prop = cls.properties.get(c.property)
            if prop is None or prop.is_array:
                continue
            if prop.name.lower() in indexed:
                index_filters.append((prop.name, c.op, c.value))
            elif prop.type in _PUSHABLE and isinstance(c.value, (int, float)):
                json_filters.append((prop.name, c.op, c.value))
        return json_filters, index_filters

    def _select(
        self, ns: str, prepared: PreparedQuery, ctx: Any
    ) -> Iterator[Any] | AsyncIterator[Any]:
        plan = prepared.plan
        classes = self._classes(ns, plan)
        providers = self.manager.providers
        if any(providers.get(ns, c.name) is not None for c in classes):
            return self._select_via_enum(ns, prepared, classes, ctx)
        return self._select_repository(ns, prepared, classes)

    def _select_repository(
        self, ns: str, prepared: PreparedQuery, classes: list[CIMClass]
    ) -> Iterator[CIMInstance]:
        repo = self.manager.repository
        plan, matches, project = prepared.plan, prepared.matches, prepared.project
        server = self.manager.server
        for cls in classes:
            if plan.key is not None and [k.lower() for k, _ in plan.key] == [
                k.lower() for k in cls.key_names
            ]:
                try:
                    kid = key_id(cls, dict(plan.key))
                except (
                    Exception
                ):  # a key value that cannot be that key's type: no match
                    continue
                found = repo.get_instance(ns, cls, kid)
                candidates: Any = () if found is None else (found,)
            else:
                json_filters, index_filters = self._sql_filters(cls, plan)
                if json_filters or index_filters:
                    candidates = repo.iter_instances_filtered(
                        ns, cls, json_filters=json_filters, index_filters=index_filters
                    )
                else:
                    candidates = repo.iter_instances(ns, cls)
            for inst in candidates:
                if matches(inst):
                    inst.server = server
                    yield project(inst)

    def _select_via_enum(
        self, ns: str, prepared: PreparedQuery, classes: list[CIMClass], ctx: Any
    ) -> Iterator[Any] | AsyncIterator[Any]:
        stream = self.manager._chain(ns, classes, ctx)
        matches, project = prepared.matches, prepared.project
        if isinstance(stream, AsyncIterator):
            return _afilter(stream, matches, project)
        return (project(i) for i in stream if matches(i))

    # --- schema and association queries ----------------------------------------------------
    def _schema(self, ns: str, query: SchemaQuery) -> Iterator[CIMClass]:
        test = compile_schema_where(query.where)
        for cls in self.manager.repository.subclasses(ns, None, deep=True):
            if test(cls):
                out = cls.copy()
                out.server = self.manager.server
                yield out

    def _source(self, ns: str, text: str) -> ObjectPath:
        path = ObjectPath.parse(text)
        if path.is_class:
            raise InvalidQueryError(
                f"{{{text}}} names a class; ASSOCIATORS/REFERENCES OF need an instance "
                "path (SchemaOnly queries on classes are not supported yet)"
            )
        try:
            self.manager.get_instance(ns, path)
        except NotFoundError:
            raise NotFoundError(
                f"the source object {{{text}}} does not exist"
            ) from None
        return path

    def _associators(self, ns: str, q: AssociatorsQuery) -> Iterator[Any]:
        source = self._source(ns, q.path)
        mgr = self.manager
        seen: set[str] = set()
        for obj in mgr.associators(
            ns,
            source,
            assoc_class=q.assoc_class,
            result_class=q.result_class,
            role=q.role,
            result_role=q.result_role,
        ):
            if q.required_qualifier and q.required_qualifier not in (
                obj.cimclass.qualifiers if obj.cimclass else {}
            ):
                continue
            if q.required_assoc_qualifier and not self._assoc_has_qualifier(
                ns, q.assoc_class, q.required_assoc_qualifier
            ):
                continue
            if q.class_defs_only or q.schema_only:
                if obj.classname.lower() not in seen:
                    seen.add(obj.classname.lower())
                    yield mgr.get_class(ns, obj.classname)
                continue
            yield _keys_only(obj) if q.keys_only else obj

    def _assoc_has_qualifier(
        self, ns: str, assoc_class: str | None, qualifier: str
    ) -> bool:
        repo = self.manager.repository
        names = [assoc_class] if assoc_class else repo.class_names(ns)
        for name in names:
            cls = repo.get_class(ns, name)
            if cls is not None and cls.is_association and qualifier in cls.qualifiers:
                return True
        return False

    def _references(self, ns: str, q: ReferencesQuery) -> Iterator[Any]:
        source = self._source(ns, q.path)
        mgr = self.manager
        seen: set[str] = set()
        for ref in mgr.references(ns, source, result_class=q.result_class, role=q.role):
            cls = ref.cimclass
            if q.required_qualifier and (
                cls is None or q.required_qualifier not in cls.qualifiers
            ):
                continue
            if q.class_defs_only or q.schema_only:
                if ref.classname.lower() not in seen:
                    seen.add(ref.classname.lower())
                    yield mgr.get_class(ns, ref.classname)
                continue
            yield _keys_only(ref) if q.keys_only else ref


def _keys_only(inst: CIMInstance) -> CIMInstance:
    cls = inst.cimclass
    if cls is None:
        return inst
    out = CIMInstance.trusted(
        cls, {k: inst[k] for k in cls.key_names}, namespace=inst.namespace
    )
    out.server = inst.server
    return out


async def _afilter(
    stream: AsyncIterator[Any], matches: Any, project: Any
) -> AsyncIterator[Any]:
    async for inst in stream:
        if matches(inst):
            yield project(inst)
