#!/usr/bin/env bash
# Install sblim-wbemcli (Debian package) for the CIM-XML interop tests, if missing.
# Idempotent and quiet; exits 0 without it when apt-get is unavailable or not
# permitted, so the wbemcli tests skip with their stated reason instead.
set -euo pipefail
if command -v wbemcli >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-wbemcli: apt-get not available; wbemcli tests will skip" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "setup-wbemcli: not root and no passwordless sudo; wbemcli tests will skip" >&2
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends sblim-wbemcli >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    $SUDO apt-get install -y -qq --no-install-recommends sblim-wbemcli >/dev/null 2>&1 \
        || echo "setup-wbemcli: could not install sblim-wbemcli; wbemcli tests will skip" >&2
fi
