"""CIM indication subscriptions in ``root/interop`` (DSP1054 "Indications"), as
pywbem's ``WBEMSubscriptionManager`` and ``pywbemcli subscription`` use them.

Owns the MOF of CIM_IndicationFilter, CIM_ListenerDestination,
CIM_ListenerDestinationCIMXML and CIM_IndicationSubscription
(``INDICATION_MOF``), their providers, the profiles they add
(``INDICATION_PROFILES``) and ``IndicationService`` (arms one event
subscription per filter source namespace for every stored subscription and
hands it to the exporter, ``_export``). Imports manager, model, repository and
errors and the sibling ``_export``; never the client or the engine.

Rule 1 (storage). The three classes are provider-backed only to check writes
        and arm subscriptions: the instances themselves live in the repository
        (so they survive a restart, and References/ReferenceNames see the
        subscriptions like any stored association). ``install_indications``
        re-arms every stored, enabled subscription at start.
Rule 2 (filters). ``QueryLanguage`` is WQL (the default when NULL);
        ``DMTF:CQL`` or anything else → CIM_ERR_NOT_SUPPORTED with a message
        saying to use WQL. The query is validated (``manager.events.prepare``)
        in every source namespace when the filter is written; any failure
        (syntax, unknown class, not an event class …) → CIM_ERR_INVALID_PARAMETER
        carrying the event subsystem's message. Source namespaces:
        ``SourceNamespaces`` if set, else ``SourceNamespace``, else the
        filter's own (interop) namespace, as CIM_IndicationFilter says.
Rule 3 (destinations). ``Destination`` is a listener URL (``http``/``https``;
        no scheme means ``http://``); PersistenceType defaults to 2 (Permanent)
        and Protocol to 2 (CIM-XML).
Rule 4 (subscriptions). Filter and Handler must name existing instances of
        the right classes (else CIM_ERR_INVALID_PARAMETER). SubscriptionState
        defaults to 2 (Enabled); only 2 and 3 deliver, so ModifyInstance to 4
        (Disabled) pauses one. OnFatalErrorPolicy (default 2 Ignore) decides
        what happens when an indication is given up: 2 keep going, 3 Disabled,
        4 the subscription is deleted. Reading a subscription shows its live
        state: 3 (Enabled Degraded) while its destination is failing.
Rule 5 (deletion). A filter or destination that a subscription references
        cannot be deleted (CIM_ERR_FAILED, DSP1054 1.2); deleting a
        subscription stops its delivery at once (no event is taken from its
        queue afterwards).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
import uuid
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..constants import WBEM_FLAG_CREATE_ONLY, WBEM_FLAG_UPDATE_ONLY
from ..errors import (
    AlreadyExistsError,
    InvalidParameterError,
    NotFoundError,
    NotSupportedError,
    WbemError,
)
from ..manager import INTEROP_NAMESPACE, compile_into
from ..model import CIMClass, CIMDateTime, CIMInstance, CIMType, ObjectPath
from ..repository import key_id
from ._export import DeliveryPolicy, Feed, IndicationExporter

if TYPE_CHECKING:
    from ..manager import ObjectManager
    from ._export import DestinationStatistics

__all__ = [
    "INDICATION_MOF",
    "INDICATION_PROFILES",
    "IndicationService",
    "indication_service",
    "install_indications",
    "stop_indications",
]

INDICATION_MOF = """
[Description("An indication filter (DSP1054): a WQL event query over source namespaces.")]
class CIM_IndicationFilter : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string CreationClassName;
    [Key] string Name;
    [Description("Deprecated: use SourceNamespaces.")] string SourceNamespace;
    string SourceNamespaces[];
    [Required] string Query;
    string QueryLanguage;
    boolean IndividualSubscriptionSupported = true;
};

