"""Slow consumers and bounded queues (spec §6.2 EventDropLimit, issue 6 queue
rules), extrinsic events published by providers (spec §6.5)."""

from __future__ import annotations

import threading

import pytest

import openwmi
from openwmi.client._events import exec_notification_query_async
from openwmi.errors import HResult, InvalidParameterError, WbemError
from openwmi.testing import RecordingSink, assert_call_invariants, wait_until

from .conftest import make_class, put

SEED = (
    "SELECT * FROM __InstanceCreationEvent WITHIN 1 "
    "WHERE TargetInstance ISA 'Test_Thing'"
)


def _blocked_sink() -> tuple[RecordingSink, threading.Event, threading.Event]:
    entered, release = threading.Event(), threading.Event()

    def block(objects):
        entered.set()
        release.wait(20)

    return RecordingSink(on_indicate=block), entered, release


def test_slow_sink_delays_neither_writer_nor_other_subscribers(things, events):
    """Issue 6 / spec §6.2 (dedicated sinks): a stuck sink does not delay
    put_instance or another subscription (_events Rule 3)."""
    slow, entered, release = _blocked_sink()
    fast = RecordingSink()
    exec_notification_query_async(things, SEED, slow)
    exec_notification_query_async(things, SEED, fast)
    put(things, "Test_Thing", "first")
    assert entered.wait(20)
    for i in range(50):  # the writer is never held by the stuck sink
        put(things, "Test_Thing", f"n{i}")
    fast.wait_objects(51)
    assert len(slow.objects) == 1
    release.set()
    slow.wait_objects(51)
    for sink in (slow, fast):
        things.cancel_async_call(sink)
    for sink in (slow, fast):
        assert_call_invariants(sink, things._shared.engine())


def test_overflow_drops_oldest_with_one_notice(things, events):
    """Spec §6.2 (EventDropLimit) and issue 6: past the queue limit the oldest
    events are dropped, never silently: one __EventQueueOverflowEvent (Event =
    the first event lost) comes ahead of the rest of each overflow episode;
    memory stays bounded. (While the sink is stuck the engine's pump also holds
    up to one batch, so the queue can drain and overflow again: one notice per
    episode, each naming an event that was really lost.)"""
    events.configure(queue_limit=5)
    slow, entered, release = _blocked_sink()
    exec_notification_query_async(things, SEED, slow)
    put(things, "Test_Thing", "x0")
    assert entered.wait(20)
    total = 400  # > 1 in delivery + the engine's pump + 5 queued
    for i in range(1, total):
        put(things, "Test_Thing", f"x{i}")
    (sub,) = events.subscriptions()
    assert sub.pending() <= 5 + 1
    assert sub.dropped > 0
    release.set()

    def all_arrived() -> bool:
        n = sum(o.classname == "__InstanceCreationEvent" for o in slow.objects)
        return bool(n == total - sub.dropped)

    wait_until(all_arrived)
    objs = slow.objects
    notices = [o for o in objs if o.classname == "__EventQueueOverflowEvent"]
    assert 1 <= len(notices) <= sub.dropped
    created = [o for o in objs if o.classname == "__InstanceCreationEvent"]
    assert len(created) + sub.dropped == total
    delivered = {o["TargetInstance"]["Name"] for o in created}
    for notice in notices:
        assert notice["Event"]["TargetInstance"]["Name"] not in delivered
    # order: the notice precedes the events queued after the loss
    names = [o["TargetInstance"]["Name"] for o in created]
    assert names == sorted(names, key=lambda n: int(n[1:]))
    things.cancel_async_call(slow)
    assert_call_invariants(slow, things._shared.engine())


def test_extrinsic_events_from_a_provider(svc, events):
    """Spec §6.5: extrinsic events (classes derived from __ExtrinsicEvent) are
    pushed by providers; the WHERE clause filters them; the event provider learns
    of the query and of its cancellation (spec §6.6 NewQuery/CancelQuery)."""
    make_class(svc, "Test_Alarm", "__ExtrinsicEvent", Level=openwmi.CIMType.UINT32)
    make_class(svc, "Test_BigAlarm", "Test_Alarm")
    seen: list[tuple[str, object]] = []

    class Alarms:
        provides_events = ("Test_Alarm",)

        def new_query(self, query_id, language, query):
            seen.append(("new", query_id))

        def cancel_query(self, query_id):
            seen.append(("cancel", query_id))

    events.register_event_provider(svc.namespace, Alarms())
    sink = RecordingSink()
    exec_notification_query_async(svc, "SELECT * FROM Test_Alarm WHERE Level > 2", sink)
    assert [k for k, _ in seen] == ["new"]
    events.publish_extrinsic(svc.namespace, "Test_Alarm", {"Level": 1})
    events.publish_extrinsic(svc.namespace, "Test_Alarm", {"Level": 5})
    big = svc.spawn_instance("Test_BigAlarm", Level=7)
    events.publish_extrinsic(svc.namespace, big)
    sink.wait_objects(2)
    assert [(o.classname, o["Level"]) for o in sink.objects] == [
        ("Test_Alarm", 5),
        ("Test_BigAlarm", 7),
    ]
    assert all(o["TIME_CREATED"] for o in sink.objects)
    svc.cancel_async_call(sink)
    assert_call_invariants(sink, svc._shared.engine())
    assert [k for k, _ in seen] == ["new", "cancel"]
    with pytest.raises(InvalidParameterError):
        events.publish_extrinsic(svc.namespace, "__InstanceCreationEvent", {})
    with pytest.raises(WbemError) as info:
        events.publish_event(svc.namespace, svc.spawn_instance("__NAMESPACE", Name="x"))
    assert info.value.hresult == HResult.WBEM_E_NOT_EVENT_CLASS
