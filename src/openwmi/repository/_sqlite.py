"""The SQLite repository: namespaces, qualifier declarations, classes, instances.

Owns persistence (stdlib sqlite3). Imports model, errors and the codec; never
the manager, engine or anything asyncio.

Rule 1: every write operation of the object manager runs inside one
        ``transaction()``; nothing is half-written (a failure rolls back).
Rule 2: classes are stored *resolved* (inherited members included) and cached
        per namespace; instance lookups by key are primary-key lookups.
Rule 3: one connection, serialised by a lock; enumerations read in chunks and
        release the lock between chunks, so writers are never starved. File
        repositories use WAL so other processes may read while we write.
Rule 4: the schema carries ``schema_version``; opening a newer one fails
        clearly, an older one is migrated (none exist yet).
"""

from __future__ import annotations

import datetime
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidNamespaceError, ProviderError
from ..model import CIMClass, CIMDateTime, CIMInstance, QualifierDeclaration
from ._codec import (
    InstanceDecoder,
    decode_class,
    decode_qualifier_declaration,
    encode_class,
    encode_instance_values,
    encode_qualifier_declaration,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["SCHEMA_VERSION", "SQLiteRepository", "normalize_namespace"]

SCHEMA_VERSION = 1
_CHUNK = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces (ns TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qualifiers (
    ns TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (ns, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS classes (
    ns TEXT NOT NULL, name TEXT NOT NULL, super TEXT, doc TEXT NOT NULL,
    PRIMARY KEY (ns, name)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS classes_by_super ON classes (ns, super);
CREATE TABLE IF NOT EXISTS instances (
    ns TEXT NOT NULL, class TEXT NOT NULL, keyid TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (ns, class, keyid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS propindex (
    ns TEXT NOT NULL, class TEXT NOT NULL, prop TEXT NOT NULL, val, keyid TEXT NOT NULL,
    PRIMARY KEY (ns, class, prop, val, keyid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS propindex_by_key ON propindex (ns, class, keyid);
"""


def normalize_namespace(namespace: str) -> str:
    """``root\\CIMV2`` → ``root/cimv2`` (the storage key; case-insensitive)."""
    return namespace.replace("\\", "/").strip("/").lower()


class _NamespaceCache:
    __slots__ = ("children", "classes", "decoders")

    def __init__(self) -> None:
        self.classes: dict[str, CIMClass] = {}
        self.children: dict[str | None, list[str]] = {}
        self.decoders: dict[str, InstanceDecoder] = {}


class SQLiteRepository:
    """Persistent store for one object manager. ``path=":memory:"`` for tests."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise ProviderError(f"cannot open repository {self.path}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        self._caches: dict[str, _NamespaceCache] = {}
        self._ns_names: dict[str, str] | None = None
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_version()

    # --- lifecycle --------------------------------------------------------------------
    def _check_version(self) -> None:
        row = self._db.execute(
            "SELECT value FROM meta WHERE key='schema_version'"
        ).fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise ProviderError(
                f"repository {self.path} has schema version {row[0]}, newer than this "
                f"openwmi understands ({SCHEMA_VERSION}); upgrade openwmi"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: commit at the outermost end, roll back on error."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                    self._caches.clear()
                    self._ns_names = None
                    self._after_commit.clear()
                raise
            self._depth -= 1
            if outer:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._db.execute("ROLLBACK")
                    self._caches.clear()
                    self._ns_names = None
                    self._after_commit.clear()
                    raise ProviderError(f"repository commit failed: {exc}") from exc
                callbacks, self._after_commit = self._after_commit, []
        if outer:
            for callback in callbacks:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current write commits (at once outside one);
        it is dropped if the write rolls back. Callbacks run outside the lock."""
        with self._lock:
            if self._depth > 0:
                self._after_commit.append(callback)
                return
        callback()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise ProviderError(f"repository error: {exc}") from exc

    # --- namespaces -------------------------------------------------------------------
    def _namespaces(self) -> dict[str, str]:
        if self._ns_names is None:
            with self._lock:
                self._ns_names = dict(
                    self._exec("SELECT ns, name FROM namespaces").fetchall()
                )
        return self._ns_names

    def namespace_exists(self, namespace: str) -> bool:
        return normalize_namespace(namespace) in self._namespaces()

    def namespace_name(self, namespace: str) -> str:
        """The namespace as first spelled (``root/cimv2``); raises if unknown."""
        try:
            return self._namespaces()[normalize_namespace(namespace)]
        except KeyError:
            raise InvalidNamespaceError(
                f"namespace {namespace!r} does not exist"
            ) from None

    def list_namespaces(self) -> list[str]:
        return sorted(self._namespaces().values(), key=str.lower)

    def create_namespace(self, namespace: str) -> None:
        key = normalize_namespace(namespace)
        with self.transaction():
            self._exec(
                "INSERT OR IGNORE INTO namespaces VALUES (?, ?)",
                (key, namespace.replace("\\", "/").strip("/")),
            )
            self._ns_names = None

    def delete_namespace(self, namespace: str) -> None:
        """Delete the namespace, its child namespaces and everything in them."""
        key = normalize_namespace(namespace)
        with self.transaction():
            for table in (
                "namespaces",
                "qualifiers",
                "classes",
                "instances",
                "propindex",
            ):
                self._exec(
                    f"DELETE FROM {table} WHERE ns = ? OR ns LIKE ? ESCAPE '\\'",
                    (key, _like_prefix(key)),
                )
            self._ns_names = None
            for ns in [n for n in self._caches if n == key or n.startswith(key + "/")]:
                del self._caches[ns]

    # --- qualifier declarations -------------------------------------------------------
    def get_qualifier(self, namespace: str, name: str) -> QualifierDeclaration | None:
        with self._lock:
            row = self._exec(
                "SELECT doc FROM qualifiers WHERE ns=? AND name=?",
                (normalize_namespace(namespace), name.lower()),
            ).fetchone()
        return None if row is None else decode_qualifier_declaration(row[0])

    def list_qualifiers(self, namespace: str) -> list[QualifierDeclaration]:
        with self._lock:
            rows = self._exec(
                "SELECT doc FROM qualifiers WHERE ns=? ORDER BY name",
                (normalize_namespace(namespace),),
            ).fetchall()
        return [decode_qualifier_declaration(r[0]) for r in rows]

    def put_qualifier(self, namespace: str, decl: QualifierDeclaration) -> None:
        with self.transaction():
            self._exec(
                "INSERT OR REPLACE INTO qualifiers VALUES (?, ?, ?)",
                (
                    normalize_namespace(namespace),
                    decl.name.lower(),
                    encode_qualifier_declaration(decl),
                ),
            )

    def delete_qualifier(self, namespace: str, name: str) -> bool:
        with self.transaction():
            cur = self._exec(
                "DELETE FROM qualifiers WHERE ns=? AND name=?",
                (normalize_namespace(namespace), name.lower()),
            )
        return cur.rowcount > 0

    # --- classes ---------------------------------------------------------------------
    def _cache(self, namespace: str) -> _NamespaceCache:
        key = normalize_namespace(namespace)
        cache = self._caches.get(key)
        if cache is None:
            display = self._namespaces().get(key, namespace)
            cache = _NamespaceCache()
            with self._lock:
                rows = self._exec(
                    "SELECT name, doc FROM classes WHERE ns=?", (key,)
                ).fetchall()
            for low, doc in rows:
                cls = decode_class(doc, display)
                cls.freeze_facts()  # shared read-only from here on
                cache.classes[low] = cls
            for low, cls in cache.classes.items():
                parent = cls.superclass.lower() if cls.superclass else None
                cache.children.setdefault(parent, []).append(low)
            for kids in cache.children.values():
                kids.sort()
            self._caches[key] = cache
        return cache

    def get_class(self, namespace: str, name: str) -> CIMClass | None:
        """The stored, resolved class (shared: callers must not mutate it)."""
        return self._cache(namespace).classes.get(name.lower())

    def class_names(self, namespace: str) -> list[str]:
        return [c.name for c in self._cache(namespace).classes.values()]

    def subclasses(
        self, namespace: str, name: str | None, *, deep: bool
    ) -> list[CIMClass]:
        """Subclasses of ``name`` (None: top-level classes), parents before children."""
        cache = self._cache(namespace)
        out: list[CIMClass] = []
        stack = list(reversed(cache.children.get(name.lower() if name else None, [])))
        while stack:
            low = stack.pop()
            out.append(cache.classes[low])
            if deep:
                stack.extend(reversed(cache.children.get(low, [])))
        return out

    def put_class(self, namespace: str, cls: CIMClass) -> None:
        key = normalize_namespace(namespace)
        doc = encode_class(cls)
        low = cls.name.lower()
        parent = cls.superclass.lower() if cls.superclass else None
        with self.transaction():
            self._exec(
                "INSERT OR REPLACE INTO classes VALUES (?, ?, ?, ?)",
                (key, low, parent, doc),
            )
            cache = self._caches.get(key)
            if cache is not None:  # keep the cache: update this one class in it
                stored = decode_class(doc, self._namespaces().get(key, namespace))
                stored.freeze_facts()
                old = cache.classes.get(low)
                if old is not None:
                    old_parent = old.superclass.lower() if old.superclass else None
                    siblings = cache.children.get(old_parent, [])
                    if low in siblings:
                        siblings.remove(low)
                cache.classes[low] = stored
                kids = cache.children.setdefault(parent, [])
                kids.append(low)
                kids.sort()
                cache.decoders.pop(low, None)

    def delete_class(self, namespace: str, name: str) -> None:
        """Delete one class row and its instances (the manager handles subclasses)."""
        key = normalize_namespace(namespace)
        with self.transaction():
            self._exec("DELETE FROM classes WHERE ns=? AND name=?", (key, name.lower()))
            self._exec(
                "DELETE FROM instances WHERE ns=? AND class=?", (key, name.lower())
            )
            self._caches.pop(key, None)

    # --- instances --------------------------------------------------------------------
    def _decoder(self, namespace: str, cls: CIMClass) -> InstanceDecoder:
        cache = self._cache(namespace)
        dec = cache.decoders.get(cls.name.lower())
        if dec is None:
            dec = cache.decoders[cls.name.lower()] = InstanceDecoder(cls)
        return dec

    def get_instance(
        self, namespace: str, cls: CIMClass, keyid: str
    ) -> CIMInstance | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM instances WHERE ns=? AND class=? AND keyid=?",
                (normalize_namespace(namespace), cls.name.lower(), keyid),
            ).fetchone()
        if row is None:
            return None
        return CIMInstance.trusted(
            cls, self._decoder(namespace, cls)(cls, row[0]), namespace=cls.namespace
        )

    def instance_exists(self, namespace: str, classname: str, keyid: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM instances WHERE ns=? AND class=? AND keyid=?",
                (normalize_namespace(namespace), classname.lower(), keyid),
            ).fetchone()
        return row is not None

    def put_instance(
        self,
        namespace: str,
        classname: str,
        keyid: str,
        values: dict[str, Any],
        index: dict[str, Any] | None = None,
    ) -> None:
        """Store one instance; ``index`` (property → value) feeds the property index
        of a class with ``Indexed`` properties (None: the class has none)."""
        doc = encode_instance_values(values)
        ns, low = normalize_namespace(namespace), classname.lower()
        with self.transaction():
            self._exec(
                "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?)",
                (ns, low, keyid, doc),
            )
            if index is not None:
                self._exec(
                    "DELETE FROM propindex WHERE ns=? AND class=? AND keyid=?",
                    (ns, low, keyid),
                )
                rows = [
                    (ns, low, prop.lower(), index_value(v), keyid)
                    for prop, v in index.items()
                    if v is not None
                ]
                if rows:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO propindex VALUES (?, ?, ?, ?, ?)", rows
                    )

    def delete_instance(self, namespace: str, classname: str, keyid: str) -> bool:
        ns, low = normalize_namespace(namespace), classname.lower()
        with self.transaction():
            cur = self._exec(
                "DELETE FROM instances WHERE ns=? AND class=? AND keyid=?",
                (ns, low, keyid),
            )
            self._exec(
                "DELETE FROM propindex WHERE ns=? AND class=? AND keyid=?",
                (ns, low, keyid),
            )
        return cur.rowcount > 0

    def delete_instances(self, namespace: str, classname: str) -> None:
        """Delete every instance of exactly ``classname``."""
        args = (normalize_namespace(namespace), classname.lower())
        with self.transaction():
            self._exec("DELETE FROM instances WHERE ns=? AND class=?", args)
            self._exec("DELETE FROM propindex WHERE ns=? AND class=?", args)

    def count_instances(self, namespace: str, classname: str) -> int:
        with self._lock:
            row = self._exec(
                "SELECT count(*) FROM instances WHERE ns=? AND class=?",
                (normalize_namespace(namespace), classname.lower()),
            ).fetchone()
        return int(row[0])

    def iter_instances(self, namespace: str, cls: CIMClass) -> Iterator[CIMInstance]:
        """Every stored instance of exactly ``cls``, decoded lazily, read in chunks."""
        ns = normalize_namespace(namespace)
        low = cls.name.lower()
        decode = self._decoder(namespace, cls)
        trusted = CIMInstance.trusted
        display = cls.namespace
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT keyid, doc FROM instances "
                    "WHERE ns=? AND class=? AND keyid>? "
                    "ORDER BY keyid LIMIT ?",
                    (ns, low, last, _CHUNK),
                ).fetchall()
            for _, doc in rows:
                yield trusted(cls, None, namespace=display, loader=(decode, doc))
            if len(rows) < _CHUNK:
                return
            last = rows[-1][0]

    def iter_instance_values(
        self, namespace: str, cls: CIMClass
    ) -> Iterator[list[dict[str, Any]]]:
        """The stored instances of exactly ``cls`` as value dicts, one list per
        chunk: the same rows, order and values as ``iter_instances`` without an
        instance object per row (for encoders that only read the values).

        Each dict is fresh and keyed by the class's spelling of each property;
        NULL properties are absent. Reads in chunks and releases the lock between
        them (Rule 3).
        """
        ns = normalize_namespace(namespace)
        low = cls.name.lower()
        decode_many = self._decoder(namespace, cls).decode_many
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT keyid, doc FROM instances "
                    "WHERE ns=? AND class=? AND keyid>? "
                    "ORDER BY keyid LIMIT ?",
                    (ns, low, last, _CHUNK),
                ).fetchall()
            if rows:
                yield decode_many(cls, [doc for _, doc in rows])
            if len(rows) < _CHUNK:
                return
            last = rows[-1][0]

    def iter_instances_filtered(
        self,
        namespace: str,
        cls: CIMClass,
        *,
        json_filters: list[tuple[str, str, Any]] = (),  # type: ignore[assignment]
        index_filters: list[tuple[str, str, Any]] = (),  # type: ignore[assignment]
    ) -> Iterator[CIMInstance]:
        """Instances of exactly ``cls`` narrowed in SQL: ``json_filters`` compare a
        stored value (``json_extract``) and ``index_filters`` use the property
        index; each is ``(property, op, value)`` with op in = < <= > >=. The result
        is a superset the caller post-filters exactly (WQL semantics)."""
        ns = normalize_namespace(namespace)
        low = cls.name.lower()
        decode = self._decoder(namespace, cls)
        sql = ["SELECT i.doc FROM instances i WHERE i.ns=? AND i.class=?"]
        args: list[Any] = [ns, low]
        for prop, op, value in json_filters:
            if op not in _OPS:
                continue
            sql.append(f"AND json_extract(i.doc, ?) {op} ?")
            args += [f'$."{prop}"', value]
        for prop, op, value in index_filters:
            if op not in _OPS:
                continue
            sql.append(
                f"AND i.keyid IN (SELECT keyid FROM propindex WHERE ns=? AND class=? "
                f"AND prop=? AND val {op} ?)"
            )
            args += [ns, low, prop.lower(), index_value(value)]
        with self._lock:
            rows = self._db.execute(" ".join(sql), args).fetchall()
        trusted = CIMInstance.trusted
        display = cls.namespace
        for (doc,) in rows:
            yield trusted(cls, None, namespace=display, loader=(decode, doc))


_OPS = frozenset({"=", "<", "<=", ">", ">="})


def index_value(value: Any) -> Any:
    """The comparable form of a value in the property index (strings casefolded,
    booleans as 0/1, timestamps as UTC ISO text, intervals as microseconds)."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, CIMDateTime) and not value.is_relative:
        py = value.to_python()
        if isinstance(py, datetime.timedelta):
            return py // datetime.timedelta(microseconds=1)
        return py.astimezone(datetime.UTC).isoformat()
    return str(value).casefold()


def _like_prefix(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
