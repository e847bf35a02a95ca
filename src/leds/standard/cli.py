"""``leds standard``: publish the national data standard as JSON Schema, show its code lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import codes, schema

out = Console()

standard_app = typer.Typer(
    help="The national data standard: publish it as JSON Schema.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(standard_app, name="standard")


@standard_app.command("export")
def export_cmd(
    dir: Annotated[Path, typer.Argument(help="Folder to write the schemas into; created if needed.", metavar="DIR")],
) -> None:
    """Write updategram.schema.json, one schema per record type and code-lists.json into DIR."""
    if dir.exists() and not dir.is_dir():
        raise typer.BadParameter(f"{dir} exists and is not a folder", param_hint="DIR")
    try:
        written = schema.export(dir)
    except OSError as exc:
        raise typer.BadParameter(f"cannot write into {dir}: {exc.strerror or exc}", param_hint="DIR") from exc
    for path in written:
        typer.echo(str(path))


@standard_app.command("codes")
def codes_cmd(
    name: Annotated[str | None, typer.Argument(help="A code list, e.g. forces or markers; omit to list them.",
                                               metavar="LIST")] = None,
) -> None:
    """Print a code list of the standard, or the names of all code lists."""
    if name is None:
        table = Table("list", "codes", "used for", title="Code lists of the national data standard v1")
        for list_name, listed in codes.CODE_LISTS.items():
            table.add_row(list_name, str(len(listed)), _plain(schema.CODE_LIST_NOTES.get(list_name, "")))
        out.print(table)
        return
    entries = codes.CODE_LISTS.get(name)
    if entries is None:
        valid = ", ".join(codes.CODE_LISTS)
        raise typer.BadParameter(f"no code list named {name!r}; the code lists are: {valid}",
                                 param_hint="LIST")
    table = Table("code", "meaning", title=name, caption=_plain(schema.CODE_LIST_NOTES.get(name, "")))
    for code, meaning in entries.items():
        table.add_row(escape(code), escape(meaning))
    out.print(table)


def _plain(note: str) -> str:
    """A code list note without its Markdown backticks, escaped for Rich."""
    return escape(note.replace("`", ""))
