"""Tests for NocaseDict: case-insensitive, case-preserving CIM names (DSP0004 §5.1)."""

from __future__ import annotations

import pytest

from openwmi.model import NocaseDict


def make() -> NocaseDict[int]:
    return NocaseDict([("Name", 1), ("Handle", 2), ("ProcessId", 3)])


@pytest.mark.parametrize("spelling", ["Name", "name", "NAME", "nAmE"])
def test_get_is_case_insensitive(spelling: str) -> None:
    """DSP0004 §5.1: names compare without regard to case."""
    d = make()
    assert d[spelling] == 1
    assert d.get(spelling) == 1
    assert spelling in d


@pytest.mark.parametrize(
    ("key", "default", "expected"),
    [
        pytest.param("missing", None, None, id="absent-no-default"),
        pytest.param("missing", 42, 42, id="absent-default"),
        pytest.param("HANDLE", 42, 2, id="present-ignores-default"),
    ],
)
def test_get_default(key: str, default: int | None, expected: int | None) -> None:
    assert make().get(key, default) == expected


def test_missing_key_raises_key_error() -> None:
    with pytest.raises(KeyError):
        make()["nope"]


@pytest.mark.parametrize(
    "key", [pytest.param(1, id="int"), pytest.param(None, id="none")]
)
def test_contains_non_string_is_false(key: object) -> None:
    assert key not in make()


def test_set_keeps_first_spelling() -> None:
    """The first spelling written is kept; later writes only change the value."""
    d = make()
    d["NAME"] = 10
    assert list(d) == ["Name", "Handle", "ProcessId"]
    assert d["name"] == 10
    assert d.canonical("nAME") == "Name"
    assert len(d) == 3


def test_canonical_of_absent_key_is_none() -> None:
    assert make().canonical("Other") is None


def test_delete_is_case_insensitive() -> None:
    d = make()
    del d["HANDLE"]
    assert "Handle" not in d
    assert list(d) == ["Name", "ProcessId"]
    with pytest.raises(KeyError):
        del d["handle"]


def test_delete_then_reinsert_takes_new_spelling_at_end() -> None:
    d = make()
    del d["name"]
    d["NAME"] = 5
    assert list(d) == ["Handle", "ProcessId", "NAME"]


def test_insertion_order_and_items() -> None:
    d: NocaseDict[int] = NocaseDict()
    for k, v in [("b", 1), ("A", 2), ("c", 3)]:
        d[k] = v
    assert list(d) == ["b", "A", "c"]
    assert list(d.items()) == [("b", 1), ("A", 2), ("c", 3)]
    assert list(d.values()) == [1, 2, 3]


def test_construct_from_mapping_and_pairs_agree() -> None:
    assert NocaseDict({"X": 1, "y": 2}) == NocaseDict([("X", 1), ("y", 2)])


def test_construct_with_duplicate_spellings_keeps_first_name_last_value() -> None:
    d = NocaseDict([("Key", 1), ("KEY", 2)])
    assert list(d.items()) == [("Key", 2)]


@pytest.mark.parametrize(
    ("other", "equal"),
    [
        pytest.param(
            NocaseDict([("NAME", 1), ("handle", 2), ("processid", 3)]),
            True,
            id="other-case",
        ),
        pytest.param(
            NocaseDict([("ProcessId", 3), ("Handle", 2), ("Name", 1)]),
            True,
            id="other-order",
        ),
        pytest.param({"name": 1, "HANDLE": 2, "ProcessID": 3}, True, id="plain-dict"),
        pytest.param(NocaseDict([("Name", 1), ("Handle", 2)]), False, id="fewer"),
        pytest.param(
            NocaseDict([("Name", 1), ("Handle", 2), ("ProcessId", 4)]),
            False,
            id="other-value",
        ),
        pytest.param({"Name": 1, "Handle": 2, "Other": 3}, False, id="other-key"),
    ],
)
def test_equality(other: object, equal: bool) -> None:
    assert (make() == other) is equal
    assert (make() != other) is not equal


def test_not_equal_to_non_mapping() -> None:
    assert make() != [("Name", 1), ("Handle", 2), ("ProcessId", 3)]


def test_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(make())


def test_copy_is_independent() -> None:
    d = make()
    c = d.copy()
    c["name"] = 99
    c["New"] = 4
    del c["handle"]
    assert d == make()
    assert list(d) == ["Name", "Handle", "ProcessId"]
    assert list(c) == ["Name", "ProcessId", "New"]
    assert c["NAME"] == 99


def test_repr_shows_stored_spelling() -> None:
    assert repr(NocaseDict([("Ab", 1)])) == "NocaseDict({'Ab': 1})"
