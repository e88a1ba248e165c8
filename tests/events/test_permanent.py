"""Permanent subscriptions (spec §6.6): __EventFilter, consumers and
__FilterToConsumerBinding persisted in the repository, re-armed after a
restart; LogFileEventConsumer; CommandLineEventConsumer admin-only, argument
list, no shell (issue 6)."""

from __future__ import annotations

import os
import sys

import pytest

import openwmi
from openwmi.errors import AccessDeniedError, HResult, WbemError
from openwmi.manager._events import events_of
from openwmi.model import CIMInstance

from .conftest import make_class, put

QUERY = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Thing'"


def _consumer(svc: openwmi.Services, cls: str, **values: object) -> CIMInstance:
    found = svc.manager.repository.get_class(svc.namespace, cls)
    assert found is not None
    return CIMInstance(found, values)


def test_log_file_subscription_survives_reopening_the_repository(tmp_path):
    """Spec §6.6: "A permanent event consumer receives events until its
    registration is explicitly canceled" — across a restart (issue 6); one line
    per event with %TargetInstance.Name% substituted."""
    repo, log = tmp_path / "repo.sqlite", tmp_path / "events.log"
    svc = openwmi.connect(repository=repo)
    try:
        make_class(svc, "Test_Thing", Size=openwmi.CIMType.UINT32)
        perm = events_of(svc.manager).permanent
        paths = perm.subscribe(
            svc.namespace,
            "created-things",
            QUERY,
            _consumer(
                svc,
                "LogFileEventConsumer",
                Name="log",
                Filename=str(log),
                Text="created %TargetInstance.Name% (%TargetInstance.Size%)",
            ),
        )
        assert paths[0] == '__EventFilter.Name="created-things"'
        put(svc, "Test_Thing", "before", Size=1)
        assert perm.flush()
        assert log.read_text().splitlines() == ["created before (1)"]
    finally:
        svc.close()
    svc = openwmi.connect(repository=repo)
    try:
        events = events_of(svc.manager)
        assert events.statistics().permanent_bindings == 1
        put(svc, "Test_Thing", "after", Size=2)
        assert events.permanent.flush()
        assert log.read_text().splitlines() == [
            "created before (1)",
            "created after (2)",
        ]
        # deleting the binding disarms it
        (binding,) = list(svc.create_instance_enum("__FilterToConsumerBinding"))
        assert binding.path is not None
        events.permanent.delete(svc.namespace, binding.path)
        assert events.statistics().permanent_bindings == 0
        put(svc, "Test_Thing", "gone")
        assert len(log.read_text().splitlines()) == 2
    finally:
        svc.close()


def test_filter_query_is_validated_when_written(svc):
    """Spec §6.4 codes apply to a filter's query when it is written (spec §6.6)."""
    perm = events_of(svc.manager).permanent
    with pytest.raises(WbemError) as info:
        perm.subscribe(
            svc.namespace,
            "bad",
            "SELECT * FROM __NAMESPACE",
            _consumer(svc, "LogFileEventConsumer", Name="l", Filename="/dev/null"),
        )
    assert info.value.hresult == HResult.WBEM_E_NOT_EVENT_CLASS


def test_command_line_consumer_needs_an_administrator(svc, tmp_path):
    """Issue 6: CommandLineEventConsumer is admin only (WBEM_E_ACCESS_DENIED for
    anyone else, spec §6.4 last rows)."""
    perm = events_of(svc.manager).permanent
    consumer = _consumer(
        svc, "CommandLineEventConsumer", Name="c", CommandLineTemplate="/bin/true"
    )
    with pytest.raises(AccessDeniedError):
        perm.put(svc.namespace, consumer, user=1000)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs an administrator (uid 0)")
def test_command_line_consumer_runs_an_argument_list_without_shell(svc, tmp_path):
    """Issue 6: the template is split into arguments before substitution, so event
    data with spaces, quotes or ';' reaches the program as one argument."""
    make_class(svc, "Test_Thing", Size=openwmi.CIMType.UINT32)
    out = tmp_path / "out.txt"
    script = "import sys; open(sys.argv[1], 'a').write(repr(sys.argv[2:]) + chr(10))"
    template = f'{sys.executable} -c "{script}" {out} %TargetInstance.Name%'
    events = events_of(svc.manager)
    events.permanent.subscribe(
        svc.namespace,
        "cmd",
        QUERY,
        _consumer(
            svc, "CommandLineEventConsumer", Name="c", CommandLineTemplate=template
        ),
    )
    evil = "x; touch pwned 'q'"
    put(svc, "Test_Thing", evil)
    assert events.permanent.flush()
    (consumer,) = events.permanent.consumers()
    assert consumer.processes[-1].wait(20) == 0
    assert out.read_text().splitlines() == [repr([evil])]
    assert not (tmp_path / "pwned").exists()


def test_handles_names_the_subscription_classes(svc):
    """Spec §6.6: filters, consumers (any __EventConsumer subclass) and bindings
    are the objects whose writes the object manager routes to the events module."""
    repo = svc.manager.repository
    perm = events_of(svc.manager).permanent
    for name in (
        "__EventFilter",
        "LogFileEventConsumer",
        "CommandLineEventConsumer",
        "__FilterToConsumerBinding",
    ):
        cls = repo.get_class(svc.namespace, name)
        assert cls is not None
        assert perm.handles(cls)
    other = repo.get_class(svc.namespace, "__NAMESPACE")
    assert other is not None
    assert not perm.handles(other)
