"""The WMI system classes every namespace holds (``__SystemClass``, ``__NAMESPACE``,
the ``__Event`` tree, ``__PARAMETERS``, ``__ExtendedStatus``).

Owns their definitions as model objects (spec §6.5, §7.6; WMI class pages).
Imports only model.
"""

from __future__ import annotations

from ..model import (
    CIMClass,
    CIMProperty,
    CIMType,
    NocaseDict,
    Qualifier,
    resolve_class,
)

__all__ = ["INTEROP_NAMESPACE", "SYSTEM_NAMESPACES", "system_classes"]

INTEROP_NAMESPACE = "root/interop"
#: Created on first start (issue 2; root/interop for DSP1033-style clients).
SYSTEM_NAMESPACES = ("root", "root/cimv2", "root/default", INTEROP_NAMESPACE)

_S, _U8, _U32, _U64, _S32 = (
    CIMType.STRING,
    CIMType.UINT8,
    CIMType.UINT32,
    CIMType.UINT64,
    CIMType.SINT32,
)
_OBJ = CIMType.OBJECT

# (name, superclass, abstract, indication, [(prop, type, is_array, key)])
_DEFS: list[
    tuple[str, str | None, bool, bool, list[tuple[str, CIMType, bool, bool]]]
] = [
    ("__SystemClass", None, True, False, []),
    ("__NAMESPACE", "__SystemClass", False, False, [("Name", _S, False, True)]),
    ("__PARAMETERS", "__SystemClass", False, False, []),
    (
        "__ExtendedStatus",
        "__SystemClass",
        False,
        False,
        [
            ("Description", _S, False, False),
            ("Operation", _S, False, False),
            ("ParameterInfo", _S, False, False),
            ("ProviderName", _S, False, False),
            ("StatusCode", _U32, False, False),
        ],
    ),
    ("__IndicationRelated", "__SystemClass", True, False, []),
    (
        "__Event",
        "__IndicationRelated",
        True,
        True,
        [
            ("SECURITY_DESCRIPTOR", _U8, True, False),
            ("TIME_CREATED", _U64, False, False),
        ],
    ),
    (
        "__InstanceOperationEvent",
        "__Event",
        False,
        True,
        [("TargetInstance", _OBJ, False, False)],
    ),
    ("__InstanceCreationEvent", "__InstanceOperationEvent", False, True, []),
    ("__InstanceDeletionEvent", "__InstanceOperationEvent", False, True, []),
    (
        "__InstanceModificationEvent",
        "__InstanceOperationEvent",
        False,
        True,
        [("PreviousInstance", _OBJ, False, False)],
    ),
    (
        "__ClassOperationEvent",
        "__Event",
        False,
        True,
        [("TargetClass", _OBJ, False, False)],
    ),
    ("__ClassCreationEvent", "__ClassOperationEvent", False, True, []),
    ("__ClassDeletionEvent", "__ClassOperationEvent", False, True, []),
    (
        "__ClassModificationEvent",
        "__ClassOperationEvent",
        False,
        True,
        [("PreviousClass", _OBJ, False, False)],
    ),
    (
        "__NamespaceOperationEvent",
        "__Event",
        False,
        True,
        [("TargetNamespace", _OBJ, False, False)],
    ),
    ("__NamespaceCreationEvent", "__NamespaceOperationEvent", False, True, []),
    ("__NamespaceDeletionEvent", "__NamespaceOperationEvent", False, True, []),
    (
        "__NamespaceModificationEvent",
        "__NamespaceOperationEvent",
        False,
        True,
        [("PreviousNamespace", _OBJ, False, False)],
    ),
    ("__ExtrinsicEvent", "__Event", False, True, []),
    (
        "__TimerEvent",
        "__Event",
        False,
        True,
        [("NumFirings", _U32, False, False), ("TimerId", _S, False, False)],
    ),
    (
        "__EventDroppedEvent",
        "__ExtrinsicEvent",
        False,
        True,
        [
            ("Event", _OBJ, False, False),
            ("IntendedConsumer", CIMType.REFERENCE, False, False),
        ],
    ),
    ("__EventQueueOverflowEvent", "__EventDroppedEvent", False, True, []),
    (
        "__AggregateEvent",
        "__IndicationRelated",
        False,
        True,
        [
            ("NumberOfEvents", _U32, False, False),
            ("Representative", _OBJ, False, False),
        ],
    ),
    (
        "__MethodInvocationEvent",
        "__InstanceOperationEvent",
        False,
        True,
        [
            ("Method", _S, False, False),
            ("Parameters", _OBJ, False, False),
            ("PreCall", CIMType.BOOLEAN, False, False),
        ],
    ),
    (
        "__ConsumerFailureEvent",
        "__EventDroppedEvent",
        False,
        True,
        [("ErrorCode", _U32, False, False)],
    ),
]


def _q(name: str, value: object = True) -> Qualifier:
    return Qualifier(name, value, CIMType.BOOLEAN if isinstance(value, bool) else None)


def system_classes(namespace: str) -> list[CIMClass]:
    """Resolved system classes for ``namespace``, parents before children."""
    out: dict[str, CIMClass] = {}
    for name, sup, abstract, indication, props in _DEFS:
        quals: NocaseDict[Qualifier] = NocaseDict()
        if abstract:
            quals["Abstract"] = Qualifier(
                "Abstract", True, CIMType.BOOLEAN, tosubclass=False
            )
        if indication:
            quals["Indication"] = _q("Indication")
        pdict: NocaseDict[CIMProperty] = NocaseDict()
        for pname, ptype, is_array, key in props:
            pq: NocaseDict[Qualifier] = NocaseDict()
            if key:
                pq["Key"] = _q("Key")
            pdict[pname] = CIMProperty(pname, ptype, is_array, qualifiers=pq)
        local = CIMClass(name, sup, pdict, qualifiers=quals, namespace=namespace)
        out[name.lower()] = resolve_class(local, out[sup.lower()] if sup else None)
    return list(out.values())
