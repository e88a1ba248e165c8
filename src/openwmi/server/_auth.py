"""Users, passwords and per-namespace permissions for the CIM-XML server.

Owns the users file (JSON, mode 0600, written atomically): each user has an
scrypt password hash (``hashlib.scrypt``, random salt, parameters stored with
the hash) and a map namespace → rights. Rights are ``read``, ``write``,
``execute`` (extrinsic methods), ``subscribe`` (indications) and ``admin``
(namespaces and users); ``admin`` implies every other right. A namespace entry
covers that namespace and everything below it; ``*`` covers all; the most
specific entry wins. Imports errors and the stdlib only.

Rule 1: verification is constant-time (``hmac.compare_digest``); an unknown
        user costs the same scrypt work as a wrong password.
Rule 2: a successful verification is cached for ``cache_seconds`` under an
        HMAC of the credentials (never the password itself), so HTTP Basic on
        every request does not pay scrypt every time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import AccessDeniedError, InvalidParameterError, NotFoundError

__all__ = [
    "RIGHTS",
    "Authenticator",
    "UsersFile",
    "hash_password",
    "verify_password",
]

RIGHTS = ("read", "write", "execute", "subscribe", "admin")
_N, _R, _P = 2**14, 8, 1
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=64 * 1024 * 1024,
        dklen=32,
    )
    return "$".join(
        (
            "scrypt",
            str(n),
            str(r),
            str(p),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(hash_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def _norm_ns(ns: str) -> str:
    return ns.replace("\\", "/").strip("/").lower()


def _check_rights(rights: Iterable[str]) -> list[str]:
    out = []
    for r in rights:
        low = r.strip().lower()
        if low not in RIGHTS:
            raise InvalidParameterError(
                f"unknown right {r!r} (choose from {', '.join(RIGHTS)})"
            )
        out.append(low)
    return sorted(set(out))


class UsersFile:
    """The users file: load, look up, change, save (mode 0600)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.users: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self.reload()

    def reload(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        users = data.get("users", {})
        if not isinstance(users, dict):
            raise InvalidParameterError(f"{self.path}: 'users' must be an object")
        with self._lock:
            self.users = users

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "users": self.users}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.chmod(self.path, 0o600)

    def add(
        self,
        name: str,
        password: str,
        permissions: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        if not name or ":" in name:
            raise InvalidParameterError("a user name must be non-empty without ':'")
        if name in self.users:
            raise InvalidParameterError(f"user {name!r} already exists")
        perms = (
            {"*": ["read", "write", "execute", "subscribe"]}
            if permissions is None
            else permissions
        )
        with self._lock:
            self.users[name] = {
                "hash": hash_password(password),
                "permissions": {
                    _norm_ns(k) or "*": _check_rights(v) for k, v in perms.items()
                },
            }

    def delete(self, name: str) -> None:
        with self._lock:
            if self.users.pop(name, None) is None:
                raise NotFoundError(f"user {name!r} does not exist")

    def set_password(self, name: str, password: str) -> None:
        with self._lock:
            if name not in self.users:
                raise NotFoundError(f"user {name!r} does not exist")
            self.users[name]["hash"] = hash_password(password)

    def verify(self, name: str, password: str) -> bool:
        entry = self.users.get(name)
        stored = entry.get("hash", _DUMMY) if isinstance(entry, dict) else _DUMMY
        ok = verify_password(password, str(stored))
        return ok and entry is not None

    def rights(self, name: str, namespace: str) -> frozenset[str]:
        """The rights of ``name`` in ``namespace`` (most specific entry wins)."""
        entry = self.users.get(name)
        if not isinstance(entry, dict):
            return frozenset()
        perms: dict[str, list[str]] = entry.get("permissions", {})
        ns = _norm_ns(namespace)
        best: list[str] | None = None
        best_len = -1
        for key, rights in perms.items():
            k = _norm_ns(key)
            if key == "*" and best_len < 0:
                best, best_len = rights, 0
            elif k and (ns == k or ns.startswith(k + "/")) and len(k) > best_len:
                best, best_len = rights, len(k)
        out = frozenset(best or ())
        return frozenset(RIGHTS) if "admin" in out else out


class Authenticator:
    """Checks Basic credentials against a ``UsersFile`` with a short cache (Rule 2)."""

    def __init__(
        self,
        users: UsersFile,
        *,
        cache_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = users
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._cache: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def _tag(self, user: str, password: str) -> bytes:
        return hmac.new(
            self._key, f"{user}\0{password}".encode(), hashlib.sha256
        ).digest()

    def check(self, user: str, password: str) -> bool:
        """True when the credentials are valid (may run scrypt: call off the loop)."""
        tag = self._tag(user, password)
        now = self.clock()
        with self._lock:
            until = self._cache.get(tag)
            if until is not None and until > now and user in self.users.users:
                return True
        ok = self.users.verify(user, password)
        if ok:
            with self._lock:
                if len(self._cache) > 4096:
                    self._cache.clear()
                self._cache[tag] = now + self.cache_seconds
        return ok

    def is_cached(self, user: str, password: str) -> bool:
        tag = self._tag(user, password)
        with self._lock:
            until = self._cache.get(tag)
        return until is not None and until > self.clock()

    def require(self, user: str | None, namespace: str, right: str) -> None:
        """Raise ``AccessDeniedError`` unless ``user`` has ``right`` in ``namespace``."""
        if user is None:
            return  # authentication is off (loopback --no-auth)
        if right not in self.users.rights(user, namespace):
            raise AccessDeniedError(
                f"user {user!r} has no {right} permission in namespace {namespace}"
            )
