"""pywbem's WBEMSubscriptionManager + WBEMListener against ``openwmi serve``
(issue 6, "CIM indications over the wire"), over real loopback sockets."""

from __future__ import annotations

from pathlib import Path

import pytest
import pywbem
from pywbem import CIMError, WBEMSubscriptionManager

from .conftest import (
    CREATION_T_BASE,
    CREATION_T_OTHER,
    INTEROP,
    NS,
    Env,
    Listener,
    start_env,
)


def _code(info: pytest.ExceptionInfo[CIMError]) -> int:
    return int(info.value.status_code)


def subscribe(
    sm: WBEMSubscriptionManager,
    sid: str,
    lis: Listener,
    query: str = CREATION_T_BASE,
    ident: str = "f1",
    dest: str = "d1",
) -> tuple[pywbem.CIMInstance, pywbem.CIMInstance, list[pywbem.CIMInstance]]:
    d = sm.add_destination(sid, lis.url, destination_id=dest)
    f = sm.add_filter(sid, NS, query, filter_id=ident)
    subs = sm.add_subscriptions(sid, f.path, [d.path])
    return f, d, subs


def test_put_instance_reaches_the_listener(env: Env, listener: Listener) -> None:
    with WBEMSubscriptionManager("t") as sm:
        sid = sm.add_server(env.wbem_server())
        f, _d, subs = subscribe(sm, sid, listener)
        assert subs[0]["SubscriptionState"] == 2  # Enabled
        env.put("T_Base", "a", N=1)
        env.put("T_Other", "ignored")  # the filter does not match
        env.put("T_Base", "b", N=2)
        got = listener.wait_count(2)
    first, second = got[0], got[1]
    assert first.classname == "__InstanceCreationEvent"
    target = first["TargetInstance"]
    # TargetInstance travels as an EmbeddedObject; pywbem decodes it
    assert isinstance(target, pywbem.CIMInstance)
    assert target.classname == "T_Base"
    assert target["Name"] == "a"
    assert target["N"] == 1
    assert second["TargetInstance"]["Name"] == "b"
    assert first["TIME_CREATED"] > 0
    # DSP1054 delivery sequencing
    assert first["IndicationFilterName"] == f["Name"]
    assert first["SequenceContext"] == second["SequenceContext"]
    assert [first["SequenceNumber"], second["SequenceNumber"]] == [0, 1]
    assert len(got) == 2
    # the owned objects were removed on exit
    conn = env.conn()
    for cls in (
        "CIM_IndicationSubscription",
        "CIM_IndicationFilter",
        "CIM_ListenerDestinationCIMXML",
    ):
        assert conn.EnumerateInstances(cls) == []
    assert env.service.armed_count() == 0


def test_get_enumerate_references_and_delete_rules(
    env: Env, listener: Listener
) -> None:
    with WBEMSubscriptionManager("t") as sm:
        sid = sm.add_server(env.wbem_server())
        f, d, subs = subscribe(sm, sid, listener)
        conn = env.conn()
        # what pywbem created it reads back unchanged
        filt = conn.GetInstance(f.path)
        assert filt["Query"] == CREATION_T_BASE
        assert filt["QueryLanguage"] == "WQL"
        assert filt["SourceNamespaces"] == [NS]
        assert filt["SystemName"] == env.manager.server
        dest = conn.GetInstance(d.path)
        assert dest["Destination"] == listener.url
        assert dest["PersistenceType"] == 3  # pywbem: owned = Transient
        assert dest.classname == "CIM_ListenerDestinationCIMXML"
        sub = conn.GetInstance(subs[0].path)
        assert sub["Filter"] == f.path
        assert sub["Handler"] == d.path
        assert sub["OnFatalErrorPolicy"] == 2
        # the base class enumerates the CIM-XML destinations too
        assert [i.path for i in conn.EnumerateInstances("CIM_ListenerDestination")] == [
            d.path
        ]
        assert sm.get_owned_filters(sid)[0].path == f.path
        assert len(sm.get_all_subscriptions(sid)) == 1
        refs = conn.ReferenceNames(d.path, ResultClass="CIM_IndicationSubscription")
        assert [r.keybindings["Filter"] for r in refs] == [f.path]
        assoc = conn.AssociatorNames(f.path, AssocClass="CIM_IndicationSubscription")
        assert [a.classname for a in assoc] == ["CIM_ListenerDestinationCIMXML"]
        # DSP1054: referenced filters and destinations cannot be deleted
        for path in (f.path, d.path):
            with pytest.raises(CIMError) as info:
                conn.DeleteInstance(path)
            assert _code(info) == 1
            assert "referenced" in str(info.value)
        # duplicates are refused
        with pytest.raises(CIMError) as info:
            conn.CreateInstance(filt)
        assert _code(info) == 11
        sm.remove_subscriptions(sid, [subs[0].path])
        with pytest.raises(CIMError) as info:
            conn.GetInstance(subs[0].path)
        assert _code(info) == 6


