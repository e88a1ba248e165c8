"""Intrinsic events from repository writes (spec §6.5), the seed example (spec
§6.3), cancel semantics of event calls (spec §2.4, §2.6 rule 6, design.md
decision 3) and the semisynchronous / asyncio forms (spec §6.1)."""

from __future__ import annotations

import asyncio

import pytest

import openwmi
from openwmi.client._events import (
    aio_exec_notification_query,
    exec_notification_query,
    exec_notification_query_async,
)
from openwmi.errors import HResult, InvalidOperationError
from openwmi.model import CIMClass
from openwmi.testing import RecordingSink, assert_call_invariants, wait_until

from .conftest import make_class, put

_E = HResult
SEED = (
    "SELECT * FROM __InstanceCreationEvent WITHIN 1 "
    "WHERE TargetInstance ISA 'Test_Thing'"
)


def _subscribe(svc: openwmi.Services, query: str, flags: int = 0) -> RecordingSink:
    sink = RecordingSink()
    exec_notification_query_async(svc, query, sink, flags)
    return sink


def test_seed_example_subscribe_create_cancel(things, events):
    """Spec §6.3 ("Receiving Event Notifications Through WMI"): subscribe with
    WBEM_FLAG_SEND_STATUS, create instances, CancelAsyncCall → exactly one
    set_status(WBEM_E_CALL_CANCELLED), nothing after; no progress, no success."""
    sink = _subscribe(things, SEED, openwmi.WBEM_FLAG_SEND_STATUS)
    for i in range(3):
        put(things, "Test_Thing", f"p{i}", Size=i)
    put(things, "Test_Sub", "sub1")  # ISA includes subclasses
    put(things, "Test_Other", "o1")  # not ISA Test_Thing
    sink.wait_objects(4)
    names = [e["TargetInstance"]["Name"] for e in sink.objects]
    assert names == ["p0", "p1", "p2", "sub1"]
    assert all(e.classname == "__InstanceCreationEvent" for e in sink.objects)
    assert all(isinstance(e["TIME_CREATED"], int) for e in sink.objects)
    assert sink.finals == []  # a healthy subscription never completes
    assert things.cancel_async_call(sink) == openwmi.WBEM_S_NO_ERROR
    put(things, "Test_Thing", "late")
    status = assert_call_invariants(sink, things._shared.engine())
    assert status == _E.WBEM_E_CALL_CANCELLED
    assert sink.progress == []
    assert len(sink.objects) == 4
    assert events.statistics().subscriptions == 0


def test_modification_and_deletion_carry_previous_and_target(things, events):
    """Spec §6.5: modification has PreviousInstance (before) and TargetInstance
    (after); deletion's TargetInstance is the deleted instance; WHERE sees
    embedded properties."""
    put(things, "Test_Thing", "m", Size=1)
    mod = _subscribe(
        things,
        "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA "
        "'Test_Thing' AND TargetInstance.Size > 10",
    )
    dele = _subscribe(
        things,
        "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance.Name = 'M'",
    )
    anyop = _subscribe(
        things,
        "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'Test_Thing'",
    )
    put(things, "Test_Thing", "m", Size=5)  # not > 10
    put(things, "Test_Thing", "m", Size=50)
    things.delete_instance('Test_Thing.Name="m"')
    mod.wait_objects(1)
    dele.wait_objects(1)
    anyop.wait_objects(3)
    (ev,) = mod.objects
    assert ev["PreviousInstance"]["Size"] == 5
    assert ev["TargetInstance"]["Size"] == 50
    (gone,) = dele.objects
    assert gone.classname == "__InstanceDeletionEvent"
    assert gone["TargetInstance"]["Size"] == 50
    assert [e.classname for e in anyop.objects] == [
        "__InstanceModificationEvent",
        "__InstanceModificationEvent",
        "__InstanceDeletionEvent",
    ]
    for sink in (mod, dele, anyop):
        things.cancel_async_call(sink)
    for sink in (mod, dele, anyop):
        assert assert_call_invariants(sink, things._shared.engine()) == (
            _E.WBEM_E_CALL_CANCELLED
        )


def test_class_and_namespace_events(svc, events):
    """Spec §6.5: __ClassCreationEvent/__ClassDeletionEvent (TargetClass) and
    __NamespaceCreationEvent (TargetNamespace); deleting a namespace fails its
    subscriptions with WBEM_E_INVALID_NAMESPACE (spec §1.4)."""
    classes = _subscribe(svc, "SELECT * FROM __ClassOperationEvent")
    spaces = _subscribe(svc, "SELECT * FROM __NamespaceCreationEvent")
    make_class(svc, "Test_New")
    svc.delete_class("Test_New")
    ns_inst = svc.spawn_instance("__NAMESPACE", Name="child")
    svc.put_instance(ns_inst)
    classes.wait_objects(2)
    spaces.wait_objects(1)
    assert [(e.classname, e["TargetClass"].name) for e in classes.objects] == [
        ("__ClassCreationEvent", "Test_New"),
        ("__ClassDeletionEvent", "Test_New"),
    ]
    assert spaces.objects[0]["TargetNamespace"]["Name"] == "child"
    child = svc.open_namespace("child")
    inner = _subscribe(child, "SELECT * FROM __ClassCreationEvent")
    svc.delete_instance('__NAMESPACE.Name="child"')
    assert inner.wait_final() == _E.WBEM_E_INVALID_NAMESPACE
    for sink in (classes, spaces):
        svc.cancel_async_call(sink)
    for sink in (classes, spaces, inner):
        assert_call_invariants(sink, svc._shared.engine())


