"""Output of CIM objects as a table, JSON lines, CSV or MOF.

Owns the text forms the CLI prints. Imports model only (and rich for tables).
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from rich.table import Table

from ..model import CIMClass, CIMDateTime, CIMInstance, ObjectPath

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from rich.console import Console

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "csv", "mof")


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (CIMDateTime, ObjectPath)):
        return str(value)
    if isinstance(value, CIMInstance):
        return {"__CLASS": value.classname, **{k: _plain(v) for k, v in value.items()}}
    if isinstance(value, CIMClass):
        return {"__CLASS": value.name}
    return value


def _row(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, CIMInstance):
        return {"__PATH": obj["__RELPATH"], **{k: _plain(v) for k, v in obj.items()}}
    if isinstance(obj, CIMClass):
        return {
            "__CLASS": obj.name,
            "__SUPERCLASS": obj.superclass,
            "__PROPERTY_COUNT": len(obj.properties),
        }
    return {"value": _plain(obj)}


def _mof_value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return "{" + ", ".join(_mof_value(v) for v in value) + "}"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _mof(obj: Any) -> str:
    if isinstance(obj, CIMInstance):
        body = "".join(
            f"    {k} = {_mof_value(_plain(v))};\n"
            for k, v in obj.items()
            if v is not None
        )
        return f"instance of {obj.classname}\n{{\n{body}}};\n"
    if isinstance(obj, CIMClass):
        sup = f" : {obj.superclass}" if obj.superclass else ""
        props = "".join(
            f"    {p.type.value} {p.name}{'[]' if p.is_array else ''};\n"
            for p in obj.properties.values()
            if not p.propagated
        )
        return f"class {obj.name}{sup}\n{{\n{props}}};\n"
    return f"// {obj}\n"


def render(objects: Iterable[Any], fmt: str, console: Console) -> Iterator[int]:
    """Write ``objects`` in ``fmt``; yields after each object (so callers can count
    and stay responsive to Ctrl-C while streaming)."""
    if fmt == "json":
        for obj in objects:
            console.file.write(json.dumps(_row(obj), default=str) + "\n")
            yield 1
    elif fmt == "mof":
        for obj in objects:
            console.file.write(_mof(obj) + "\n")
            yield 1
    elif fmt == "csv":
        writer: csv.DictWriter[str] | None = None
        for obj in objects:
            row = _row(obj)
            if writer is None:
                writer = csv.DictWriter(
                    console.file, fieldnames=list(row), extrasaction="ignore"
                )
                writer.writeheader()
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()}
            )
            yield 1
    else:
        rows = []
        for obj in objects:
            rows.append(_row(obj))
            yield 1
        if not rows:
            return
        table = Table(show_lines=False)
        columns = list(rows[0])
        for row in rows[1:]:
            columns += [c for c in row if c not in columns]
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        buf = io.StringIO()
        json.dump(value, buf, default=str)
        return buf.getvalue()
    return str(value)
