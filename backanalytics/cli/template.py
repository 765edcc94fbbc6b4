"""``backanalytics template``: a log to fill in, as a workbook and a paper PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backanalytics.cli import app, fail


@app.command("template")
def template_cmd(
    out: Annotated[Path, typer.Argument(help="Writes OUT.xlsx and OUT.pdf.")],
    client: Annotated[list[str] | None, typer.Option("--client", help="A log sheet per client (repeat).")] = None,
    stretches: Annotated[str | None, typer.Option(
        "--stretches", help="Prescribed stretches, e.g. \"Cat-Cow,Child's Pose\" (default: the guide's 15).")] = None,
    weeks: Annotated[int, typer.Option(help="Weeks of paper log, a page each.")] = 4,
    start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default: today).")] = None,
    paper: Annotated[str, typer.Option(help="a4 or letter.")] = "a4",
    sessions_per_week: Annotated[float, typer.Option(help="Prescribed session days a week.")] = 7,
) -> None:
    """Write a log to fill in: OUT.xlsx (dropdowns, checks, programme) and OUT.pdf (paper, a page a week).

    Example: backanalytics template anna --client anna --stretches "Cat-Cow,Cobra" --start 2026-01-05
    """
    from backanalytics.report.pdf import PdfUnavailableError
    from backanalytics.template import TemplateError, make_spec, write_template

    try:
        paths = write_template(make_spec(client or (), stretches, weeks, start, paper, sessions_per_week), out)
    except (TemplateError, PdfUnavailableError, FileExistsError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {paths[0]} and {paths[1]}")
    if client and len(client) == 1 and Path(paths[0]).stem != client[0]:
        # One log sheet is read back as one person's log, named like the file (see "Your own spreadsheet").
        typer.echo(f"note: {Path(paths[0]).name} will be read back as client {Path(paths[0]).stem!r} (a workbook "
                   f"with one log sheet is named like its file): name it {client[0]}.xlsx, or validate it with "
                   f"--client {client[0]}", err=True)