def test_cancel_while_events_are_in_flight(things, events):
    """Spec §2.6 rule 6 / §13 item 14: cancel while indicate is running → the
    final status is delivered once after it returns, nothing after, the
    subscription and its queue are gone at once."""
    import threading

    entered, release = threading.Event(), threading.Event()

    def slow(objects):
        entered.set()
        release.wait(20)

    sink = RecordingSink(on_indicate=slow)
    exec_notification_query_async(things, SEED, sink)
    put(things, "Test_Thing", "x0")
    assert entered.wait(20)
    for i in range(1, 20):
        put(things, "Test_Thing", f"x{i}")  # queued behind the blocked sink
    done = threading.Event()

    def cancel():
        things.cancel_async_call(sink)
        done.set()

    threading.Thread(target=cancel, daemon=True).start()
    assert done.wait(20)  # cancel never waits for the sink (spec §2.4)
    wait_until(lambda: events.statistics().subscriptions == 0)
    release.set()
    assert assert_call_invariants(sink, things._shared.engine()) == (
        _E.WBEM_E_CALL_CANCELLED
    )
    assert len(sink.indicates) == 1


def test_two_calls_on_one_sink_and_other_sinks(things, events):
    """Spec §2.6 rule 4 (design.md: several calls may share a sink): one cancel
    ends both event calls on the sink; a subscription on another sink goes on."""
    shared = RecordingSink()
    exec_notification_query_async(things, SEED, shared)
    exec_notification_query_async(things, SEED, shared)
    other = _subscribe(things, SEED)
    things.cancel_async_call(shared)
    assert_call_invariants(shared, things._shared.engine(), calls=2, idle=False)
    put(things, "Test_Thing", "after")
    other.wait_objects(1)
    assert other.finals == []
    things.cancel_async_call(other)


def test_shutdown_ends_subscriptions_with_one_status(things, events):
    """Spec §1.4 / design.md decision 3: shutdown ends an event call with
    WBEM_E_SHUTTING_DOWN, its only final status."""
    sink = _subscribe(things, SEED)
    engine = things._shared.engine()
    engine.close()
    assert sink.wait_final() == _E.WBEM_E_SHUTTING_DOWN
    assert len(sink.finals) == 1
    assert events.statistics().subscriptions == 0


def test_semisync_enumerator_receives_events_and_release_cancels(things, events):
    """Spec §6.1: semisynchronous ExecNotificationQuery; next() times out with
    WBEM_S_TIMEDOUT when no event came, Reset → WBEM_E_INVALID_OPERATION
    (decision 4), releasing the enumerator cancels the subscription."""
    enum = exec_notification_query(things, SEED)
    hr, objs = enum.next(openwmi.WBEM_NO_WAIT, 1)
    assert (hr, objs) == (_E.WBEM_S_TIMEDOUT, [])
    put(things, "Test_Thing", "s1")
    hr, objs = enum.next(20000, 1)
    assert hr == _E.WBEM_S_NO_ERROR
    assert objs[0]["TargetInstance"]["Name"] == "s1"
    with pytest.raises(InvalidOperationError):
        enum.reset()
    enum.close()
    wait_until(lambda: events.statistics().subscriptions == 0)


async def test_asyncio_form(things, events):
    """Spec §6.2 via the asyncio facade (house-style §4): ``async for`` over events;
    leaving ``async with`` cancels the subscription."""
    stream = aio_exec_notification_query(things, SEED)
    async with stream:
        await asyncio.to_thread(put, things, "Test_Thing", "a1")
        event = await asyncio.wait_for(stream.__anext__(), 20)
        assert event["TargetInstance"]["Name"] == "a1"
    assert events.statistics().subscriptions == 0


def test_event_objects_have_null_paths(things, events):
    """Spec §7.4: __PATH/__RELPATH of an event are NULL; __CLASS is the event class."""
    sink = _subscribe(things, SEED)
    put(things, "Test_Thing", "n")
    sink.wait_objects(1)
    ev = sink.objects[0]
    assert ev["__PATH"] is None
    assert ev["__RELPATH"] is None
    assert ev["__CLASS"] == "__InstanceCreationEvent"
    assert isinstance(ev.cimclass, CIMClass)
    things.cancel_async_call(sink)
