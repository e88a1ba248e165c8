"""WITHIN polling of provider-backed classes (spec §6.5 polling algorithm, §13
item 14), one poller per identical query, GROUP WITHIN/BY/HAVING (spec §6.5
dispatch step 3, §7.4), timers gone after cancel (spec §2.4), all driven by
an injected FakeClock and ``tick()`` (house-style §5)."""

from __future__ import annotations

from typing import Any

from openwmi.client._events import exec_notification_query_async
from openwmi.errors import HResult
from openwmi.testing import RecordingSink, assert_call_invariants, wait_until

from .conftest import put

_E = HResult
POLL = (
    "SELECT * FROM __InstanceOperationEvent WITHIN 2 "
    "WHERE TargetInstance ISA 'Test_Proc'"
)


def test_polling_diff_gives_creation_modification_deletion(svc, events, clock, proc):
    """Spec §6.5: Curr vs Prev → creation (only in Curr), deletion (only in Prev),
    modification (both, values differ; PreviousInstance = old); Prev is taken at
    subscription time; nothing happens before the interval passes."""
    sink = RecordingSink()
    exec_notification_query_async(svc, POLL, sink)
    assert events.statistics().pollers == 1
    proc.rows["c"] = {"Name": "c", "Size": 3}
    del proc.rows["a"]
    proc.rows["b"] = {"Name": "b", "Size": 20}
    clock.advance(1.0)
    events.tick()  # not due yet
    assert sink.events == []
    clock.advance(1.0)
    events.tick()
    sink.wait_objects(3)
    got = {(e.classname, e["TargetInstance"]["Name"]): e for e in sink.objects}
    assert set(got) == {
        ("__InstanceCreationEvent", "c"),
        ("__InstanceModificationEvent", "b"),
        ("__InstanceDeletionEvent", "a"),
    }
    mod = got[("__InstanceModificationEvent", "b")]
    assert mod["PreviousInstance"]["Size"] == 2
    assert mod["TargetInstance"]["Size"] == 20
    clock.advance(2.0)
    events.tick()  # nothing changed: no events
    svc.cancel_async_call(sink)
    assert (
        assert_call_invariants(sink, svc._shared.engine()) == _E.WBEM_E_CALL_CANCELLED
    )
    assert len(sink.objects) == 3
    st = events.statistics()
    assert (st.subscriptions, st.pollers, st.group_timers) == (0, 0, 0)
    assert events.next_due() is None  # its timer is gone (spec §2.4)


def test_identical_subscriptions_share_one_poller(svc, events, clock, proc):
    """Issue 6 (one poller shared by identical subscriptions), spec §6.5: one
    enumeration per interval serves both; each gets the events."""
    a, b = RecordingSink(), RecordingSink()
    exec_notification_query_async(svc, POLL, a)
    exec_notification_query_async(
        svc,
        "SELECT * FROM __InstanceCreationEvent WITHIN 2 WHERE TargetInstance ISA "
        "'Test_Proc'",
        b,
    )
    assert events.statistics().pollers == 1
    before = proc.enumerations
    proc.rows["z"] = {"Name": "z", "Size": 9}
    clock.advance(2.0)
    events.tick()
    assert proc.enumerations == before + 1
    a.wait_objects(1)
    b.wait_objects(1)
    svc.cancel_async_call(a)
    assert events.statistics().pollers == 1 or a.finals  # b still polls
    wait_until(lambda: events.statistics().subscriptions == 1)
    assert events.statistics().pollers == 1
    svc.cancel_async_call(b)
    wait_until(lambda: events.statistics().pollers == 0)


def test_poll_failure_ends_the_call_with_one_status(svc, events, clock, proc):
    """Design.md decision 3 / spec §6.2: a failing poll ends the subscription with
    one set_status carrying the provider failure."""
    sink = RecordingSink()
    exec_notification_query_async(svc, POLL, sink)
    proc.fail = True
    clock.advance(2.0)
    events.tick()
    assert assert_call_invariants(sink, svc._shared.engine()) == (
        _E.WBEM_E_PROVIDER_FAILURE
    )
    assert events.statistics().pollers == 0


def test_event_provider_supplies_intrinsic_events_without_within(
    svc, events, clock, proc
):
    """Spec §6.4/§6.5 [DOC WITHIN]: a class covered by an event provider needs no
    WITHIN and is not polled; the provider learns of the query (new/cancel query,
    spec §6.6) and publishes the events."""

    class Watcher:
        provides_events = ("Test_Proc",)

        def __init__(self) -> None:
            self.queries: list[tuple[int, str, str]] = []
            self.cancelled: list[int] = []
            self.publisher: Any = None

        def provide_events(self, publisher):
            self.publisher = publisher

        def new_query(self, query_id, language, query):
            self.queries.append((query_id, language, query))

        def cancel_query(self, query_id):
            self.cancelled.append(query_id)

    watcher = Watcher()
    events.register_event_provider(svc.namespace, watcher)
    sink = RecordingSink()
    q = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Proc'"
    exec_notification_query_async(svc, q, sink)
    assert events.statistics().pollers == 0
    assert [x[1:] for x in watcher.queries] == [("WQL", q)]
    target = svc.spawn_instance("Test_Proc", Name="n", Size=1)
    watcher.publisher.publish(events.instance_event(svc.namespace, "creation", target))
    sink.wait_objects(1)
    assert sink.objects[0]["TargetInstance"]["Name"] == "n"
    svc.cancel_async_call(sink)
    assert_call_invariants(sink, svc._shared.engine())
    wait_until(lambda: watcher.cancelled == [watcher.queries[0][0]])


def test_group_within_by_having(things, events, clock):
    """Spec §7.4 GROUP: events of one GROUP WITHIN window become one
    __AggregateEvent per BY value (NumberOfEvents, Representative = first event);
    HAVING filters the groups; the window's timer is gone once it fired."""
    sink = RecordingSink()
    exec_notification_query_async(
        things,
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Thing' "
        "GROUP WITHIN 10 BY TargetInstance.Color HAVING NumberOfEvents > 1",
        sink,
    )
    for i, color in enumerate(["red", "blue", "RED", "red"]):
        put(things, "Test_Thing", f"g{i}", Color=color)
    assert events.statistics().group_timers == 1
    clock.advance(9.0)
    events.tick()
    assert sink.events == []
    clock.advance(1.0)
    events.tick()
    sink.wait_objects(1)
    (agg,) = sink.objects
    assert agg.classname == "__AggregateEvent"
    assert agg["NumberOfEvents"] == 3  # red, RED, red: strings group case-insensitively
    assert agg["Representative"]["TargetInstance"]["Name"] == "g0"
    assert events.statistics().group_timers == 0
    put(things, "Test_Thing", "g9", Color="blue")
    assert events.statistics().group_timers == 1
    things.cancel_async_call(sink)
    assert_call_invariants(sink, things._shared.engine())
    assert events.statistics().group_timers == 0
    assert len(sink.objects) == 1


def test_group_within_without_by(things, events, clock):
    """Spec §7.4: without BY every event of the window is one group."""
    sink = RecordingSink()
    exec_notification_query_async(
        things,
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Thing' "
        "GROUP WITHIN 5",
        sink,
    )
    for i in range(4):
        put(things, "Test_Thing", f"w{i}")
    clock.advance(5.0)
    events.tick()
    sink.wait_objects(1)
    assert sink.objects[0]["NumberOfEvents"] == 4
    things.cancel_async_call(sink)
    assert_call_invariants(sink, things._shared.engine())
