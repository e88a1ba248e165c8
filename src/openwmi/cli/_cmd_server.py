"""``openwmi serve`` and ``openwmi user add|del|passwd``.

Owns the command-line surface of the CIM-XML server: the ``serve`` flags (a
contract: ``--host``, ``--port``, ``--https-port``, ``--repository``,
``--no-auth``, ``--insecure-http``) and the users file commands. Imports
server (to start it) and client (for the default data directory); never
engine or manager internals.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..client import default_repository_path
from ..server import RIGHTS, UsersFile

__all__ = ["serve", "user"]


def _data_dir(repository: str | None) -> Path:
    """Where users.json and the certificate live: next to the repository."""
    env = os.environ.get("OPENWMI_DATA_DIR")
    if env:
        return Path(env)
    if repository and repository != ":memory:":
        return Path(repository).expanduser().resolve().parent
    return default_repository_path().parent


def _repository(repository: str | None) -> str:
    return repository or str(default_repository_path())


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=5988, show_default=True, type=int, help="HTTP port (0: none)."
)
@click.option(
    "--https-port",
    default=5989,
    show_default=True,
    type=int,
    help="HTTPS port (0: none).",
)
@click.option(
    "--repository", "-r", default=None, metavar="PATH", help="SQLite repository file."
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Allow requests without credentials (loopback only).",
)
@click.option(
    "--insecure-http",
    is_flag=True,
    help="Allow plain HTTP on a non-loopback address (credentials in clear text).",
)
@click.option(
    "--cert",
    default=None,
    metavar="PEM",
    help="TLS certificate (default: self-signed).",
)
@click.option("--key", default=None, metavar="PEM", help="TLS private key for --cert.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    https_port: int,
    repository: str | None,
    no_auth: bool,
    insecure_http: bool,
    cert: str | None,
    key: str | None,
) -> None:
    """Serve the object manager over CIM-XML (pywbem, pywbemcli, wbemcli)."""
    from ..server._run import ServeOptions
    from ..server._run import serve as run_server

    parent_repo = getattr(ctx.obj, "repository", None)
    repo = _repository(repository or parent_repo)
    opts = ServeOptions(
        host=host,
        port=port,
        https_port=https_port or None,
        repository=repo,
        no_auth=no_auth,
        insecure_http=insecure_http,
        certfile=cert,
        keyfile=key,
    )
    run_server(opts, repository_path=repo, data_dir=_data_dir(repo), echo=click.echo)


def _parse_grants(grants: tuple[str, ...], admin: bool) -> dict[str, list[str]] | None:
    if admin:
        return {"*": list(RIGHTS)}
    if not grants:
        return None
    out: dict[str, list[str]] = {}
    for g in grants:
        ns, sep, rights = g.partition("=")
        if not sep:
            raise click.BadParameter(
                f"{g!r}: expected NAMESPACE=right,right (or *=...)"
            )
        out[ns.strip() or "*"] = [r for r in rights.split(",") if r.strip()]
    return out


@click.group()
def user() -> None:
    """Users of the CIM-XML server (users file with scrypt password hashes)."""


def _users(repository: str | None, ctx: click.Context) -> UsersFile:
    repo = repository or getattr(ctx.obj, "repository", None)
    return UsersFile(_data_dir(_repository(repo)) / "users.json")


@user.command("add")
@click.argument("name")
@click.option("--password", default=None, help="Password (prompted when omitted).")
@click.option(
    "--grant",
    multiple=True,
    metavar="NS=RIGHTS",
    help="Rights in a namespace and below, e.g. root/cimv2=read,execute (repeatable; "
    f"rights: {', '.join(RIGHTS)}). Default: *=read,write,execute,subscribe.",
)
@click.option("--admin", is_flag=True, help="Every right everywhere.")
@click.option("--repository", "-r", default=None, metavar="PATH")
@click.pass_context
def user_add(
    ctx: click.Context,
    name: str,
    password: str | None,
    grant: tuple[str, ...],
    admin: bool,
    repository: str | None,
) -> None:
    """Add user NAME."""
    users = _users(repository, ctx)
    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    users.add(name, password, _parse_grants(grant, admin))
    users.save()
    click.echo(f"added user {name} to {users.path}")


@user.command("del")
@click.argument("name")
@click.option("--repository", "-r", default=None, metavar="PATH")
@click.pass_context
def user_del(ctx: click.Context, name: str, repository: str | None) -> None:
    """Delete user NAME."""
    users = _users(repository, ctx)
    users.delete(name)
    users.save()
    click.echo(f"deleted user {name}")


@user.command("passwd")
@click.argument("name")
@click.option("--password", default=None, help="New password (prompted when omitted).")
@click.option("--repository", "-r", default=None, metavar="PATH")
@click.pass_context
def user_passwd(
    ctx: click.Context, name: str, password: str | None, repository: str | None
) -> None:
    """Change the password of user NAME."""
    users = _users(repository, ctx)
    if password is None:
        password = click.prompt(
            "new password", hide_input=True, confirmation_prompt=True
        )
    users.set_password(name, password)
    users.save()
    click.echo(f"changed the password of {name}")
