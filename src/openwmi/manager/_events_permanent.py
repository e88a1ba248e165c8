"""Permanent event subscriptions: filters, consumers, bindings (spec §6.6).

Owns the class definitions ``__EventFilter``, ``__EventConsumer``,
``__FilterToConsumerBinding``, ``LogFileEventConsumer`` and
``CommandLineEventConsumer`` (``subscription_classes`` /
``install_subscription_classes``), ``PermanentSubscriptions`` (writes the
objects to the repository, arms one subscription per binding, re-arms them on
start, delivers to the standard consumers on one delivery thread) and the
consumers themselves. Imports model, repository and errors (+ the stdlib's
subprocess/shlex for CommandLineEventConsumer); never engine, protocol,
server or client.

Rule 1. Filters, consumers and bindings are repository instances, so they
        survive a restart; ``start()`` re-arms every binding found.
Rule 2. A filter's query is validated when it is written (the spec §6.4
        codes); a polling filter (one that needs WITHIN on a provider class)
        needs an administrator, as does any ``CommandLineEventConsumer``
        (WBEM_E_ACCESS_DENIED). The creator is stamped in ``CreatorSID``
        (``S-1-22-1-<uid>``, the Unix-user SID form); administrator = uid 0.
        A binding whose objects fail these rules when re-armed is not armed
        (``failures`` says why).
Rule 3. ``CommandLineEventConsumer`` never uses a shell: ``CommandLineTemplate``
        is split into an argument list first (``shlex``), then each argument
        gets its ``%Property%`` substitutions, so event data cannot add
        arguments. ``KillTimeout`` (s) kills a command that runs too long.
Rule 4. ``LogFileEventConsumer`` appends ``Text`` (with ``%Property%``
        substitutions, e.g. ``%TargetInstance.Name%``; ``%%`` is ``%``) plus a
        newline per event; past ``MaximumFileSize`` bytes the file is renamed
        to ``<name>.001`` and a new one started.
Rule 5. Delivery runs on its own thread, so a slow consumer never delays a
        writer; each binding has the bounded queue of its subscription
        (``MaximumQueueSize`` events if set, else the default).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import (
    AccessDeniedError,
    AlreadyExistsError,
    InvalidClassError,
    InvalidParameterError,
    WbemError,
)
from ..model import (
    CIMClass,
    CIMInstance,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
    resolve_class,
)
from ..repository import SQLiteRepository, key_id, normalize_namespace

if TYPE_CHECKING:
    from ._events import EventManager, Subscription

__all__ = [
    "SUBSCRIPTION_CLASSES",
    "PermanentSubscriptions",
    "install_subscription_classes",
    "subscription_classes",
]

_log = logging.getLogger("openwmi.events")

_S, _U8, _U32, _U64, _B, _REF = (
    CIMType.STRING,
    CIMType.UINT8,
    CIMType.UINT32,
    CIMType.UINT64,
    CIMType.BOOLEAN,
    CIMType.REFERENCE,
)

# (name, superclass, abstract, [(prop, type, is_array, key, reference class)])
_DEFS: list[
    tuple[str, str, bool, list[tuple[str, CIMType, bool, bool, str | None]]]
] = [
    (
        "__EventFilter",
        "__IndicationRelated",
        False,
        [
            ("Name", _S, False, True, None),
            ("Query", _S, False, False, None),
            ("QueryLanguage", _S, False, False, None),
            ("EventNamespace", _S, False, False, None),
            ("EventAccess", _S, False, False, None),
            ("CreatorSID", _U8, True, False, None),
        ],
    ),
    (
        "__EventConsumer",
        "__IndicationRelated",
        True,
        [
            ("CreatorSID", _U8, True, False, None),
            ("MachineName", _S, False, False, None),
            ("MaximumQueueSize", _U32, False, False, None),
        ],
    ),
    (
        "__FilterToConsumerBinding",
        "__IndicationRelated",
        False,
        [
            ("Consumer", _REF, False, True, "__EventConsumer"),
            ("Filter", _REF, False, True, "__EventFilter"),
            ("CreatorSID", _U8, True, False, None),
            ("DeliverSynchronously", _B, False, False, None),
            ("DeliveryQoS", _U32, False, False, None),
            ("MaintainSecurityContext", _B, False, False, None),
            ("SlowDownProviders", _B, False, False, None),
        ],
    ),
    (
        "LogFileEventConsumer",
        "__EventConsumer",
        False,
        [
            ("Name", _S, False, True, None),
            ("Filename", _S, False, False, None),
            ("Text", _S, False, False, None),
            ("MaximumFileSize", _U64, False, False, None),
            ("IsUnicode", _B, False, False, None),
        ],
    ),
    (
        "CommandLineEventConsumer",
        "__EventConsumer",
        False,
        [
            ("Name", _S, False, True, None),
            ("CommandLineTemplate", _S, False, False, None),
            ("ExecutablePath", _S, False, False, None),
            ("WorkingDirectory", _S, False, False, None),
            ("KillTimeout", _U32, False, False, None),
            ("RunInteractively", _B, False, False, None),
        ],
    ),
]

#: The classes this module adds to every namespace (parents first).
SUBSCRIPTION_CLASSES = tuple(d[0] for d in _DEFS)


def subscription_classes(
    namespace: str, parents: dict[str, CIMClass]
) -> list[CIMClass]:
    """The resolved subscription classes for ``namespace``, parents first.

    ``parents`` maps lower-case names to resolved classes and must hold
    ``__indicationrelated``; it is extended with the new classes.
    """
    out = []
    for name, sup, abstract, props in _DEFS:
        quals: NocaseDict[Qualifier] = NocaseDict()
        if abstract:
            quals["Abstract"] = Qualifier(
                "Abstract", True, CIMType.BOOLEAN, tosubclass=False
            )
        pdict: NocaseDict[CIMProperty] = NocaseDict()
        for pname, ptype, is_array, key, refclass in props:
            pq: NocaseDict[Qualifier] = NocaseDict()
            if key:
                pq["Key"] = Qualifier("Key", True, CIMType.BOOLEAN)
            pdict[pname] = CIMProperty(
                pname, ptype, is_array, qualifiers=pq, reference_class=refclass
            )
        local = CIMClass(name, sup, pdict, qualifiers=quals, namespace=namespace)
        resolved = resolve_class(local, parents[sup.lower()])
        parents[name.lower()] = resolved
        out.append(resolved)
    return out


def install_subscription_classes(repository: SQLiteRepository, namespace: str) -> int:
    """Add the subscription classes missing from ``namespace``; returns how many.

    Call it right after the system classes of a new namespace are written
    (and at start for namespaces created before this module existed).
    """
    base = repository.get_class(namespace, "__IndicationRelated")
    if base is None:
        return 0
    missing = [
        n for n in SUBSCRIPTION_CLASSES if repository.get_class(namespace, n) is None
    ]
    if not missing:
        return 0
    parents = {"__indicationrelated": base}
    with repository.transaction():
        for cls in subscription_classes(namespace, parents):
            if cls.name in missing:
                repository.put_class(namespace, cls)
    return len(missing)


# --- creators ---------------------------------------------------------------------------


def _uid_of(user: Any) -> int:
    if user is None:
        return os.geteuid()
    if isinstance(user, bool):
        raise InvalidParameterError(f"not a user: {user!r}")
    if isinstance(user, int):
        return user
    uid = getattr(user, "uid", None)
    if isinstance(uid, int):
        return uid
    if isinstance(user, str):
        import pwd

        try:
            return pwd.getpwnam(user).pw_uid
        except KeyError:
            raise AccessDeniedError(f"unknown user {user!r}") from None
    raise InvalidParameterError(f"not a user: {user!r}")


def sid_for_uid(uid: int) -> list[int]:
    """``S-1-22-1-<uid>`` (Unix user) as the binary SID bytes of ``CreatorSID``."""
    out = [1, 2, 0, 0, 0, 0, 0, 22]
    for sub in (1, uid):
        out += list(int(sub).to_bytes(4, "little"))
    return out


def uid_from_sid(sid: Any) -> int | None:
    """The uid of an ``S-1-22-1-<uid>`` SID, else None."""
    if not isinstance(sid, list) or len(sid) != 16:
        return None
    raw = bytes(sid)
    if raw[:8] != bytes([1, 2, 0, 0, 0, 0, 0, 22]) or raw[8:12] != (1).to_bytes(
        4, "little"
    ):
        return None
    return int.from_bytes(raw[12:16], "little")


# --- templates --------------------------------------------------------------------------

_TEMPLATE = re.compile(r"%([^%]*)%")


def _lookup(event: Any, dotted: str) -> Any:
    obj = event
    for name in dotted.split("."):
        if obj is None:
            return None
        try:
            obj = obj[name.strip()]
        except (KeyError, TypeError, IndexError):
            return None
    return obj


def substitute(template: str, event: Any) -> str:
    """``%Property%`` / ``%TargetInstance.Name%`` → the event's value; ``%%`` → ``%``."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if not name:
            return "%"
        value = _lookup(event, name)
        if value is None:
            return ""
        if isinstance(value, CIMInstance):
            path = value.path
            return path.relpath if path is not None else value.classname
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)

    return _TEMPLATE.sub(one, template)