def test_removing_the_subscription_stops_delivery(env: Env, listener: Listener) -> None:
    """A second subscription on the same destination is the marker: both feed
    one delivery thread in order, so once the marker's indication arrived,
    anything the removed subscription had sent would have arrived before it."""
    with WBEMSubscriptionManager("t") as sm:
        sid = sm.add_server(env.wbem_server())
        _, d, subs = subscribe(sm, sid, listener)
        f2 = sm.add_filter(sid, NS, CREATION_T_OTHER, filter_id="f2")
        sm.add_subscriptions(sid, f2.path, [d.path])
        env.put("T_Base", "before")
        listener.wait_count(1)
        sm.remove_subscriptions(sid, [subs[0].path])
        env.put("T_Base", "after")
        env.put("T_Other", "marker")
        got = listener.wait_for(
            lambda g: any(i["TargetInstance"]["Name"] == "marker" for i in g)
        )
    names = [i["TargetInstance"]["Name"] for i in got]
    assert names == ["before", "marker"]


def test_subscription_state_disabled_pauses_delivery(
    env: Env, listener: Listener
) -> None:
    with WBEMSubscriptionManager("t") as sm:
        sid = sm.add_server(env.wbem_server())
        _, d, subs = subscribe(sm, sid, listener)
        f2 = sm.add_filter(sid, NS, CREATION_T_OTHER, filter_id="f2")
        sm.add_subscriptions(sid, f2.path, [d.path])
        conn = env.conn()
        sub = conn.GetInstance(subs[0].path)
        sub["SubscriptionState"] = pywbem.Uint16(4)
        conn.ModifyInstance(sub, PropertyList=["SubscriptionState"])
        assert conn.GetInstance(subs[0].path)["SubscriptionState"] == 4
        env.put("T_Base", "paused")
        env.put("T_Other", "marker")
        listener.wait_count(1)
        sub["SubscriptionState"] = pywbem.Uint16(2)
        conn.ModifyInstance(sub, PropertyList=["SubscriptionState"])
        env.put("T_Base", "resumed")
        got = listener.wait_count(2)
    assert [i["TargetInstance"]["Name"] for i in got] == ["marker", "resumed"]


@pytest.mark.parametrize(
    ("query", "language", "code", "text"),
    [
        pytest.param(
            "SELECT * FROM __InstanceCreationEvent WHERE",
            "WQL",
            4,
            "UNPARSABLE",
            id="syntax",
        ),
        pytest.param("SELECT * FROM T_Nope", "WQL", 4, "T_Nope", id="unknown-class"),
        pytest.param("SELECT * FROM T_Base", "WQL", 4, "NOT_EVENT", id="not-events"),
        pytest.param("SELECT * FROM CIM_InstCreation", "DMTF:CQL", 7, "WQL", id="cql"),
    ],
)
def test_bad_filters_are_refused(
    env: Env, query: str, language: str, code: int, text: str
) -> None:
    with WBEMSubscriptionManager("t") as sm:
        sid = sm.add_server(env.wbem_server())
        with pytest.raises(CIMError) as info:
            sm.add_filter(sid, NS, query, query_language=language, filter_id="bad")
        assert _code(info) == code
        assert text in str(info.value)
    assert env.conn().EnumerateInstances("CIM_IndicationFilter") == []