[Description("Where indications are delivered (DSP1054).")]
class CIM_ListenerDestination : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string CreationClassName;
    [Key] string Name;
    [ValueMap {"1", "2", "3"}, Values {"Other", "Permanent", "Transient"}]
    uint16 PersistenceType;
    string OtherPersistenceType;
    [Description("The listener URL, e.g. http://host:5990")] string Destination;
    [ValueMap {"1", "2", "3", "4"}, Values {"Other", "CIM-XML", "SMTP", "WS-Management"}]
    uint16 Protocol;
    string OtherProtocol;
};

[Description("A listener reached with CIM-XML ExportIndication (DSP0200).")]
class CIM_ListenerDestinationCIMXML : CIM_ListenerDestination {
};

[Association, Description("Binds an indication filter to a listener destination.")]
class CIM_IndicationSubscription {
    [Key] CIM_ManagedElement REF Filter;
    [Key] CIM_ListenerDestination REF Handler;
    [ValueMap {"1", "2", "3", "4"}, Values {"Other", "Ignore", "Disable", "Remove"}]
    uint16 OnFatalErrorPolicy;
    string OtherOnFatalErrorPolicy;
    uint64 FailureTriggerTimeInterval;
    [ValueMap {"0", "1", "2", "3", "4"},
     Values {"Unknown", "Other", "Enabled", "Enabled Degraded", "Disabled"}]
    uint16 SubscriptionState;
    string OtherSubscriptionState;
    datetime TimeOfLastStateChange;
    uint64 SubscriptionDuration;
    datetime SubscriptionStartTime;
    uint64 SubscriptionTimeRemaining;
    uint16 RepeatNotificationPolicy;
    string OtherRepeatNotificationPolicy;
    uint64 RepeatNotificationInterval;
    uint64 RepeatNotificationGap;
    uint16 RepeatNotificationCount;
    string SubscriptionInfo;
    string Description;
};
"""

#: (InstanceID, organization (2 = DMTF, 11 = SNIA), name, version)
INDICATION_PROFILES = (
    ("openwmi:DMTF:Indications:1.2.2", 2, "Indications", "1.2.2"),
    ("openwmi:SNIA:Indication:1.2.0", 11, "Indication", "1.2.0"),
)

_FILTER = "CIM_IndicationFilter"
_DEST = "CIM_ListenerDestination"
_DEST_XML = "CIM_ListenerDestinationCIMXML"
_SUB = "CIM_IndicationSubscription"
_ENABLED, _DEGRADED, _DISABLED = 2, 3, 4
_IGNORE, _DISABLE, _REMOVE = 2, 3, 4

_services: weakref.WeakKeyDictionary[ObjectManager, IndicationService] = (
    weakref.WeakKeyDictionary()
)
_services_lock = threading.Lock()


def _now() -> CIMDateTime:
    return CIMDateTime.from_datetime(_dt.datetime.now(_dt.UTC))


def _ref(value: Any, role: str) -> ObjectPath:
    if isinstance(value, str):
        try:
            value = ObjectPath.parse(value)
        except WbemError as exc:
            raise InvalidParameterError(
                f"{_SUB}.{role} is not an object path: {exc.message}"
            ) from exc
    if not isinstance(value, ObjectPath) or not value.is_instance:
        raise InvalidParameterError(f"{_SUB}.{role} must name an instance")
    # stored without host, in the interop namespace: the form every client
    # compares with the paths it enumerated (pywbem's owned-subscription check)
    return ObjectPath(
        value.classname,
        value.keybindings,
        value.namespace or INTEROP_NAMESPACE,
        None,
        value.singleton,
    )


def listener_url(value: Any) -> str:
    """A destination's URL checked (Rule 3).

    Raises:
        InvalidParameterError: not an http(s) URL with a host.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(
            f"{_DEST}.Destination (the listener URL) is required"
        )
    url = value.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError(
            f"{_DEST}.Destination {value!r} is not an http(s) listener URL"
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise InvalidParameterError(
            f"{_DEST}.Destination {value!r} has a bad port"
        ) from None
    return url


class _Armed:
    """An armed CIM_IndicationSubscription: its feeds and destination."""

    def __init__(self, kid: str, dest_key: str, feeds: list[Feed], policy: int) -> None:
        self.kid = kid
        self.dest_key = dest_key
        self.feeds = feeds
        self.policy = policy


class IndicationService:
    """Filters, destinations and subscriptions of one object manager (Rules 1-5).

    Args:
        manager: the object manager (its ``root/interop`` gets the classes).
        policy: delivery limits.
        exporter: the exporter (default: one over ``policy``).
    """

    def __init__(
        self,
        manager: ObjectManager,
        policy: DeliveryPolicy | None = None,
        *,
        exporter: IndicationExporter | None = None,
    ) -> None:
        self.manager = manager
        self.namespace = INTEROP_NAMESPACE
        self.exporter = exporter or IndicationExporter(policy)
        self._lock = threading.RLock()
        self._armed: dict[str, _Armed] = {}
        self.failures: dict[str, str] = {}  # subscription path → why not armed
        self.run_id = uuid.uuid4().hex[:12]  # SequenceContext: new per run
        self._stopped = False

    # --- classes and lifecycle -------------------------------------------------------
    def install(self) -> None:
        """Compile the classes where missing, register the providers, re-arm."""
        manager, ns = self.manager, self.namespace
        if manager.find_class(manager.check_namespace(ns), _SUB) is None:
            compile_into(manager, ns, INDICATION_MOF, filename="<indications>")
        for classname in (_FILTER, _DEST, _DEST_XML, _SUB):
            manager.providers.unregister(ns, classname)
            manager.register_provider(ns, classname, _StoredProvider(self, classname))
        self.rearm()

    def stop(self) -> None:
        """Disarm everything and stop the delivery threads (idempotent)."""
        with self._lock:
            self._stopped = True
            armed, self._armed = list(self._armed.values()), {}
        for a in armed:
            self._close(a)
        self.exporter.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def configure(self, policy: DeliveryPolicy) -> None:
        """Use ``policy`` from now on (for running destinations too)."""
        self.exporter.policy = policy
        for dest in self.exporter.destinations():
            dest.policy = policy

    def statistics(self) -> list[DestinationStatistics]:
        """Per-destination delivery state (``_export`` Rule 4)."""
        return self.exporter.statistics()

    def armed_count(self) -> int:
        return len(self._armed)

    def flush(self, timeout: float = 20.0) -> bool:
        """Wait until every queued indication is sent or given up."""
        return self.exporter.flush(timeout)

    # --- repository helpers ------------------------------------------------------------
    def _class(self, name: str) -> CIMClass:
        cls = self.manager.repository.get_class(self.namespace, name)
        if cls is None:
            raise NotFoundError(f"class {name} is missing from {self.namespace}")
        return cls

    def _stored(self, cls: CIMClass) -> Iterator[CIMInstance]:
        yield from self.manager.repository.iter_instances(self.namespace, cls)

    def _get(self, path: ObjectPath) -> CIMInstance | None:
        repo = self.manager.repository
        cls = repo.get_class(self.namespace, path.classname)
        if cls is None:
            return None
        return repo.get_instance(self.namespace, cls, self._kid(cls, path))

    def _kid(self, cls: CIMClass, path: ObjectPath) -> str:
        values: dict[str, Any] = {}
        for name, value in path.keybindings:
            prop = cls.properties.get(name)
            if prop is None:
                continue
            if prop.type is CIMType.REFERENCE:
                value = _ref(value, prop.name)
            elif prop.type is CIMType.STRING and not isinstance(value, str):
                value = str(value)
            values[prop.name] = value
        return key_id(cls, values)

    def _referencing(self, path: ObjectPath, role: str) -> list[CIMInstance]:
        target = _ref(path, role).identity()
        out = []
        for sub in self._stored(self._class(_SUB)):
            ref = sub.get(role)
            if isinstance(ref, ObjectPath) and ref.identity() == target:
                out.append(sub)
        return out

    def write(self, cls: CIMClass, values: dict[str, Any], flags: int) -> str:
        repo = self.manager.repository
        kid = key_id(cls, values)
        with repo.transaction():
            exists = repo.instance_exists(self.namespace, cls.name, kid)
            path = CIMInstance.trusted(cls, values, namespace=self.namespace).path
            rel = path.relpath if path is not None else cls.name
            if exists and flags & WBEM_FLAG_CREATE_ONLY:
                raise AlreadyExistsError(f"{rel} already exists in {self.namespace}")
            if not exists and flags & WBEM_FLAG_UPDATE_ONLY:
                raise NotFoundError(f"{rel} does not exist in {self.namespace}")
            repo.put_instance(self.namespace, cls.name, kid, values, None)
        return rel

    def remove(self, cls: CIMClass, path: ObjectPath) -> None:
        if not self.manager.repository.delete_instance(
            self.namespace, cls.name, self._kid(cls, path)
        ):
            raise NotFoundError(f"{path.relpath} not found in {self.namespace}")

    # --- checks (Rules 2-4) --------------------------------------------------------------
    def source_namespaces(self, filt: CIMInstance | dict[str, Any]) -> list[str]:
        many = filt.get("SourceNamespaces")
        if many:
            return [str(n) for n in many if n]
        one = filt.get("SourceNamespace")
        return [str(one)] if one else [self.namespace]

    def check_filter(self, values: dict[str, Any]) -> list[Any]:
        """Rule 2: the language, then the query in each source namespace; the plans.

        Raises:
            NotSupportedError: not WQL.
            InvalidParameterError: the query does not work in a source namespace.
        """
        language = values.get("QueryLanguage")
        if language is None or not str(language).strip():
            language = values["QueryLanguage"] = "WQL"
        if str(language).strip().upper() != "WQL":
            raise NotSupportedError(
                f"{_FILTER}.QueryLanguage {language!r} is not supported: openwmi "
                "filters are WQL (e.g. SELECT * FROM __InstanceCreationEvent "
                "WHERE TargetInstance ISA 'CIM_Foo'); CQL is not implemented",
                cim_status=7,
            )
        query = values.get("Query")
        if not isinstance(query, str) or not query.strip():
            raise InvalidParameterError(f"{_FILTER}.Query is required")
        plans = []
        for ns in self.source_namespaces(values):
            try:
                plans.append(self.manager.events.prepare(ns, query, "WQL"))
            except WbemError as exc:
                raise InvalidParameterError(
                    f"{_FILTER}.Query {query!r} is not a usable event query in "
                    f"{ns}: {exc.name}: {exc.message}"
                ) from exc
        return plans

    def check_subscription(
        self, values: dict[str, Any]
    ) -> tuple[CIMInstance, CIMInstance]:
        """Rule 4: the filter and the handler (stored, of the right classes)."""
        found = []
        for role, base in (("Filter", _FILTER), ("Handler", _DEST)):
            ref = values.get(role)
            if ref is None:
                raise InvalidParameterError(f"{_SUB}.{role} is required")
            ref = values[role] = _ref(ref, role)
            cls = self.manager.repository.get_class(self.namespace, ref.classname)
            if cls is None or not cls.is_subclass_of(base):
                raise InvalidParameterError(
                    f"{_SUB}.{role} must name a {base} in {self.namespace}, "
                    f"not {ref.classname}"
                )
            inst = self._get(ref)
            if inst is None:
                raise InvalidParameterError(
                    f"{_SUB}.{role} {ref.relpath} does not exist in {self.namespace}"
                )
            found.append(inst)
        return found[0], found[1]

    # --- arming ------------------------------------------------------------------------------
    def rearm(self) -> None:
        """Arm every stored, enabled subscription not armed yet (Rule 1)."""
        for sub in list(self._stored(self._class(_SUB))):
            label = sub.path.relpath if sub.path is not None else _SUB
            try:
                self.arm(sub)
            except WbemError as exc:
                self.failures[label] = str(exc)
            else:
                self.failures.pop(label, None)

    def _sub_kid(self, sub: CIMInstance | dict[str, Any]) -> str:
        values = sub.values_set() if isinstance(sub, CIMInstance) else sub
        return key_id(self._class(_SUB), values)

    def arm(self, sub: CIMInstance | dict[str, Any]) -> None:
        """Start delivering ``sub`` (no-op when armed already or not enabled)."""
        values = sub.values_set() if isinstance(sub, CIMInstance) else dict(sub)
        kid = self._sub_kid(values)
        state = values.get("SubscriptionState")
        with self._lock:
            if self._stopped or kid in self._armed:
                return
            if state not in (None, _ENABLED, _DEGRADED):
                return
            filt, dest = self.check_subscription(values)
            plans = self.check_filter(filt.values_set())
            url = listener_url(dest.get("Destination"))
            dest_key = str(dest.path.relpath) if dest.path is not None else url
            policy = values.get("OnFatalErrorPolicy") or _IGNORE
            limit = self.exporter.policy.queue_limit
            events = self.manager.events
            feeds: list[Feed] = []
            try:
                for plan in plans:
                    source = events.subscribe(
                        plan.namespace, plan.text, limit=limit, plan=plan
                    )
                    feeds.append(
                        Feed(
                            source,
                            filter_name=str(filt.get("Name")),
                            context=self._context(kid, plan.namespace),
                            on_fatal=self._on_fatal,
                        )
                    )
            except WbemError:
                for f in feeds:
                    f.close()
                raise
            armed = _Armed(kid, dest_key, feeds, int(policy))
            self._armed[kid] = armed
            destination = self.exporter.destination(dest_key, url)
            for f in feeds:
                f.armed = armed
                destination.attach(f)

    def _context(self, kid: str, namespace: str) -> str:
        digest = hashlib.sha1(f"{kid}|{namespace}".encode()).hexdigest()[:16]
        return f"{self.run_id}:{digest}"

    def disarm(self, kid: str) -> None:
        with self._lock:
            armed = self._armed.pop(kid, None)
        if armed is not None:
            self._close(armed)

    def _close(self, armed: _Armed) -> None:
        dest = self.exporter.get(armed.dest_key)
        for f in armed.feeds:
            if dest is not None:
                dest.detach(f)
            else:
                f.close()
        # on the destination's own thread (OnFatalErrorPolicy) stop() skips the join
        self.exporter.release(armed.dest_key)

    def rearm_referencing(self, path: ObjectPath, role: str) -> None:
        """A filter or destination changed: re-arm the subscriptions using it."""
        for sub in self._referencing(path, role):
            self.disarm(self._sub_kid(sub))
            self.arm(sub)

    def _on_fatal(self, feed: Feed, error: str) -> None:
        """An indication of ``feed`` was given up: apply OnFatalErrorPolicy (Rule 4)."""
        armed = feed.armed
        if not isinstance(armed, _Armed) or armed.policy not in (_DISABLE, _REMOVE):
            return
        with self._lock:
            if self._armed.get(armed.kid) is not armed:
                return
            cls = self._class(_SUB)
            sub = next(
                (s for s in self._stored(cls) if self._sub_kid(s) == armed.kid), None
            )
            self.disarm(armed.kid)
            if sub is None:
                return
            if armed.policy == _REMOVE:
                self.manager.repository.delete_instance(
                    self.namespace, cls.name, armed.kid
                )
                return
            values = sub.values_set()
            values["SubscriptionState"] = _DISABLED
            values["TimeOfLastStateChange"] = _now()
            self.write(cls, values, 0)

    def live_state(self, sub: CIMInstance) -> int | None:
        """SubscriptionState as delivery sees it (Rule 4)."""
        stored = sub.get("SubscriptionState")
        armed = self._armed.get(self._sub_kid(sub))
        if armed is None:
            return stored if isinstance(stored, int) else None
        dest = self.exporter.get(armed.dest_key)
        if dest is not None and dest.state.value == "failing":
            return _DEGRADED
        return _ENABLED


class _StoredProvider:
    """One of the four classes: reads from the repository, checked writes (Rule 1)."""

    def __init__(self, service: IndicationService, classname: str) -> None:
        self.service = service
        self.classname = classname

    def _view(self, inst: CIMInstance) -> CIMInstance:
        if self.classname != _SUB:
            return inst
        state = self.service.live_state(inst)
        if state == inst.get("SubscriptionState"):
            return inst
        out = inst.copy()
        out["SubscriptionState"] = state
        return out

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[CIMInstance]:
        for inst in self.service._stored(self.service._class(classname)):
            yield self._view(inst)

    def get_instance(self, ctx: Any, path: ObjectPath) -> CIMInstance | None:
        inst = self.service._get(path)
        return None if inst is None else self._view(inst)

    def put_instance(self, ctx: Any, inst: CIMInstance, flags: int) -> str:
        service = self.service
        cls = service._class(inst.classname)
        values = inst.values_set()
        if self.classname == _FILTER:
            service.check_filter(values)
            rel = service.write(cls, values, flags)
            if not flags & WBEM_FLAG_CREATE_ONLY:
                service.rearm_referencing(ObjectPath.parse(rel), "Filter")
            return rel
        if self.classname in (_DEST, _DEST_XML):
            values["Destination"] = listener_url(values.get("Destination"))
            if values.get("PersistenceType") is None:
                values["PersistenceType"] = 2
            if values.get("Protocol") is None:
                values["Protocol"] = 2
            rel = service.write(cls, values, flags)
            if not flags & WBEM_FLAG_CREATE_ONLY:
                service.rearm_referencing(ObjectPath.parse(rel), "Handler")
            return rel
        filt, dest = service.check_subscription(values)
        service.check_filter(filt.values_set())
        listener_url(dest.get("Destination"))
        if values.get("SubscriptionState") is None:
            values["SubscriptionState"] = _ENABLED
        if values.get("OnFatalErrorPolicy") is None:
            values["OnFatalErrorPolicy"] = _IGNORE
        if values.get("SubscriptionStartTime") is None:
            values["SubscriptionStartTime"] = _now()
        with service._lock:
            rel = service.write(cls, values, flags)
            kid = service._sub_kid(values)
            service.disarm(kid)
            service.arm(values)
        return rel

    def delete_instance(self, ctx: Any, path: ObjectPath) -> None:
        service = self.service
        cls = service._class(path.classname)
        if self.classname == _SUB:
            kid = service._kid(cls, path)
            service.disarm(kid)
            service.remove(cls, path)
            return
        role = "Filter" if self.classname == _FILTER else "Handler"
        users = service._referencing(path.with_namespace(service.namespace), role)
        if users:
            raise WbemError(
                f"{path.relpath} is referenced by {len(users)} "
                f"{_SUB} instance(s); delete them first (DSP1054)",
                cim_status=1,
            )
        service.remove(cls, path)


def install_indications(
    manager: ObjectManager, policy: DeliveryPolicy | None = None
) -> IndicationService:
    """The manager's indication service, installed and armed (idempotent while
    it runs; a stopped one is replaced)."""
    with _services_lock:
        service = _services.get(manager)
        if service is not None and not service.stopped:
            return service
        service = IndicationService(manager, policy)
        _services[manager] = service
    service.install()
    return service


def indication_service(manager: ObjectManager) -> IndicationService | None:
    """The running indication service of ``manager``, if any."""
    service = _services.get(manager)
    return service if service is not None and not service.stopped else None


def stop_indications(manager: ObjectManager) -> None:
    """Stop the indication service of ``manager`` (delivery threads end)."""
    service = _services.get(manager)
    if service is not None:
        service.stop()
