"""Planner tests: the choices (lookup / index / scan, constraints, residual),
not only the results. Issue 3 "Planning"; spec §7.2 (__CLASS exact class).
"""

from __future__ import annotations

import operator
from typing import Any

import pytest

from openwmi.model import CIMDateTime
from openwmi.query import (
    Constraint,
    Plan,
    compile_where,
    format_expr,
    prepare_query,
)

PLANS = [
    # (class, WHERE, access, key, exact class, constraints, residual, id)
    ("Proc", "Name = 'x'", "lookup", (("Name", "x"),), None, ["Name = 'x' [key]"], None, "key-eq"),
    (
        "Proc", "'x' = name AND ProcessId > 3", "lookup", (("Name", "x"),), None,
        ["Name = 'x' [key]", "ProcessId > 3"], None, "key-plus-range",
    ),
    ("Proc", "Priority = 8", "index", None, None, ["Priority = 8 [indexed]"], None, "indexed"),
    (
        "Proc", "Priority >= '8' AND Priority < 20", "index", None, None,
        ["Priority >= 8 [indexed]", "Priority < 20 [indexed]"], None, "indexed-range",
    ),
    ("Proc", "ProcessId = 8", "scan", None, None, ["ProcessId = 8"], None, "not-indexed"),
    ("Proc", "Name LIKE 'x%'", "scan", None, None, [], "Name LIKE 'x%'", "like-residual"),
    ("Proc", "Name <> 'x'", "scan", None, None, [], "Name <> 'x'", "ne-residual"),
    (
        "Proc", "Name = 'x' OR Name = 'y'", "scan", None, None, [],
        "Name = 'x' OR Name = 'y'", "or-residual",
    ),
    ("Proc", "NOT Name = 'x'", "scan", None, None, [], "NOT Name = 'x'", "not-residual"),
    ("Proc", "Caption IS NULL", "scan", None, None, [], "Caption IS NULL", "null-residual"),
    ("Proc", "Inner.Size = 3", "scan", None, None, [], "Inner.Size = 3", "dotted-residual"),
    ("Proc", "Blob ISA 'Pair'", "scan", None, None, [], "Blob ISA 'Pair'", "isa-residual"),
    (
        "Proc", "__CLASS = 'SubProc' AND Priority > 1", "index", None, "SubProc",
        ["Priority > 1 [indexed]"], None, "exact-class",
    ),
    (
        "Proc", "__CLASS = 'a' AND __CLASS = 'b'", "scan", None, "a", [],
        "__CLASS = 'b'", "second-class-test-residual",
    ),
    (
        "Proc", "Priority = 8 AND (ProcessId = 1 OR ProcessId = 2) AND Caption LIKE 'e%'",
        "index", None, None, ["Priority = 8 [indexed]"],
        "(ProcessId = 1 OR ProcessId = 2) AND Caption LIKE 'e%'", "mixed",
    ),
    ("Pair", "A = 'x' AND B = 1", "lookup", (("A", "x"), ("B", 1)), None,
     ["A = 'x' [key]", "B = 1 [key]"], None, "compound-key"),
    ("Pair", "A = 'x'", "index", None, None, ["A = 'x' [key]"], None, "partial-key"),
    ("Pair", "A = 'x' AND B > 1", "index", None, None,
     ["A = 'x' [key]", "B > 1 [key]"], None, "partial-key-range"),
    ("Proc", "Enabled = TRUE", "scan", None, None, ["Enabled = TRUE"], None, "boolean"),
    (
        "Proc", "Started < '20240101000000.000000+000'", "scan", None, None,
        ["Started < '20240101000000.000000+000'"], None, "datetime",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("classname", "where", "access", "key", "exact", "constraints", "residual"),
    [p[:7] for p in PLANS],
    ids=[p[7] for p in PLANS],
)
def test_planner_choices(
    classname: str,
    where: str,
    access: str,
    key: Any,
    exact: str | None,
    constraints: list[str],
    residual: str | None,
    world: Any,
) -> None:
    """issue 3 Planning: key equality → lookup; constraints on keys/Indexed →
    index; other AND-connected property-vs-constant comparisons are pushed as
    constraints; everything else is the residual."""
    plan = prepare_query(
        f"SELECT * FROM {classname} WHERE {where}", world.resolver
    ).plan
    assert plan.access == access
    assert plan.key == key
    assert plan.exact_class == exact
    assert [str(c) for c in plan.constraints] == constraints
    got = None if plan.residual is None else format_expr(plan.residual.source)
    assert got == residual


def test_constraint_values_are_typed(world: Any) -> None:
    """spec §7.5: constraint values are the coerced constants (numbers as
    numbers, datetimes as CIMDateTime)."""
    plan = prepare_query(
        "SELECT * FROM Proc WHERE ProcessId > '5' AND Started >= "
        "'20240101000000.000000+000'",
        world.resolver,
    ).plan
    pid, started = plan.constraints
    assert pid.value == 5
    assert type(pid.value) is int
    assert started.value == CIMDateTime.parse("20240101000000.000000+000")


def test_no_where_is_a_scan(world: Any) -> None:
    """issue 3 Planning: no WHERE, nothing to push down."""
    plan = prepare_query("SELECT * FROM Proc", world.resolver).plan
    assert (plan.access, plan.constraints, plan.residual, plan.where) == (
        "scan",
        (),
        None,
        None,
    )


def test_explain_text(world: Any) -> None:
    """issue 3: the plan is inspectable (openwmi query --explain)."""
    plan = prepare_query(
        "SELECT * FROM Proc WHERE Priority = 8 AND ProcessId > 100 AND Name LIKE 'py%'",
        world.resolver,
    ).plan
    assert plan.explain() == (
        "class: Proc\n"
        "access: index range (Priority = 8 [indexed])\n"
        "constraints: Priority = 8 [indexed]; ProcessId > 100\n"
        "residual filter: Name LIKE 'py%'"
    )
    lookup = prepare_query("SELECT * FROM Proc WHERE Name = 'x'", world.resolver).plan
    assert "access: key lookup (Name = 'x')" in lookup.explain()


_OPS = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}  # fmt: skip


