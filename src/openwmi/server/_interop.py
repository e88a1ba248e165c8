"""The interop namespace ``root/interop`` as pywbem's WBEMServer and pywbemcli
expect it (DSP1033 profile registration, DSP0200 namespace discovery).

Owns the small MOF of the CIM_ classes it needs (written from DSP0004/CIM
schema facts: CIM_ManagedElement, CIM_Namespace, CIM_ObjectManager,
CIM_RegisteredProfile) and their providers:

* CIM_Namespace: one instance per namespace of the repository, computed on
  every request (so namespaces made through ``__NAMESPACE`` show up too);
  CreateInstance creates a namespace, DeleteInstance deletes an empty one.
* CIM_ObjectManager: exactly one instance, ElementName ``openwmi``.
* CIM_RegisteredProfile: only what is really implemented (DMTF Profile
  Registration 1.0.0).

Imports manager, model and errors; never the client or the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import (
    AlreadyExistsError,
    InvalidParameterError,
    NotFoundError,
    WbemError,
)
from ..manager import INTEROP_NAMESPACE, SYSTEM_NAMESPACES, compile_into
from ..model import CIMInstance, ObjectPath
from ._indications import INDICATION_PROFILES, install_indications

if TYPE_CHECKING:
    from ..manager import ObjectManager

__all__ = ["INTEROP_MOF", "install_interop"]

INTEROP_MOF = """
[Abstract, Description("The root of the CIM class hierarchy (DSP0004).")]
class CIM_ManagedElement {
    string InstanceID;
    string Caption;
    string Description;
    string ElementName;
};

[Description("A namespace of the object manager (DSP0200 namespace discovery).")]
class CIM_Namespace : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string ObjectManagerCreationClassName;
    [Key] string ObjectManagerName;
    [Key] string CreationClassName;
    [Key] string Name;
    uint16 ClassInfo;
    uint16 ClassType;
    string ClassTypeVersion;
    string DescriptionOfClassInfo;
};

[Description("The object manager itself; exactly one instance.")]
class CIM_ObjectManager : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string CreationClassName;
    [Key] string Name;
    boolean GatherStatisticalData;
    uint16 EnabledState;
    string Version;
};

[Description("A management profile this server implements (DSP1033).")]
class CIM_RegisteredProfile : CIM_ManagedElement {
    [Key] string InstanceID;
    [ValueMap {"1", "2", "3", "11", "12"},
     Values {"Other", "DMTF", "CompTIA", "SNIA", "TM Forum"}]
    uint16 RegisteredOrganization;
    string OtherRegisteredOrganization;
    string RegisteredName;
    string RegisteredVersion;
    [ValueMap {"1", "2", "3"}, Values {"Other", "Not Advertised", "SLP"}]
    uint16 AdvertiseTypes[];
    string AdvertiseTypeDescriptions[];
};
"""

_SYSTEM_CCN = "CIM_ComputerSystem"
_OM_CCN = "CIM_ObjectManager"
_OM_NAME = "openwmi"
#: (InstanceID, organization (2 = DMTF), name, version) actually implemented
_PROFILES = (
    ("openwmi:DMTF:Profile Registration:1.0.0", 2, "Profile Registration", "1.0.0"),
)


class NamespaceProvider:
    """CIM_Namespace over the repository's namespaces."""

    def __init__(self, manager: ObjectManager) -> None:
        self.manager = manager

    def _inst(self, name: str) -> dict[str, Any]:
        return {
            "SystemCreationClassName": _SYSTEM_CCN,
            "SystemName": self.manager.server,
            "ObjectManagerCreationClassName": _OM_CCN,
            "ObjectManagerName": _OM_NAME,
            "CreationClassName": "CIM_Namespace",
            "Name": name,
            "ClassInfo": 0,
            "ClassType": 0,
        }

    def enumerate_instances(self, ctx: Any, classname: str) -> Any:
        for ns in self.manager.list_namespaces():
            yield self._inst(ns)

    def get_instance(self, ctx: Any, path: ObjectPath) -> Any:
        try:
            name = str(path.key("Name"))
        except KeyError:
            return None
        for ns in self.manager.list_namespaces():
            if ns.lower().strip("/") == name.replace("\\", "/").lower().strip("/"):
                return self._inst(ns)
        return None

    def put_instance(self, ctx: Any, inst: CIMInstance, flags: int) -> str:
        name = inst.get("Name")
        if not isinstance(name, str) or not name.strip("/"):
            raise InvalidParameterError("CIM_Namespace.Name is required")
        name = name.replace("\\", "/").strip("/")
        if self.manager.repository.namespace_exists(name):
            raise AlreadyExistsError(f"namespace {name} already exists")
        self.manager.create_namespace(name)
        values = self._inst(name)
        keys = (
            "SystemCreationClassName",
            "SystemName",
            "ObjectManagerCreationClassName",
            "ObjectManagerName",
            "CreationClassName",
            "Name",
        )
        return ObjectPath("CIM_Namespace", tuple((k, values[k]) for k in keys)).relpath

    def delete_instance(self, ctx: Any, path: ObjectPath) -> None:
        try:
            name = str(path.key("Name")).replace("\\", "/").strip("/")
        except KeyError:
            raise InvalidParameterError("CIM_Namespace path needs Name") from None
        if not self.manager.repository.namespace_exists(name):
            raise NotFoundError(f"namespace {name} does not exist")
        if name.lower() in (n.lower() for n in SYSTEM_NAMESPACES):
            raise WbemError(
                f"namespace {name} is a system namespace and cannot be deleted",
                cim_status=1,
            )
        low = name.lower() + "/"
        if any(n.lower().startswith(low) for n in self.manager.list_namespaces()):
            raise WbemError(f"namespace {name} has child namespaces", cim_status=20)
        self.manager.repository.delete_namespace(name)


