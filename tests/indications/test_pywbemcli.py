"""``pywbemcli subscription …`` against the server, then a put_instance reaches
a pywbem listener through what the CLI created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CREATION_T_BASE, NS, Env, Listener

PYWBEMCLI = Path(sys.executable).parent / "pywbemcli"
pytestmark = pytest.mark.skipif(
    not PYWBEMCLI.exists(), reason="pywbemcli not installed (pip install pywbemtools)"
)


def cli(env: Env, *args: str) -> str:
    r = subprocess.run(
        [str(PYWBEMCLI), "-s", env.url, "--no-verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_pywbemcli_subscription_commands(env: Env, listener: Listener) -> None:
    cli(
        env,
        "subscription",
        "add-destination",
        "clidest",
        "-l",
        listener.url,
        "--permanent",
    )
    cli(
        env,
        "subscription",
        "add-filter",
        "clifilter",
        "-q",
        CREATION_T_BASE,
        "--source-namespaces",
        NS,
        "--permanent",
    )
    cli(env, "subscription", "add-subscription", "clidest", "clifilter", "--permanent")
    listing = cli(env, "subscription", "list")
    assert "CIM_IndicationSubscription" in listing
    filters = cli(env, "subscription", "list-filters", "--names-only")
    assert "clifilter" in filters
    dests = cli(env, "subscription", "list-destinations", "--names-only")
    assert "clidest" in dests
    assert "clidest" in cli(env, "subscription", "list-subscriptions", "--names-only")
    env.put("T_Base", "from-cli")
    got = listener.wait_count(1)
    assert got[0]["TargetInstance"]["Name"] == "from-cli"
    assert got[0]["IndicationFilterName"] == "clifilter"
    # bad query: the server's CIM_ERR_INVALID_PARAMETER reaches the CLI
    r = subprocess.run(
        [
            str(PYWBEMCLI),
            "-s",
            env.url,
            "subscription",
            "add-filter",
            "bad",
            "-q",
            "SELECT FROM",
            "--permanent",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode != 0
    assert "CIM_ERR_INVALID_PARAMETER" in r.stdout + r.stderr
