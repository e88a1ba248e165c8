"""ExecQuery over the object manager (issue 3: execution, planning, call modes).

Spec = shared/spec/wmi-semantics.md. The planner's choice is asserted through
``Services.explain`` and through what the repository is asked (a counting
wrapper around ``iter_instances``), not only through results.
"""

from __future__ import annotations

from typing import Any

import pytest

import openwmi
from openwmi import (
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_PROTOTYPE,
    WBEM_FLAG_RETURN_IMMEDIATELY,
    WBEM_INFINITE,
    CollectingSink,
    HResult,
    WbemError,
)
from openwmi.engine import Enumerator

MOF = """
class Q_Base { [Key] string Name; uint32 Size; boolean Flag; string Tag; };
class Q_Item : Q_Base { [Indexed] uint32 Bucket; datetime Seen; };
class Q_Other : Q_Base { };
[Association] class Q_Link { [Key] Q_Base REF A; [Key] Q_Base REF B; };
"""


@pytest.fixture
def qsvc(svc: openwmi.Services) -> openwmi.Services:
    svc.compile_mof(MOF)
    for i in range(40):
        svc.put_instance(
            svc.spawn_instance(
                "Q_Item",
                Name=f"item{i:02d}",
                Size=i * 10,
                Flag=i % 2 == 0,
                Tag="Alpha" if i < 5 else "beta",
                Bucket=i % 4,
                Seen=f"2024010{1 + i % 9}000000.000000+000",
            )
        )
    svc.put_instance(svc.spawn_instance("Q_Other", Name="other", Size=5))
    svc.put_instance(
        svc.spawn_instance("Q_Link", A='Q_Item.Name="item01"', B='Q_Other.Name="other"')
    )
    return svc


def names(objs: Any) -> list[str]:
    return sorted(o.Name for o in objs)


@pytest.mark.parametrize(
    ("wql", "expected"),
    [
        pytest.param(
            "SELECT * FROM Q_Item WHERE Name = 'ITEM03'", ["item03"], id="key-ci"
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE Size >= 370",
            ["item37", "item38", "item39"],
            id="range",
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE 370 <= Size",
            ["item37", "item38", "item39"],
            id="constant-left",
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE Bucket = 3 AND Size < 100",
            ["item03", "item07"],
            id="indexed-and",
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE Tag = 'ALPHA' AND NOT Flag = TRUE",
            ["item01", "item03"],
            id="not-bool",
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE Name LIKE 'item0[0-2]'",
            ["item00", "item01", "item02"],
            id="like",
        ),
        pytest.param(
            "SELECT * FROM Q_Base WHERE Size < 10", ["item00", "other"], id="deep"
        ),
        pytest.param(
            "SELECT * FROM Q_Base WHERE __CLASS = 'Q_Other'",
            ["other"],
            id="exact-class",
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE Seen > '20240108000000.000000+000'",
            ["item08", "item17", "item26", "item35"],
            id="datetime",
        ),
        pytest.param(
            "SELECT * FROM Q_Other WHERE Tag IS NULL", ["other"], id="is-null"
        ),
    ],
)
def test_data_queries(qsvc: openwmi.Services, wql: str, expected: list[str]) -> None:
    """spec §7.1-§7.3: comparisons, LIKE, NULL, ISA-free data queries, deep FROM."""
    assert names(qsvc.exec_query(wql)) == expected


def test_projection_keeps_system_properties(qsvc: openwmi.Services) -> None:
    """spec §7.1: 'The result set includes all system properties and the specified
    nonsystem properties'."""
    (obj,) = qsvc.exec_query("SELECT Size FROM Q_Item WHERE Name = 'item02'")
    assert obj.Size == 20
    assert obj["__CLASS"] == "Q_Item"
    assert obj["__RELPATH"] == 'Q_Item.Name="item02"'
    with pytest.raises((KeyError, AttributeError)):
        _ = obj.Tag