class ObjectManagerProvider:
    """Exactly one CIM_ObjectManager: brand openwmi."""

    def __init__(self, manager: ObjectManager) -> None:
        self.manager = manager

    def _inst(self) -> dict[str, Any]:
        return {
            "SystemCreationClassName": _SYSTEM_CCN,
            "SystemName": self.manager.server,
            "CreationClassName": _OM_CCN,
            "Name": _OM_NAME,
            "ElementName": "openwmi",
            "Description": f"openwmi CIM server {__version__}",
            "Version": __version__,
            "GatherStatisticalData": False,
            "EnabledState": 2,
        }

    def enumerate_instances(self, ctx: Any, classname: str) -> Any:
        yield self._inst()

    def get_instance(self, ctx: Any, path: ObjectPath) -> Any:
        inst = self._inst()
        for k, v in path.keybindings:
            if str(inst.get(k, "")).lower() != str(v).lower():
                return None
        return inst


class ProfileProvider:
    """CIM_RegisteredProfile for the profiles openwmi implements."""

    def _insts(self) -> list[dict[str, Any]]:
        return [
            {
                "InstanceID": iid,
                "RegisteredOrganization": org,
                "RegisteredName": name,
                "RegisteredVersion": version,
                "AdvertiseTypes": [2],  # Not Advertised (no SLP)
                "ElementName": name,
            }
            for iid, org, name, version in (*_PROFILES, *INDICATION_PROFILES)
        ]

    def enumerate_instances(self, ctx: Any, classname: str) -> Any:
        yield from self._insts()

    def get_instance(self, ctx: Any, path: ObjectPath) -> Any:
        try:
            iid = str(path.key("InstanceID"))
        except KeyError:
            return None
        return next((i for i in self._insts() if i["InstanceID"] == iid), None)


def install_interop(manager: ObjectManager) -> None:
    """Make sure ``root/interop`` has the classes and providers (idempotent)."""
    ns = INTEROP_NAMESPACE
    if not manager.repository.namespace_exists(ns):
        manager.create_namespace(ns)
    if manager.find_class(manager.check_namespace(ns), "CIM_RegisteredProfile") is None:
        compile_into(manager, ns, INTEROP_MOF, filename="<interop>")
    for classname, provider in (
        ("CIM_Namespace", NamespaceProvider(manager)),
        ("CIM_ObjectManager", ObjectManagerProvider(manager)),
        ("CIM_RegisteredProfile", ProfileProvider()),
    ):
        if manager.providers.get(ns, classname) is None:
            manager.register_provider(ns, classname, provider)
    install_indications(manager)  # DSP1054 filters/destinations/subscriptions
