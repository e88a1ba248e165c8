"""Delivery: retries with back-off, giving up, OnFatalErrorPolicy, isolation
between destinations, the bounded queue and the visible state.

Listener-down cases use real sockets (a closed loopback port refuses the
connection); the queue and retry-then-success cases use an httpx
MockTransport gated with threading.Event, so nothing waits on a clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
import pywbem
from pywbem import WBEMSubscriptionManager

from openwmi.manager import ObjectManager, compile_into
from openwmi.protocol._export import decode_export_request
from openwmi.repository import SQLiteRepository
from openwmi.server._export import DeliveryPolicy, Destination, Feed

from .conftest import CREATION_T_BASE, INTEROP, MOF, NS, Env, Listener, closed_port

FAST = DeliveryPolicy(retry_attempts=2, retry_interval=0.0)
OK_REPLY = (
    b'<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.4">'
    b'<MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP>'
    b'<EXPMETHODRESPONSE NAME="ExportIndication"/></SIMPLEEXPRSP></MESSAGE></CIM>'
)


def test_backoff_doubles_and_is_capped() -> None:
    p = DeliveryPolicy(retry_interval=0.5, max_retry_interval=3.0)
    assert [p.backoff(i) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def _dest_instance(env: Env, name: str, url: str) -> pywbem.CIMInstanceName:
    inst = pywbem.CIMInstance(
        "CIM_ListenerDestinationCIMXML",
        {
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": env.manager.server,
            "CreationClassName": "CIM_ListenerDestinationCIMXML",
            "Name": name,
            "Destination": url,
        },
    )
    path: pywbem.CIMInstanceName = env.conn().CreateInstance(inst)
    return path


def _filter(
    env: Env, name: str, query: str = CREATION_T_BASE
) -> pywbem.CIMInstanceName:
    inst = pywbem.CIMInstance(
        "CIM_IndicationFilter",
        {
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": env.manager.server,
            "CreationClassName": "CIM_IndicationFilter",
            "Name": name,
            "Query": query,
            "SourceNamespaces": [NS],
        },
    )
    path: pywbem.CIMInstanceName = env.conn().CreateInstance(inst)
    return path


def _subscribe(
    env: Env,
    filt: pywbem.CIMInstanceName,
    dest: pywbem.CIMInstanceName,
    policy: int | None = None,
) -> pywbem.CIMInstanceName:
    props: dict[str, object] = {"Filter": filt, "Handler": dest}
    if policy is not None:
        props["OnFatalErrorPolicy"] = pywbem.Uint16(policy)
    path: pywbem.CIMInstanceName = env.conn().CreateInstance(
        pywbem.CIMInstance("CIM_IndicationSubscription", props)
    )
    return path


def test_dead_listener_is_retried_then_given_up_others_unaffected(
    env: Env, listener: Listener
) -> None:
    env.service.configure(FAST)
    dead_url = f"http://127.0.0.1:{closed_port()}"
    filt = _filter(env, "f")
    dead = _dest_instance(env, "dead", dead_url)
    live = _dest_instance(env, "live", listener.url)
    dead_sub = _subscribe(env, filt, dead)
    live_sub = _subscribe(env, filt, live)
    env.put("T_Base", "one")
    got = listener.wait_count(1)
    assert got[0]["TargetInstance"]["Name"] == "one"
    assert env.service.flush()
    stats = {s.url: s for s in env.service.statistics()}
    bad, good = stats[dead_url], stats[listener.url]
    assert (bad.attempts, bad.retries, bad.failed, bad.delivered) == (3, 2, 1, 0)
    assert bad.state == "failing"
    assert bad.consecutive_failures == 1
    assert bad.last_error is not None
    assert "ConnectError" in bad.last_error
    assert (good.delivered, good.failed, good.state) == (1, 0, "idle")
    conn = env.conn()
    # the live state shows on the subscription: Enabled Degraded vs Enabled
    assert conn.GetInstance(dead_sub)["SubscriptionState"] == 3
    assert conn.GetInstance(live_sub)["SubscriptionState"] == 2
    # OnFatalErrorPolicy Ignore (the default): later indications are still tried
    env.put("T_Base", "two")
    listener.wait_count(2)
    assert env.service.flush()
    assert {s.url: s for s in env.service.statistics()}[dead_url].failed == 2


@pytest.mark.parametrize(
    ("policy", "gone", "state"),
    [
        pytest.param(3, False, 4, id="disable"),
        pytest.param(4, True, None, id="remove"),
    ],
)
def test_on_fatal_error_policy(
    env: Env, policy: int, gone: bool, state: int | None
) -> None:
    env.service.configure(FAST)
    filt = _filter(env, "f")
    dead = _dest_instance(env, "dead", f"http://127.0.0.1:{closed_port()}")
    sub = _subscribe(env, filt, dead, policy)
    assert env.service.armed_count() == 1
    env.put("T_Base", "one")
    # delivery gives up on the delivery thread, then applies the policy
    assert env.service.flush()
    conn = env.conn()
    subs = conn.EnumerateInstances("CIM_IndicationSubscription", namespace=INTEROP)
    if gone:
        assert subs == []
    else:
        assert [s["SubscriptionState"] for s in subs] == [state]
        assert conn.GetInstance(sub)["SubscriptionState"] == state
    assert env.service.armed_count() == 0


def test_bounded_queue_drops_oldest_with_a_notice() -> None:
    """The delivery thread is held inside the first POST while the writer keeps
    writing: the writer never waits, the feed keeps the newest ``queue_limit``
    events and an overflow notice goes out ahead of them."""
    manager = ObjectManager(SQLiteRepository(":memory:"))
    compile_into(manager, NS, MOF)
    entered, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["CIMExport"] == "MethodRequest"
        assert request.headers["CIMExportMethod"] == "ExportIndication"
        ind = decode_export_request(request.content).indication
        target = ind.get("TargetInstance")
        seen.append(f"{ind.classname}:{target['Name'] if target else ''}")
        entered.set()
        assert release.wait(10)
        return httpx.Response(200, content=OK_REPLY)

    dest = Destination(
        "d",
        "http://listener.invalid:5990",
        DeliveryPolicy(queue_limit=2),
        transport=httpx.MockTransport(handler),
    )
    try:
        source = manager.events.subscribe(NS, CREATION_T_BASE, limit=2)
        dest.attach(Feed(source, filter_name="f", context="c"))

        def put(name: str) -> None:
            manager.put_instance(NS, manager.spawn_instance(NS, "T_Base", Name=name))

        put("e0")
        assert entered.wait(10)  # e0 is in flight, the thread is held
        for i in range(1, 5):
            put(f"e{i}")
        stats = dest.statistics()
        assert stats.dropped == 2
        assert stats.queued == 3  # the notice + e3 + e4
        assert stats.state == "sending"
        release.set()
        assert dest.flush()
        assert seen == [
            "__InstanceCreationEvent:e0",
            "__EventQueueOverflowEvent:",
            "__InstanceCreationEvent:e3",
            "__InstanceCreationEvent:e4",
        ]
        assert dest.statistics().delivered == 4
    finally:
        release.set()
        dest.stop()
        manager.close()


class _Flaky:
    """Fails the first ``failures`` POSTs (transport error, then HTTP 503)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.bodies.append(request.content)
        if self.calls <= self.failures:
            if self.calls % 2:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(503, headers={"CIMError": "busy"})
        return httpx.Response(200, content=OK_REPLY)