@pytest.mark.parametrize(
    ("wql", "access"),
    [
        pytest.param(
            "SELECT * FROM Q_Item WHERE Name = 'x'", "key lookup", id="lookup"
        ),
        pytest.param("SELECT * FROM Q_Item WHERE Bucket = 2", "index", id="index"),
        pytest.param("SELECT * FROM Q_Item WHERE Tag = 'x'", "full scan", id="scan"),
    ],
)
def test_planner_choice_is_explained(
    qsvc: openwmi.Services, wql: str, access: str
) -> None:
    """Issue 3 planning: key equality → lookup, Indexed → index, else scan."""
    assert access in qsvc.explain(wql)


def test_key_lookup_reads_no_rows_by_scanning(
    qsvc: openwmi.Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 3: key equality is a direct lookup — the repository is never scanned."""
    repo = qsvc.manager.repository
    scans: list[str] = []
    original = repo.iter_instances

    def counting(ns: str, cls: Any) -> Any:
        scans.append(cls.name)
        return original(ns, cls)

    monkeypatch.setattr(repo, "iter_instances", counting)
    assert names(qsvc.exec_query("SELECT * FROM Q_Item WHERE Name = 'item05'")) == [
        "item05"
    ]
    assert scans == []
    list(qsvc.exec_query("SELECT * FROM Q_Item WHERE Tag = 'x'"))
    assert scans == ["Q_Item"]


def test_schema_queries(qsvc: openwmi.Services) -> None:
    """spec §7.2 schema queries: __this ISA, __CLASS, __SUPERCLASS."""
    got = {
        c.name
        for c in qsvc.exec_query("SELECT * FROM meta_class WHERE __this ISA 'Q_Base'")
    }
    assert got == {"Q_Base", "Q_Item", "Q_Other"}
    got = {
        c.name
        for c in qsvc.exec_query(
            "SELECT * FROM meta_class WHERE __SUPERCLASS = 'Q_Base'"
        )
    }
    assert got == {"Q_Item", "Q_Other"}
    (one,) = qsvc.exec_query("SELECT * FROM meta_class WHERE __CLASS = 'Q_Link'")
    assert one.is_association


def test_association_queries(qsvc: openwmi.Services) -> None:
    """spec §7.2 ASSOCIATORS OF / REFERENCES OF with clauses in any order."""
    assoc = list(qsvc.exec_query('ASSOCIATORS OF {Q_Item.Name="item01"}'))
    assert [o.Name for o in assoc] == ["other"]
    assert (
        list(
            qsvc.exec_query(
                'ASSOCIATORS OF {Q_Item.Name="item01"} WHERE ResultClass = Q_Item'
            )
        )
        == []
    )
    refs = list(qsvc.exec_query('REFERENCES OF {Q_Other.Name="other"} WHERE Role = B'))
    assert [r.classname for r in refs] == ["Q_Link"]
    (cls,) = qsvc.exec_query(
        'ASSOCIATORS OF {Q_Item.Name="item01"} WHERE ClassDefsOnly'
    )
    assert cls.name == "Q_Other"
    (keys,) = qsvc.exec_query('ASSOCIATORS OF {Q_Item.Name="item01"} WHERE KeysOnly')
    assert keys.Name == "other"
    assert keys.Size is None


@pytest.mark.parametrize(
    ("query", "language", "code"),
    [
        pytest.param("SELECT * FROM Q_Nope", "WQL", "WBEM_E_INVALID_CLASS", id="class"),
        pytest.param(
            "SELECT Nope FROM Q_Item", "WQL", "WBEM_E_INVALID_QUERY", id="property"
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE Flag < TRUE",
            "WQL",
            "WBEM_E_INVALID_QUERY",
            id="bool-order",
        ),
        pytest.param("SELECT * FROM", "WQL", "WBEM_E_INVALID_QUERY", id="syntax"),
        pytest.param(
            "SELECT * FROM Q_Item", "SQL", "WBEM_E_INVALID_QUERY_TYPE", id="language"
        ),
        pytest.param("SELECT * FROM Q_Item", "wql", None, id="language-case"),
        pytest.param("", "WQL", "WBEM_E_INVALID_PARAMETER", id="empty"),
        pytest.param(
            "SELECT * FROM __InstanceCreationEvent WITHIN 1",
            "WQL",
            "WBEM_E_INVALID_QUERY",
            id="event-query",
        ),
        pytest.param(
            "SELECT * FROM Q_Item WHERE " + " OR ".join(["Size = 1"] * 3000),
            "WQL",
            "WBEM_E_QUOTA_VIOLATION",
            id="too-long",
        ),
    ],
)
def test_query_errors_sync(
    qsvc: openwmi.Services, query: str, language: str, code: str | None
) -> None:
    """spec §13 item 15, §12 items 9-10: each bad query gets its code at the call."""
    if code is None:
        assert len(list(qsvc.exec_query(query, language=language))) == 40
        return
    with pytest.raises(WbemError) as exc:
        list(qsvc.exec_query(query, language=language))
    assert exc.value.name == code


def test_async_query_errors_come_through_set_status(qsvc: openwmi.Services) -> None:
    """spec §1.3: for ExecQueryAsync, query evaluation errors arrive via SetStatus;
    a NULL query fails before start and never touches the sink."""
    sink = CollectingSink()
    qsvc.exec_query_async("SELECT * FROM Q_Nope", sink)
    assert sink.wait(10) == HResult.WBEM_E_INVALID_CLASS
    untouched = CollectingSink()
    with pytest.raises(WbemError) as exc:
        qsvc.exec_query_async("", untouched)
    assert exc.value.hresult == HResult.WBEM_E_INVALID_PARAMETER
    assert untouched.status is None
    ok = CollectingSink()
    qsvc.exec_query_async("SELECT Name FROM Q_Item WHERE Bucket = 1", ok)
    assert ok.wait(10) == HResult.WBEM_S_NO_ERROR
    assert len(ok.objects) == 10


def test_semisync_unknown_class_surfaces_at_next(qsvc: openwmi.Services) -> None:
    """spec §1.1 [OBS]: semisync ExecQuery of an unknown class returns an
    enumerator; the first Next returns WBEM_E_INVALID_CLASS with no objects."""
    enum = qsvc.exec_query(
        "SELECT * FROM Q_Nope", WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY
    )
    assert isinstance(enum, Enumerator)
    hr, objs = enum.next(WBEM_INFINITE, 1)
    assert hr == HResult.WBEM_E_INVALID_CLASS
    assert objs == []


def test_prototype_flag(qsvc: openwmi.Services) -> None:
    """spec §4.3: WBEM_FLAG_PROTOTYPE returns the result-shaped class with Order."""
    (proto,) = qsvc.exec_query(
        "SELECT Size, Name, Size FROM Q_Item", WBEM_FLAG_PROTOTYPE
    )
    assert set(proto.properties) == {"Size", "Name"}
    assert list(proto.properties["Size"].qualifiers["Order"].value) == [0, 2]


def test_query_over_provider_class(qsvc: openwmi.Services) -> None:
    """Issue 3/4: a provider-backed class is enumerated and post-filtered."""
    qsvc.compile_mof("class Q_Prov { [Key] uint32 Id; string Kind; };")

    class Prov:
        def enumerate_instances(self, ctx: Any, classname: str) -> Any:
            for i in range(10):
                yield {"Id": i, "Kind": "odd" if i % 2 else "even"}

    qsvc.register_provider("Q_Prov", Prov())
    got = sorted(
        o.Id for o in qsvc.exec_query("SELECT Id FROM Q_Prov WHERE Kind = 'ODD'")
    )
    assert got == [1, 3, 5, 7, 9]


def test_indexed_property_follows_updates_and_deletes(qsvc: openwmi.Services) -> None:
    """The property index stays exact across update and delete."""
    qsvc.put_instance(qsvc.spawn_instance("Q_Item", Name="item00", Bucket=3))
    assert "item00" in names(qsvc.exec_query("SELECT * FROM Q_Item WHERE Bucket = 3"))
    assert "item00" not in names(
        qsvc.exec_query("SELECT * FROM Q_Item WHERE Bucket = 0")
    )
    qsvc.delete_instance('Q_Item.Name="item00"')
    assert "item00" not in names(
        qsvc.exec_query("SELECT * FROM Q_Item WHERE Bucket = 3")
    )
