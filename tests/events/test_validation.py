"""Notification-query validation: every spec §6.4 code on the path spec §1.3
assigns it (before start = raised, sink untouched; after start = one final
``set_status``), the semisynchronous flag rule (spec §6.1, §13 item 13)."""

from __future__ import annotations

import pytest

import openwmi
from openwmi.client._events import (
    aio_exec_notification_query,
    exec_notification_query,
    exec_notification_query_async,
)
from openwmi.errors import HResult, InvalidParameterError, WbemError
from openwmi.manager._events import events_of
from openwmi.testing import RecordingSink, assert_call_invariants

from .conftest import make_class

_E = HResult

AFTER_START = [
    pytest.param(
        "SELECT * FROM Nope_Event", _E.WBEM_E_INVALID_CLASS, id="unknown-class"
    ),
    pytest.param(
        "SELECT * FROM Test_Thing", _E.WBEM_E_NOT_EVENT_CLASS, id="not-event-class"
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE",
        _E.WBEM_E_UNPARSABLE_QUERY,
        id="syntax",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA "
        "'Test_Thing' GROUP BY TargetInstance.Name",
        _E.WBEM_E_MISSING_GROUP_WITHIN,
        id="group-by-without-group-within",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA "
        "'Test_Thing' GROUP WITHIN 5 BY TargetInstance",
        _E.WBEM_E_AGGREGATING_BY_OBJECT,
        id="group-by-object",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE TIME_CREATED.Name = 'x'",
        _E.WBEM_E_PROPERTY_NOT_AN_OBJECT,
        id="dot-on-non-object",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Proc'",
        _E.WBEMESS_E_REGISTRATION_TOO_PRECISE,
        id="provider-class-without-within",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WITHIN 1",
        _E.WBEMESS_E_REGISTRATION_TOO_BROAD,
        id="poll-everything",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Nope'",
        _E.WBEM_E_INVALID_CLASS,
        id="unknown-isa-class",
    ),
    pytest.param(
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.Size > 'big' "
        "AND TargetInstance ISA 'Test_Thing'",
        _E.WBEM_E_INVALID_QUERY,
        id="bad-constant",
    ),
]


@pytest.mark.parametrize(("query", "code"), AFTER_START)
def test_query_errors_arrive_through_one_final_status(things, proc, query, code):
    """Spec §6.4 codes, delivered after start through set_status (spec §1.3,
    ExecNotificationQueryAsync row); the sink sees nothing else."""
    sink = RecordingSink()
    exec_notification_query_async(things, query, sink)
    status = assert_call_invariants(sink, things._shared.engine())
    assert status == code
    assert sink.objects == []
    assert events_of(things.manager).statistics().subscriptions == 0


def test_query_language_must_be_wql(things):
    """Spec §6.4: a language other than WQL → WBEM_E_INVALID_QUERY_TYPE (after start)."""
    sink = RecordingSink()
    exec_notification_query_async(
        things, "SELECT * FROM __InstanceCreationEvent", sink, language="SQL"
    )
    assert assert_call_invariants(sink, things._shared.engine()) == (
        _E.WBEM_E_INVALID_QUERY_TYPE
    )


@pytest.mark.parametrize(
    ("query", "language", "use_sink", "flags"),
    [
        pytest.param(None, "WQL", True, 0, id="null-query"),
        pytest.param("  ", "WQL", True, 0, id="empty-query"),
        pytest.param("SELECT * FROM __Event", None, True, 0, id="null-language"),
        pytest.param("SELECT * FROM __Event", "WQL", False, 0, id="null-sink"),
        pytest.param(
            "SELECT * FROM __Event",
            "WQL",
            True,
            openwmi.WBEM_FLAG_RETURN_IMMEDIATELY,
            id="semisync-flag-on-async",
        ),
    ],
)
def test_before_start_errors_are_raised_and_leave_the_sink_alone(
    things, query, language, use_sink, flags
):
    """Spec §1.3 (NULL strings, sink, flags fail before start) and §13 item 1:
    the sink is never called."""
    sink = RecordingSink()
    with pytest.raises(InvalidParameterError) as info:
        exec_notification_query_async(
            things,
            query,
            sink if use_sink else None,  # type: ignore[arg-type]  # the NULL sink case
            flags,
            language=language,
        )
    assert info.value.hresult == _E.WBEM_E_INVALID_PARAMETER
    assert sink.events == []
    assert events_of(things.manager).statistics().subscriptions == 0


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(0, id="none"),
        pytest.param(
            openwmi.WBEM_FLAG_RETURN_IMMEDIATELY, id="return-immediately-only"
        ),
        pytest.param(openwmi.WBEM_FLAG_FORWARD_ONLY, id="forward-only-only"),
    ],
)
def test_semisync_needs_both_flags(things, flags):
    """Spec §6.1 / §13 item 13: ExecNotificationQuery without both
    RETURN_IMMEDIATELY and FORWARD_ONLY → WBEM_E_INVALID_PARAMETER."""
    with pytest.raises(InvalidParameterError):
        exec_notification_query(things, "SELECT * FROM __InstanceCreationEvent", flags)
    assert events_of(things.manager).statistics().subscriptions == 0


def test_semisync_and_asyncio_raise_query_errors_at_the_call(things):
    """Spec §1.3 [INF] (the .NET pages document these as return values) and the
    documented choice in client/_events.py Rule 3."""
    with pytest.raises(WbemError) as info:
        exec_notification_query(things, "SELECT * FROM Test_Thing")
    assert info.value.hresult == _E.WBEM_E_NOT_EVENT_CLASS
    with pytest.raises(WbemError) as info:
        aio_exec_notification_query(things, "SELECT * FROM __Nope")
    assert info.value.hresult == _E.WBEM_E_INVALID_CLASS


def test_within_on_repository_class_is_accepted(things):
    """Spec §6.5: repository classes get intrinsic events without polling; a WITHIN
    there is accepted (the seed example uses one) and starts no poller."""
    events = events_of(things.manager)
    sub = events.subscribe(
        things.namespace,
        "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA "
        "'Test_Thing'",
    )
    assert events.statistics().pollers == 0
    sub.close()


def test_extrinsic_query_needs_no_within(svc):
    """Spec §7.4: WITHIN is optional for extrinsic event classes."""
    make_class(svc, "Test_Alarm", "__ExtrinsicEvent", Level=openwmi.CIMType.UINT32)
    events = events_of(svc.manager)
    sub = events.subscribe(svc.namespace, "SELECT * FROM Test_Alarm WHERE Level > 2")
    assert not sub.closed
    sub.close()
