"""The value-row path of EnumerateInstances writes exactly what the instance
path writes: ``ObjectManager.iter_instance_values`` (repository documents →
value dicts) + ``InstanceEncoder.named_instances`` (generated per-class row
writer) against ``create_instance_enum`` + ``InstanceEncoder.named_instance``.
"""

from __future__ import annotations

import pytest

from openwmi.manager import ObjectManager, compile_into
from openwmi.model import CIMDateTime, ObjectPath
from openwmi.protocol import InstanceEncoder
from openwmi.repository import SQLiteRepository

NS = "root/cimv2"
MOF = """
class R_Base { [Key] string Id; string Name; uint64 Size; sint8 Small;
    boolean Flag; datetime Seen; real64 Ratio; real32 Half; string Tags[];
    uint16 Nums[]; boolean Bits[]; datetime Times[]; char16 Letter; };
class R_Sub : R_Base { string Extra; };
class R_NumKey { [Key] uint32 N; [Key] boolean B; string V; };
[Association] class R_Link { [Key] R_Base REF A; [Key] R_Base REF B; };
[Singleton] class R_Single { string V; };
"""

ODD = 'a&b<c>"d"\r\ne %s %% {x} \u00e9'


@pytest.fixture
def mgr():
    m = ObjectManager(SQLiteRepository(":memory:"))
    compile_into(m, NS, MOF)
    dt = CIMDateTime("20240101120000.000000+000")
    rows: list[dict[str, object]] = [
        {
            "Id": "plain",
            "Name": "n",
            "Size": 2**64 - 1,
            "Small": -5,
            "Flag": True,
            "Seen": dt,
            "Ratio": 1.0,
            "Half": 0.5,
            "Tags": ["a", "b"],
            "Nums": [1, 2],
            "Bits": [True, False],
            "Times": [dt],
            "Letter": "x",
        },
        {
            "Id": ODD,
            "Name": ODD,
            "Flag": False,
            "Tags": [ODD, None, ""],
            "Nums": [],
            "Ratio": float("inf"),
        },
        {"Id": "nulls"},
        {"Id": "empty-array", "Tags": [], "Ratio": float("nan")},
    ]
    for values in rows:
        m.put_instance(NS, m.spawn_instance(NS, "R_Base", **values))
    m.put_instance(NS, m.spawn_instance(NS, "R_Sub", Id="sub", Extra=ODD, Flag=True))
    for n in range(3):
        m.put_instance(NS, m.spawn_instance(NS, "R_NumKey", N=n, B=n % 2 == 0, V=ODD))
    a = ObjectPath.parse('R_Base.Id="plain"')
    b = ObjectPath.parse('R_Base.Id="nulls"')
    m.put_instance(NS, m.spawn_instance(NS, "R_Link", A=a, B=b))
    m.put_instance(NS, m.spawn_instance(NS, "R_Single", V=ODD))
    yield m
    m.close()


@pytest.mark.parametrize(
    "classname", ["R_Base", "R_Sub", "R_NumKey", "R_Link", "R_Single"]
)
@pytest.mark.parametrize(
    ("origin", "plist"),
    [
        pytest.param(False, None, id="all"),
        pytest.param(True, None, id="class-origin"),
        pytest.param(False, ["Name", "tags", "B"], id="property-list"),
    ],
)
def test_rows_write_the_same_bytes(mgr, classname, origin, plist):
    def enc() -> InstanceEncoder:
        return InstanceEncoder(include_class_origin=origin, property_list=plist)

    general = enc()
    expected = "".join(
        general.named_instance(i) for i in mgr.create_instance_enum(NS, classname)
    )
    chunks = mgr.iter_instance_values(NS, classname)
    assert chunks is not None
    fast = enc()
    got = "".join(fast.named_instances(cls, rows) for cls, rows in chunks)
    assert got == expected
    assert expected.count("<VALUE.NAMEDINSTANCE>") >= 1


def test_namespace_class_and_providers_take_the_general_path(mgr):
    assert mgr.iter_instance_values(NS, "__NAMESPACE") is None


def test_values_match_the_instances(mgr):
    chunks = mgr.iter_instance_values(NS, "R_Base")
    assert chunks is not None
    got = [(cls.name, rows) for cls, rows in chunks]
    want = list(mgr.create_instance_enum(NS, "R_Base"))
    flat = [(name, row) for name, rows in got for row in rows]
    assert [n for n, _ in flat] == [i.classname for i in want]
    for (_, row), inst in zip(flat, want, strict=True):
        assert {k: v for k, v in row.items() if v is not None} == {
            k: v for k, v in inst.values_set().items() if v is not None
        }
