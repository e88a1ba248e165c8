"""ExecNotificationQuery over a remote connection (issue 6, "CIM indications
over the wire": the remote client's own listener; cancel deletes the
subscription): the seed example reproduced remotely, query errors with the
embedded codes, the semisync and asyncio forms, cleanup at connection close.

Real loopback sockets: the openwmi server (uvicorn, ``env`` fixture) delivers
ExportIndication requests to the client's listener; nothing sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, cast

import pytest

import openwmi
from openwmi.client._remote_events import remote_events_of
from openwmi.errors import HResult, WbemError
from openwmi.manager import compile_into
from openwmi.testing import RecordingSink, assert_call_invariants, wait_until

from .conftest import NS, Env

_E = HResult
INTEROP = "root/interop"
SEED = (
    "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'R_Base'"
)
R_BASE_MOF = "class R_Base { [Key] string Name; uint32 N; };"
_CLASSES = (
    "CIM_IndicationSubscription",
    "CIM_ListenerDestinationCIMXML",
    "CIM_IndicationFilter",
)


def _put(env: Env, name: str, n: int = 0) -> None:
    env.manager.put_instance(
        NS, env.manager.spawn_instance(NS, "R_Base", Name=name, N=n)
    )


def _interop(env: Env, cls: str) -> list[Any]:
    return list(cast("Iterator[Any]", env.manager.create_instance_enum(INTEROP, cls)))


def _interop_counts(env: Env) -> dict[str, int]:
    return {cls: len(_interop(env, cls)) for cls in _CLASSES}


def _subscribe(svc: openwmi.Services, query: str, flags: int = 0) -> RecordingSink:
    sink = RecordingSink()
    svc.exec_notification_query_async(query, sink, flags)
    return sink


def test_seed_example_remote_subscribe_create_cancel(env: Env) -> None:
    """Subscribe, create instances on the server, receive them at the sink,
    cancel → one set_status(WBEM_E_CALL_CANCELLED), nothing after, and the
    filter, destination and subscription are gone from the server."""
    svc = env.svc
    sink = _subscribe(svc, SEED, openwmi.WBEM_FLAG_SEND_STATUS)
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 1)
    dest = _interop(env, "CIM_ListenerDestinationCIMXML")[0]
    hub = remote_events_of(svc)
    assert hub.url is not None
    assert str(dest["Destination"]).startswith(hub.url + "/openwmi/")

    _put(env, "p0", 1)
    _put(env, "sub1")  # R_Sub would be ISA too; R_Other is not:
    env.manager.put_instance(NS, env.manager.spawn_instance(NS, "R_Other", Id=99))
    _put(env, "p2", 2)
    sink.wait_objects(3)
    events = sink.objects
    assert [e["TargetInstance"]["Name"] for e in events] == ["p0", "sub1", "p2"]
    assert all(e.classname == "__InstanceCreationEvent" for e in events)
    # the DSP1054 delivery properties are not part of the event object
    for e in events:
        names = {n.lower() for n in e.property_names()}
        assert "indicationfiltername" not in names
        assert "sequencenumber" not in names
    assert sink.finals == []  # a healthy subscription never completes

    assert svc.cancel_async_call(sink) == openwmi.WBEM_S_NO_ERROR
    status = assert_call_invariants(sink, svc._shared.engine())
    assert status == _E.WBEM_E_CALL_CANCELLED
    assert sink.progress == []
    assert hub.flush(15)
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 0)

    # nothing after the cancel: a second subscriber sees a later event, the
    # cancelled one does not
    barrier = _subscribe(svc, SEED)
    _put(env, "late")
    barrier.wait_objects(1)
    assert barrier.objects[0]["TargetInstance"]["Name"] == "late"
    assert len(sink.objects) == 3
    assert len(sink.finals) == 1
    svc.cancel_async_call(barrier)
    barrier.wait_final()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT * FROM", _E.WBEM_E_UNPARSABLE_QUERY),
        ("SELECT * FROM R_Base", _E.WBEM_E_NOT_EVENT_CLASS),
        (
            "SELECT * FROM __InstanceCreationEvent WITHIN 1 "
            "WHERE TargetInstance ISA 'No_Such'",
            _E.WBEM_E_INVALID_CLASS,
        ),
    ],
)
def test_bad_query_reaches_sink_with_the_embedded_code(
    env: Env, query: str, code: int
) -> None:
    """Like embedded: the async form reports query errors through the one final
    set_status; the server's CIM_ERR_INVALID_PARAMETER keeps the WMI code; nothing
    is left on the server."""
    embedded = openwmi.connect(repository=":memory:")
    try:
        emb_sink = RecordingSink()
        compile_into(embedded.manager, embedded.namespace, R_BASE_MOF)
        embedded.exec_notification_query_async(query, emb_sink)
        emb_status = emb_sink.wait_final()
    finally:
        embedded.close()
    sink = _subscribe(env.svc, query)
    status = assert_call_invariants(sink, env.svc._shared.engine())
    assert status == code == emb_status
    assert sink.objects == []
    assert remote_events_of(env.svc).flush(15)
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 0)
    # the semisynchronous form raises it at the call
    with pytest.raises(WbemError) as info:
        env.svc.exec_notification_query(query)
    assert info.value.hresult == code


def test_semisync_enumerator_and_release(env: Env) -> None:
    svc = env.svc
    enum = svc.exec_notification_query(SEED)
    _put(env, "e1")
    got: list[Any] = []
    while not got:
        _hr, objs = enum.next(15000, 1)
        got.extend(objs)
    assert got[0]["TargetInstance"]["Name"] == "e1"
    enum.close()
    hub = remote_events_of(svc)
    wait_until(lambda: not hub.active())  # the release cancels asynchronously
    assert hub.flush(15)
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 0)


def test_asyncio_form(env: Env) -> None:
    svc = env.svc

    async def main() -> str:
        async with svc.aio.exec_notification_query(SEED) as stream:
            _put(env, "a1")
            async for event in stream:
                return str(event["TargetInstance"]["Name"])
        raise AssertionError("unreachable")

    assert asyncio.run(main()) == "a1"
    assert remote_events_of(svc).flush(15)
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 0)


def test_close_cancels_and_cleans_up(env: Env) -> None:
    svc = openwmi.connect(env.url, timeout=20)
    sink = _subscribe(svc, SEED)
    sink2 = _subscribe(svc, SEED)
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 2)
    _put(env, "c1")
    sink.wait_objects(1)
    sink2.wait_objects(1)
    svc.close()
    assert sink.wait_final() == _E.WBEM_E_SHUTTING_DOWN
    assert sink2.wait_final() == _E.WBEM_E_SHUTTING_DOWN
    assert _interop_counts(env) == dict.fromkeys(_CLASSES, 0)