# --- consumers --------------------------------------------------------------------------


class LogFileConsumer:
    """``LogFileEventConsumer``: one line per event (Rule 4)."""

    def __init__(self, inst: CIMInstance) -> None:
        filename = inst.get("Filename")
        if not filename:
            raise InvalidParameterError("LogFileEventConsumer.Filename is required")
        self.filename = str(filename)
        self.text = str(inst.get("Text") or "%__CLASS%")
        self.max_size = int(inst.get("MaximumFileSize") or 65535)
        self.encoding = "utf-16" if inst.get("IsUnicode") else "utf-8"

    def deliver(self, event: CIMInstance) -> None:
        line = substitute(self.text, event) + "\n"
        with contextlib.suppress(FileNotFoundError):
            if (
                self.max_size
                and os.path.getsize(self.filename) + len(line) > self.max_size
            ):
                os.replace(self.filename, self.filename + ".001")
        with open(self.filename, "a", encoding=self.encoding) as f:
            f.write(line)


class CommandLineConsumer:
    """``CommandLineEventConsumer``: run a program per event, no shell (Rule 3)."""

    def __init__(self, inst: CIMInstance) -> None:
        template = inst.get("CommandLineTemplate")
        self.executable = inst.get("ExecutablePath") or None
        self.args = shlex.split(str(template)) if template else []
        if not self.args and not self.executable:
            raise InvalidParameterError(
                "CommandLineEventConsumer needs CommandLineTemplate or ExecutablePath"
            )
        if not self.args:
            self.args = [str(self.executable)]
        self.cwd = inst.get("WorkingDirectory") or None
        self.kill_timeout = int(inst.get("KillTimeout") or 0)
        self.processes: deque[subprocess.Popen[bytes]] = deque(maxlen=64)

    def deliver(self, event: CIMInstance) -> None:
        argv = [substitute(arg, event) for arg in self.args]
        proc = subprocess.Popen(
            argv,
            executable=self.executable,
            cwd=self.cwd,
            shell=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(proc)
        if self.kill_timeout > 0:
            timer = threading.Timer(self.kill_timeout, _kill, args=(proc,))
            timer.daemon = True
            timer.start()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()


_CONSUMERS: dict[str, Callable[[CIMInstance], Any]] = {
    "logfileeventconsumer": LogFileConsumer,
    "commandlineeventconsumer": CommandLineConsumer,
}


class _Active:
    def __init__(self, key: tuple[Any, ...], sub: Subscription, consumer: Any) -> None:
        self.key = key
        self.sub = sub
        self.consumer = consumer


class PermanentSubscriptions:
    """The permanent subscriptions of one object manager (Rules 1-5)."""

    def __init__(self, events: EventManager) -> None:
        self._events = events
        self._lock = threading.RLock()
        self._active: dict[tuple[Any, ...], _Active] = {}
        self._cond = threading.Condition()
        self._ready = False
        self._busy = False
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.failures: dict[str, str] = {}  # binding path → why it is not armed
        self.delivered = 0
        self.errors = 0

    # --- classes and lifecycle --------------------------------------------------------
    def start(self) -> None:
        """Install the classes where missing and arm every stored binding (Rule 1)."""
        repo = self._events.manager.repository
        for ns in repo.list_namespaces():
            install_subscription_classes(repo, ns)
        self.rearm()

    def stop(self) -> None:
        with self._lock:
            active, self._active = list(self._active.values()), {}
        for a in active:
            a.sub.close()
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def active_count(self) -> int:
        return len(self._active)

    def consumers(self) -> list[Any]:
        with self._lock:
            return [a.consumer for a in self._active.values()]

    # --- writing the objects (Rule 2) ------------------------------------------------------
    @staticmethod
    def handles(cls: CIMClass) -> bool:
        """True for __EventFilter, __EventConsumer subclasses and bindings (the
        object manager routes their PutInstance/DeleteInstance here)."""
        lineage = {cls.name.lower(), *(d.lower() for d in cls.derivation)}
        return bool(
            lineage & {"__eventfilter", "__eventconsumer", "__filtertoconsumerbinding"}
        )

    def _kind(self, cls: CIMClass) -> str:
        lineage = {cls.name.lower(), *(d.lower() for d in cls.derivation)}
        for kind in ("__eventfilter", "__eventconsumer", "__filtertoconsumerbinding"):
            if kind in lineage:
                return kind
        raise InvalidClassError(
            f"{cls.name} is not __EventFilter, an __EventConsumer or "
            "__FilterToConsumerBinding"
        )

    def put(
        self, namespace: str, instance: CIMInstance, *, user: Any = None, flags: int = 0
    ) -> str:
        """Write a filter, consumer or binding (checked per Rule 2) and re-arm.

        Returns the relative path. Raises InvalidClassError, InvalidParameterError,
        AccessDeniedError, NotFoundError (a binding's filter or consumer is
        missing), AlreadyExistsError (``flags`` has WBEM_FLAG_CREATE_ONLY) and
        every spec §6.4 error of the filter's query.
        """
        from ..constants import WBEM_FLAG_CREATE_ONLY

        manager = self._events.manager
        ns = manager.check_namespace(namespace)
        if not isinstance(instance, CIMInstance):
            raise InvalidParameterError("put needs a CIMInstance")
        cls = manager.repository.get_class(ns, instance.classname)
        if cls is None:
            raise InvalidClassError(
                f"class {instance.classname} does not exist in {ns}"
            )
        kind = self._kind(cls)
        if cls.is_abstract:
            raise InvalidParameterError(f"{cls.name} is abstract")
        uid = _uid_of(user)
        values = CIMInstance(cls, instance.values_set(), namespace=ns).values_set()
        values["CreatorSID"] = sid_for_uid(uid)
        if kind == "__eventfilter":
            language = values.get("QueryLanguage") or "WQL"
            values["QueryLanguage"] = language
            plan = self._events.prepare(
                values.get("EventNamespace") or ns,
                str(values.get("Query") or ""),
                language,
            )
            if plan.poll_classes and uid != 0:
                raise AccessDeniedError(
                    "permanent subscriptions with polling queries need an administrator"
                )
        elif kind == "__eventconsumer":
            if cls.is_subclass_of("CommandLineEventConsumer") and uid != 0:
                raise AccessDeniedError(
                    "CommandLineEventConsumer can only be created by an administrator"
                )
            factory = _CONSUMERS.get(cls.name.lower())
            if factory is not None:
                factory(CIMInstance(cls, values, namespace=ns))  # validates
        else:
            for role in ("Filter", "Consumer"):
                ref = values.get(role)
                if not isinstance(ref, ObjectPath):
                    raise InvalidParameterError(f"the binding's {role} is required")
                manager.get_instance(ns, ref)  # NotFoundError if missing
        repo = manager.repository
        kid = key_id(cls, values)
        with repo.transaction():
            if flags & WBEM_FLAG_CREATE_ONLY and repo.instance_exists(
                ns, cls.name, kid
            ):
                raise AlreadyExistsError(f"{cls.name} {kid} already exists in {ns}")
            repo.put_instance(ns, cls.name, kid, values, None)
        self.rearm(ns)
        path = CIMInstance.trusted(cls, values, namespace=ns).path
        return path.relpath if path is not None else cls.name

    def delete(self, namespace: str, path: str | ObjectPath) -> None:
        """Delete a filter, consumer or binding and disarm what depended on it."""
        manager = self._events.manager
        ns, parsed = manager.parse_path(namespace, path)
        inst = manager.get_instance(ns, parsed)
        cls = inst.cimclass
        assert cls is not None
        self._kind(cls)
        manager.repository.delete_instance(ns, cls.name, key_id(cls, inst.values_set()))
        self.rearm(ns)

    def subscribe(
        self,
        namespace: str,
        name: str,
        query: str,
        consumer: CIMInstance,
        *,
        user: Any = None,
    ) -> tuple[str, str, str]:
        """Filter + consumer + binding in one call; returns their relative paths."""
        manager = self._events.manager
        ns = manager.check_namespace(namespace)
        fcls = manager.repository.get_class(ns, "__EventFilter")
        bcls = manager.repository.get_class(ns, "__FilterToConsumerBinding")
        if fcls is None or bcls is None:
            raise InvalidClassError(f"{ns} has no event subscription classes")
        filt = CIMInstance(fcls, {"Name": name, "Query": query, "QueryLanguage": "WQL"})
        fpath = self.put(ns, filt, user=user)
        cpath = self.put(ns, consumer, user=user)
        binding = CIMInstance(
            bcls,
            {"Filter": ObjectPath.parse(fpath), "Consumer": ObjectPath.parse(cpath)},
        )
        return fpath, cpath, self.put(ns, binding, user=user)

    # --- arming (Rule 1) -------------------------------------------------------------------
    def rearm(self, namespace: str | None = None) -> None:
        """Arm the stored bindings of ``namespace`` (all when None) not yet armed,
        and disarm armed ones that are gone."""
        manager = self._events.manager
        repo = manager.repository
        namespaces = [namespace] if namespace is not None else repo.list_namespaces()
        for ns in namespaces:
            nsn = normalize_namespace(ns)
            bcls = repo.get_class(ns, "__FilterToConsumerBinding")
            wanted: dict[tuple[Any, ...], CIMInstance] = {}
            if bcls is not None:
                for b in repo.iter_instances(ns, bcls):
                    f, c = b.get("Filter"), b.get("Consumer")
                    if isinstance(f, ObjectPath) and isinstance(c, ObjectPath):
                        wanted[(nsn, f.identity(), c.identity())] = b
            with self._lock:
                stale = [
                    a
                    for k, a in self._active.items()
                    if k[0] == nsn and k not in wanted
                ]
                for a in stale:
                    self._active.pop(a.key, None)
            for a in stale:
                a.sub.close()
            for key, binding in wanted.items():
                if key in self._active:
                    continue
                label = f"{ns}:{binding.path.relpath if binding.path else binding.classname}"
                try:
                    self._arm(ns, key, binding)
                except WbemError as exc:
                    self.failures[label] = str(exc)
                    _log.warning("permanent subscription %s not armed: %s", label, exc)
                else:
                    self.failures.pop(label, None)

    def _arm(self, ns: str, key: tuple[Any, ...], binding: CIMInstance) -> None:
        manager = self._events.manager
        filt = manager.get_instance(ns, binding["Filter"])
        cons = manager.get_instance(ns, binding["Consumer"])
        ccls = cons.cimclass
        assert ccls is not None
        factory = _CONSUMERS.get(ccls.name.lower())
        if factory is None:
            raise InvalidClassError(f"no standard consumer implements {ccls.name}")
        admin = uid_from_sid(cons.get("CreatorSID")) == 0
        if ccls.is_subclass_of("CommandLineEventConsumer") and not admin:
            raise AccessDeniedError(
                "CommandLineEventConsumer not created by an administrator"
            )
        consumer = factory(cons)
        plan = self._events.prepare(
            filt.get("EventNamespace") or ns,
            str(filt.get("Query") or ""),
            filt.get("QueryLanguage") or "WQL",
        )
        if plan.poll_classes and uid_from_sid(filt.get("CreatorSID")) != 0:
            raise AccessDeniedError("polling filter not created by an administrator")
        limit = int(cons.get("MaximumQueueSize") or 0) or None
        sub = self._events.subscribe(plan.namespace, plan.text, limit=limit, plan=plan)
        sub.consumer = cons.path
        active = _Active(key, sub, consumer)
        with self._lock:
            self._active[key] = active
        sub.set_notify(self._kick)
        self._ensure_thread()

    # --- delivery (Rule 5) -------------------------------------------------------------------
    def _kick(self) -> None:
        with self._cond:
            self._ready = True
            self._cond.notify_all()

    def _ensure_thread(self) -> None:
        with self._cond:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(
                    target=self._run, name="openwmi-events-consumers", daemon=True
                )
                self._thread.start()
            self._ready = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                self._ready = False
                self._busy = True
            try:
                self._drain()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _drain(self) -> None:
        with self._lock:
            active = list(self._active.values())
        for a in active:
            while True:
                try:
                    event = a.sub.get_nowait()
                except WbemError as exc:
                    _log.warning("permanent subscription failed: %s", exc)
                    with self._lock:
                        self._active.pop(a.key, None)
                    break
                if event is None:
                    break
                try:
                    a.consumer.deliver(event)
                    self.delivered += 1
                except Exception:
                    self.errors += 1
                    _log.warning("event consumer failed", exc_info=True)

    def flush(self, timeout: float = 20.0) -> bool:
        """Wait until every queued event has been handed to its consumer."""

        def idle() -> bool:
            return (
                not self._ready
                and not self._busy
                and all(a.sub.pending() == 0 for a in list(self._active.values()))
            )

        with self._cond:
            return self._cond.wait_for(idle, timeout)