def _constraint_holds(c: Constraint, inst: Any) -> bool:
    value = inst[c.property]
    if value is None:
        return False
    if isinstance(value, str):
        return bool(_OPS[c.op](value.casefold(), str(c.value).casefold()))
    return bool(_OPS[c.op](value, c.value))


def _run_plan(plan: Plan, inst: Any) -> bool:
    if (
        plan.exact_class is not None
        and inst["__CLASS"].lower() != plan.exact_class.lower()
    ):
        return False
    if not all(_constraint_holds(c, inst) for c in plan.constraints):
        return False
    return compile_where(plan.residual)(inst)


@pytest.mark.parametrize(
    "where",
    [
        "Priority = 8 AND ProcessId > 50",
        "Priority = 8 AND (ProcessId < 10 OR Name LIKE 'py%')",
        "__CLASS = 'Proc' AND Priority >= 8",
        "Name = 'EXPLORER.EXE' AND Enabled = TRUE",
        "Started < '20240101000000.000000+000' AND NOT Name = 'x'",
        "Name > 'f' AND Name <= 'PYTHON3'",
        "Priority = 8 OR ProcessId = 4",
    ],
    ids=[
        "range",
        "or-inside",
        "exact-class",
        "key-case",
        "datetime",
        "string-range",
        "or",
    ],
)
def test_plan_is_exact(where: str, world: Any) -> None:
    """Rule 5 of _plan: constraints + exact class + residual select exactly
    the rows the full predicate selects."""
    prepared = prepare_query(f"SELECT * FROM Proc WHERE {where}", world.resolver)
    for inst in world.instances():
        assert _run_plan(prepared.plan, inst) == prepared.matches(inst), inst
