"""The event calls through ``Services`` (wiring of issue 6 into the client API)."""

from __future__ import annotations

import queue

import pytest

import openwmi
from openwmi import WBEM_INFINITE, CollectingSink, HResult, QueueSink, WbemError
from openwmi.engine import Enumerator


def test_seed_example_through_services(svc: openwmi.Services) -> None:
    """spec §6.3 "Receiving Event Notifications Through WMI": subscribe with
    ExecNotificationQueryAsync, receive creation events, cancel with
    CancelAsyncCall → exactly one SetStatus(WBEM_E_CALL_CANCELLED), nothing after."""
    svc.compile_mof("class Ev_Item { [Key] string Name; };")
    sink = QueueSink()
    svc.exec_notification_query_async(
        "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Ev_Item'",
        sink,
        openwmi.WBEM_FLAG_SEND_STATUS,
    )
    svc.put_instance(svc.spawn_instance("Ev_Item", Name="a"))
    event = sink.get(timeout=10)
    assert event.kind == "indicate"
    assert event.objects[0].TargetInstance.Name == "a"
    assert svc.cancel_async_call(sink) == HResult.WBEM_S_NO_ERROR
    final = sink.get(timeout=10)
    assert final.final
    assert final.hresult == HResult.WBEM_E_CALL_CANCELLED
    svc.put_instance(svc.spawn_instance("Ev_Item", Name="b"))
    with pytest.raises(queue.Empty):  # nothing after the final status
        sink.get(timeout=0)


def test_semisync_notification_query_flags(svc: openwmi.Services) -> None:
    """spec §6.1: both RETURN_IMMEDIATELY and FORWARD_ONLY are required."""
    with pytest.raises(WbemError) as exc:
        svc.exec_notification_query("SELECT * FROM __InstanceCreationEvent WITHIN 1", 0)
    assert exc.value.hresult == HResult.WBEM_E_INVALID_PARAMETER
    svc.compile_mof("class Ev_Two { [Key] string Name; };")
    enum = svc.exec_notification_query(
        "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Ev_Two'"
    )
    assert isinstance(enum, Enumerator)
    svc.put_instance(svc.spawn_instance("Ev_Two", Name="x"))
    hr, objs = enum.next(WBEM_INFINITE, 1)
    assert hr == HResult.WBEM_S_NO_ERROR
    assert objs[0].TargetInstance.Name == "x"
    enum.close()


def test_async_event_query_error_through_set_status(svc: openwmi.Services) -> None:
    """spec §6.4 / §1.3: a non-event class is reported via the final SetStatus."""
    sink = CollectingSink()
    svc.exec_notification_query_async("SELECT * FROM __NAMESPACE", sink)
    assert sink.wait(10) == HResult.WBEM_E_NOT_EVENT_CLASS