def test_bad_destinations_and_subscriptions_are_refused(env: Env) -> None:
    conn = env.conn()
    dest = pywbem.CIMInstance(
        "CIM_ListenerDestinationCIMXML",
        {
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": env.manager.server,
            "CreationClassName": "CIM_ListenerDestinationCIMXML",
            "Name": "bad",
            "Destination": "ftp://example.invalid/x",
        },
    )
    with pytest.raises(CIMError) as info:
        conn.CreateInstance(dest)
    assert _code(info) == 4
    filt = pywbem.CIMInstanceName(
        "CIM_IndicationFilter",
        {
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": env.manager.server,
            "CreationClassName": "CIM_IndicationFilter",
            "Name": "missing",
        },
        namespace=INTEROP,
    )
    dest_path = filt.copy()
    dest_path.classname = "CIM_ListenerDestinationCIMXML"
    dest_path["CreationClassName"] = "CIM_ListenerDestinationCIMXML"
    sub = pywbem.CIMInstance(
        "CIM_IndicationSubscription", {"Filter": filt, "Handler": dest_path}
    )
    with pytest.raises(CIMError) as info:
        conn.CreateInstance(sub)
    assert _code(info) == 4
    assert "does not exist" in str(info.value)


def test_subscriptions_survive_a_server_restart(
    tmp_path: Path, listener: Listener
) -> None:
    db = str(tmp_path / "restart.db")
    env = start_env(db)
    try:
        sm = WBEMSubscriptionManager("keep")
        sid = sm.add_server(env.wbem_server())
        f, d, subs = subscribe(sm, sid, listener)
        env.put("T_Base", "first")
        listener.wait_count(1)
    finally:
        env.stop()
    env = start_env(db, schema=False)
    try:
        assert env.service.armed_count() == 1
        env.put("T_Base", "second")
        got = listener.wait_count(2)
        assert got[1]["TargetInstance"]["Name"] == "second"
        # a new server run is a new sequence context, counting from 0 again
        assert got[1]["SequenceContext"] != got[0]["SequenceContext"]
        assert got[1]["SequenceNumber"] == 0
        # pywbem finds its owned objects again by their Name and cleans up
        with WBEMSubscriptionManager("keep") as sm2:
            sid2 = sm2.add_server(env.wbem_server())
            assert [i.path for i in sm2.get_owned_filters(sid2)] == [f.path]
            assert [i.path for i in sm2.get_owned_destinations(sid2)] == [d.path]
            owned = [i.path for i in sm2.get_owned_subscriptions(sid2)]
            assert owned == [subs[0].path]
        assert env.conn().EnumerateInstances("CIM_IndicationSubscription") == []
        assert env.service.armed_count() == 0
    finally:
        env.stop()


def test_indication_profiles_are_advertised(env: Env) -> None:
    server = env.wbem_server()
    snia = server.get_selected_profiles(
        registered_org="SNIA", registered_name="Indication"
    )
    assert len(snia) == 1
    dmtf = server.get_selected_profiles(
        registered_org="DMTF", registered_name="Indications"
    )
    assert [p["RegisteredVersion"] for p in dmtf] == ["1.2.2"]


def test_modifying_the_destination_url_moves_delivery(
    env: Env, listener: Listener, listener2: Listener
) -> None:
    with WBEMSubscriptionManager("t") as sm:
        sid = sm.add_server(env.wbem_server())
        _, d, _ = subscribe(sm, sid, listener)
        env.put("T_Base", "to-first")
        listener.wait_count(1)
        conn = env.conn()
        dest = conn.GetInstance(d.path)
        dest["Destination"] = listener2.url
        conn.ModifyInstance(dest, PropertyList=["Destination"])
        env.put("T_Base", "to-second")
        got = listener2.wait_count(1)
        assert got[0]["TargetInstance"]["Name"] == "to-second"
        assert [s.url for s in env.service.statistics()] == [listener2.url]
    assert len(listener.received) == 1
