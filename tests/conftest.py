"""Shared test set-up: ``async def`` tests run under ``asyncio.run(debug=True)``
(house-style §5; trio's pytest plugin does the same), and common fixtures."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import openwmi


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        kwargs: dict[str, Any] = {name: pyfuncitem.funcargs[name] for name in names}
        asyncio.run(pyfuncitem.obj(**kwargs), debug=True)
        return True
    return None


@pytest.fixture
def svc() -> Iterator[openwmi.Services]:
    """An embedded connection to root/cimv2 of a fresh in-memory repository."""
    conn = openwmi.connect(repository=":memory:", providers=False)
    try:
        yield conn
    finally:
        conn.close()
