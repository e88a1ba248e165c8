"""Fixtures for the provider tests: a connection with the built-in classes
installed (module scope: compiling the schema takes a few hundred ms), and a
child process that lives until its stdin closes or it is killed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

import openwmi
from openwmi.providers import install_builtin


@pytest.fixture(scope="module")
def cimv2() -> Iterator[openwmi.Services]:
    conn = openwmi.connect(repository=":memory:")
    try:
        install_builtin(conn)
        yield conn
    finally:
        conn.close()


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    """A python child blocked reading its stdin (no sleeps needed)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdin is not None:
            proc.stdin.close()
