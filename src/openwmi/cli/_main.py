"""The ``openwmi`` command line: a click group with one module per noun.

Owns global options, connection set-up and the error → exit code mapping
(a ``WbemError`` prints its HRESULT name and message on stderr and exits 1;
Ctrl-C exits 130; never a traceback). Imports client (and server to start
it), never engine or manager internals.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from .. import __version__
from ..client import Services, connect
from ..errors import WbemError
from ._cmd_query import parse_method_args, stream_call
from ._cmd_watch import watch
from ._render import FORMATS, render

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["cli", "main"]


class _Ctx:
    def __init__(
        self,
        repository: str | None,
        namespace: str,
        fmt: str,
        *,
        url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        verify: bool = True,
    ) -> None:
        self.repository = repository
        self.namespace = namespace
        self.fmt = fmt
        self.url = url
        self.user = user
        self.password = password
        self.verify = verify
        self.console = Console(soft_wrap=True)

    @contextmanager
    def services(self) -> Iterator[Services]:
        if self.url:
            svc = connect(
                self.url,
                namespace=self.namespace,
                user=self.user,
                password=self.password,
                verify=self.verify,
            )
        else:
            svc = connect(namespace=self.namespace, repository=self.repository)
        try:
            yield svc
        finally:
            svc.close()

    def show(self, objects: Iterable[Any]) -> int:
        count = 0
        for n in render(objects, self.fmt, self.console):
            count += n
        return count


_pass = click.make_pass_decorator(_Ctx)


def _common(f: Callable[..., Any]) -> Callable[..., Any]:
    """--namespace/--repository/--format on every command (also accepted globally)."""
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format (default: table).",
    )(f)
    f = click.option(
        "--repository",
        "-r",
        default=None,
        metavar="PATH",
        help="SQLite repository file (default: the user's data directory).",
    )(f)
    f = click.option(
        "--namespace", "-n", default=None, help="Namespace (default root/cimv2)."
    )(f)
    # the remote options are also accepted after the command name
    # (``openwmi query --url …``); they land on the group's _Ctx
    for decl, attr, extra in _REMOTE_OPTIONS:
        f = click.option(
            decl,
            attr,
            expose_value=False,
            callback=_remote_option,
            **extra,
        )(f)
    return f


def _remote_option(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None or value is False:
        return
    target = ctx.find_object(_Ctx)
    if target is None:
        return
    if param.name == "no_verify":
        target.verify = False
    else:
        setattr(target, str(param.name), value)


_REMOTE_OPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "--url",
        "url",
        {
            "default": None,
            "metavar": "URL",
            "help": "A WBEM server (http(s)://host:port).",
        },
    ),
    ("--user", "user", {"default": None, "help": "User name for the server."}),
    (
        "--password",
        "password",
        {"default": None, "help": "Password (or $OPENWMI_PASSWORD)."},
    ),
    (
        "--no-verify",
        "no_verify",
        {"is_flag": True, "default": False, "help": "Do not verify TLS certificates."},
    ),
]


def _apply(
    ctx: _Ctx, namespace: str | None, repository: str | None, fmt: str | None
) -> _Ctx:
    return _Ctx(
        repository or ctx.repository,
        namespace or ctx.namespace,
        fmt or ctx.fmt,
        url=ctx.url,
        user=ctx.user,
        password=ctx.password,
        verify=ctx.verify,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openwmi")
@click.option(
    "--namespace", "-n", default="root/cimv2", show_default=True, help="Namespace."
)
@click.option(
    "--repository",
    "-r",
    default=None,
    metavar="PATH",
    help="SQLite repository file (default: $OPENWMI_REPOSITORY or the user's data dir).",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
)
@click.option(
    "--url",
    envvar="OPENWMI_URL",
    default=None,
    metavar="URL",
    help="A WBEM server (http(s)://host:port) instead of the embedded one "
    "(or $OPENWMI_URL).",
)
@click.option("--user", envvar="OPENWMI_USER", default=None, help="User name.")
@click.option(
    "--password",
    envvar="OPENWMI_PASSWORD",
    default=None,
    help="Password (or $OPENWMI_PASSWORD).",
)
@click.option(
    "--no-verify", is_flag=True, default=False, help="Do not verify TLS certificates."
)
@click.pass_context
def cli(
    ctx: click.Context,
    namespace: str,
    repository: str | None,
    fmt: str,
    url: str | None,
    user: str | None,
    password: str | None,
    no_verify: bool,
) -> None:
    """openwmi: WMI's object manager for Linux (CIM model, WQL, providers, events)."""
    ctx.obj = _Ctx(
        repository,
        namespace,
        fmt,
        url=url,
        user=user,
        password=password,
        verify=not no_verify,
    )


@cli.command()
@_common
@_pass
def namespaces(
    ctx: _Ctx, namespace: str | None, repository: str | None, fmt: str | None
) -> None:
    """List every namespace."""
    c = _apply(ctx, namespace, repository, fmt)
    with c.services() as svc:
        c.show({"Name": n} for n in svc.manager.list_namespaces())


@cli.command()
@click.argument("superclass", required=False)
@click.option("--shallow", is_flag=True, help="Only immediate subclasses.")
@_common
@_pass
def classes(
    ctx: _Ctx,
    superclass: str | None,
    shallow: bool,
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
) -> None:
    """List classes (below SUPERCLASS if given)."""
    from ..constants import WBEM_FLAG_SHALLOW

    c = _apply(ctx, namespace, repository, fmt)
    with c.services() as svc:
        c.show(svc.create_class_enum(superclass, WBEM_FLAG_SHALLOW if shallow else 0))