@pytest.fixture
def manager() -> Iterator[ObjectManager]:
    m = ObjectManager(SQLiteRepository(":memory:"))
    compile_into(m, NS, MOF)
    try:
        yield m
    finally:
        m.close()


@pytest.mark.parametrize(
    ("failures", "delivered", "failed", "attempts"),
    [
        pytest.param(0, 1, 0, 1, id="first-try"),
        pytest.param(2, 1, 0, 3, id="after-two-retries"),
        pytest.param(3, 0, 1, 3, id="given-up"),
    ],
)
def test_retry_then_success_or_give_up(
    manager: ObjectManager, failures: int, delivered: int, failed: int, attempts: int
) -> None:
    flaky = _Flaky(failures)
    dest = Destination(
        "d",
        "http://listener.invalid:5990",
        DeliveryPolicy(retry_attempts=2, retry_interval=0.0),
        transport=httpx.MockTransport(flaky),
    )
    fatal: list[str] = []
    try:
        source = manager.events.subscribe(NS, CREATION_T_BASE)
        dest.attach(
            Feed(
                source,
                filter_name="f",
                context="c",
                on_fatal=lambda feed, err: fatal.append(err),
            )
        )
        manager.put_instance(NS, manager.spawn_instance(NS, "T_Base", Name="x"))
        assert dest.flush()
        s = dest.statistics()
        assert (s.delivered, s.failed, s.attempts) == (delivered, failed, attempts)
        assert s.retries == attempts - 1
        assert len(fatal) == failed
        # a retry resends the very same indication (same SequenceNumber)
        assert len(set(flaky.bodies)) <= 2  # bodies differ only in MESSAGE ID
        numbers = {
            decode_export_request(b).indication["SequenceNumber"] for b in flaky.bodies
        }
        assert numbers == {0}
    finally:
        dest.stop()