@cli.command()
@click.argument("path")
@_common
@_pass
def get(
    ctx: _Ctx, path: str, namespace: str | None, repository: str | None, fmt: str | None
) -> None:
    """Show one class or instance by object path (e.g. 'Cls.Key="v"')."""
    c = _apply(
        ctx, namespace, repository, fmt or ("mof" if ctx.fmt == "table" else None)
    )
    with c.services() as svc:
        c.show([svc.get_object(path)])


@cli.command(name="enum")
@click.argument("classname")
@click.option("--shallow", is_flag=True, help="Only instances of CLASSNAME itself.")
@_common
@_pass
def enum_(
    ctx: _Ctx,
    classname: str,
    shallow: bool,
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
) -> None:
    """Enumerate the instances of CLASSNAME (and its subclasses)."""
    from ..constants import WBEM_FLAG_SHALLOW

    c = _apply(ctx, namespace, repository, fmt)
    flags = WBEM_FLAG_SHALLOW if shallow else 0
    with c.services() as svc:
        c.show(
            stream_call(
                svc, lambda sink: svc.create_instance_enum_async(classname, sink, flags)
            )
        )


@cli.command()
@click.argument("wql")
@click.option(
    "--explain", is_flag=True, help="Show how the query would run, not its results."
)
@_common
@_pass
def query(
    ctx: _Ctx,
    wql: str,
    explain: bool,
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
) -> None:
    """Run a WQL query; Ctrl-C cancels it (CancelAsyncCall).

    Example: openwmi query "SELECT Name, ProcessId FROM Win32_Process WHERE Name LIKE 'py%'"
    """
    c = _apply(ctx, namespace, repository, fmt)
    with c.services() as svc:
        if explain:
            click.echo(svc.explain(wql))
            return
        c.show(stream_call(svc, lambda sink: svc.exec_query_async(wql, sink)))


@cli.command(name="call")
@click.argument("path")
@click.argument("method")
@click.argument("params", nargs=-1)
@_common
@_pass
def call_(
    ctx: _Ctx,
    path: str,
    method: str,
    params: tuple[str, ...],
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
) -> None:
    """Call METHOD on PATH with Name=Value PARAMS (typed from the declaration).

    Shows a progress bar when the provider reports progress; Ctrl-C cancels the
    call (the provider runs to completion, as in WMI).
    Example: openwmi call 'Win32_Process.Handle="42"' Terminate Reason=0
    """
    from rich.progress import Progress

    from ..constants import WBEM_FLAG_SEND_STATUS

    c = _apply(
        ctx, namespace, repository, fmt or ("table" if ctx.fmt == "table" else None)
    )
    with c.services() as svc:
        target = svc.manager.parse_path(svc.namespace, path)[1]
        cls = svc.get_object(target.classname)
        m = cls.methods.get(method)
        if m is None:
            from ..errors import HResult

            raise WbemError.of(
                HResult.WBEM_E_INVALID_METHOD,
                f"class {cls.name} has no method {method!r}",
            )
        in_params = parse_method_args(m, params)
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(f"{cls.name}.{m.name}", total=100, visible=False)

            def progress(percent: int, message: str | None) -> None:
                bar.update(
                    task, completed=percent, visible=True, description=message or m.name
                )

            results = list(
                stream_call(
                    svc,
                    lambda sink: svc.exec_method_async(
                        path, m.name, in_params, sink, WBEM_FLAG_SEND_STATUS
                    ),
                    progress,
                )
            )
        c.show(results)


@cli.group()
def mof() -> None:
    """MOF (Managed Object Format) files."""


@mof.command(name="compile")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@_common
@_pass
def mof_compile(
    ctx: _Ctx,
    files: tuple[Path, ...],
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
) -> None:
    """Compile MOF FILES into the namespace (all or nothing)."""
    c = _apply(ctx, namespace, repository, fmt)
    with c.services() as svc:
        total = svc.compile_mof_file(*files)
    summary = ", ".join(f"{v} {k}" for k, v in total.items())
    click.echo(f"compiled {len(files)} file(s) into {c.namespace}: {summary}")


@cli.group()
def schema() -> None:
    """The DMTF CIM schema."""


@schema.command(name="load")
@click.argument(
    "directory", type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@_common
@_pass
def schema_load(
    ctx: _Ctx,
    directory: Path,
    namespace: str | None,
    repository: str | None,
    fmt: str | None,
) -> None:
    """Load the DMTF CIM schema unpacked in DIRECTORY (its cim_schema_*.mof)."""
    c = _apply(ctx, namespace, repository, fmt)
    with c.services() as svc:
        total = svc.load_schema(directory)
    summary = ", ".join(f"{v} {k}" for k, v in total.items())
    click.echo(f"loaded the CIM schema from {directory} into {c.namespace}: {summary}")


cli.add_command(watch)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning WbemError into a message and exit 1."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        cli.main(args=argv, prog_name="openwmi", standalone_mode=False)
    except WbemError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except click.exceptions.Abort:
        err.print("cancelled", markup=False)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("cancelled", markup=False)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)


from ._cmd_server import serve, user  # noqa: E402  # registered last: server commands

cli.add_command(serve)
cli.add_command(user)