def test_permanent_refusal_is_not_retried(manager: ObjectManager) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, headers={"CIMError": "request-not-valid"})

    dest = Destination(
        "d",
        "http://listener.invalid:5990",
        DeliveryPolicy(retry_attempts=5, retry_interval=0.0),
        transport=httpx.MockTransport(handler),
    )
    try:
        dest.attach(
            Feed(
                manager.events.subscribe(NS, CREATION_T_BASE),
                filter_name="f",
                context="c",
            )
        )
        manager.put_instance(NS, manager.spawn_instance(NS, "T_Base", Name="x"))
        assert dest.flush()
        s = dest.statistics()
        assert (len(calls), s.failed, s.state) == (1, 1, "failing")
        assert s.last_error is not None
        assert "request-not-valid" in s.last_error
    finally:
        dest.stop()


def test_stop_ends_a_back_off_wait(manager: ObjectManager) -> None:
    """A destination waiting out a long back-off stops at once."""
    entered = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        entered.set()
        raise httpx.ConnectError("refused", request=request)

    dest = Destination(
        "d",
        "http://listener.invalid:5990",
        DeliveryPolicy(retry_attempts=3, retry_interval=3600.0),
        transport=httpx.MockTransport(handler),
    )
    dest.attach(
        Feed(
            manager.events.subscribe(NS, CREATION_T_BASE), filter_name="f", context="c"
        )
    )
    manager.put_instance(NS, manager.spawn_instance(NS, "T_Base", Name="x"))
    assert entered.wait(10)
    dest.stop(timeout=10)
    s = dest.statistics()
    assert s.state == "stopped"
    assert s.attempts == 1
    assert s.failed == 0  # stopped, not given up


def test_with_pywbem_subscription_manager_stats_are_visible(
    env: Env, listener: Listener
) -> None:
    with WBEMSubscriptionManager("s") as sm:
        sid = sm.add_server(env.wbem_server())
        d = sm.add_destination(sid, listener.url, destination_id="d")
        f = sm.add_filter(sid, NS, CREATION_T_BASE, filter_id="f")
        sm.add_subscriptions(sid, f.path, [d.path])
        for i in range(5):
            env.put("T_Base", f"n{i}")
        listener.wait_count(5)
        assert env.service.flush()
        (s,) = env.service.statistics()
        assert (s.delivered, s.failed, s.dropped, s.queued) == (5, 0, 0, 0)
        assert s.feeds == 1
