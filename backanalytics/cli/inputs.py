"""What the commands read: the log (``--map``, ``--date-order``), ``--prescription`` and ``--assessments``.

An unusable input exits 2 with one line (:func:`backanalytics.cli.fail`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from backanalytics import columns as C
from backanalytics.cli import fail

if TYPE_CHECKING:  # pandas, pandera and scipy load in the commands that use them: --help stays fast
    import pandas as pd

    from backanalytics.validation import ValidationReport


def read_or_exit(paths: list[Path], client: str | None = None, date_order: str | None = None,
                 mapping: list[str] | None = None) -> ValidationReport:
    """Validate files, turning an unusable input into exit code 2 with one line."""
    from backanalytics.io import LogReadError
    from backanalytics.validation import validate

    try:
        return validate(paths[0] if len(paths) == 1 else paths, mapping=parse_column_map(mapping),
                        client=client, date_order=date_order)
    except LogReadError as exc:
        raise fail(str(exc)) from None
    except (OSError, MemoryError) as exc:
        raise fail(f"{paths[0]}: cannot be read ({exc})") from None


def parse_column_map(items: list[str] | None) -> dict[str, str] | None:
    """``--map "Col=target;Col2=target"`` options -> {column: target}; exit 2 when malformed."""
    found: dict[str, str] = {}
    for item in items or []:
        for part in filter(None, (p.strip() for p in item.split(";"))):
            column, sep, target = part.partition("=")
            if not sep or not column.strip() or not target.strip():
                raise fail(f"--map {part!r}: write it as COLUMN=TARGET, e.g. --map \"Walked dog=ignore\"")
            found[column.strip()] = target.strip()
    return found or None


def echo_how_read(report: ValidationReport, err: bool = False) -> None:
    """validate's one or two lines on how the input was read, and the files it skipped."""
    if report.notes:
        typer.echo(f"read as: {report.how_read()}", err=err)
    skipped = report.warnings[report.warnings["column"].eq("file")]
    for row in skipped.itertuples(index=False):
        typer.echo(f"  {row[2]!s}: {row[3]}", err=err)


def read_assessments_or_exit(path: Path | None, log_files: list[Path], log_report: ValidationReport
                             ) -> pd.DataFrame | None:
    """The scores of ``--assessments`` and of the log's own ``odi`` / ``rmdq`` / ``psfs`` columns.

    None when there are neither; rejected questionnaires are listed on stderr.
    """
    import pandas as pd

    from backanalytics.assessments import validate_assessments
    from backanalytics.instruments import LOG_TOTAL_COLUMNS
    from backanalytics.io import LogReadError
    from backanalytics.problems import describe_failure

    ignored = log_report.warnings["column"].dropna().map(C.normalise_header)
    sources = [] if path is None else [path]
    if ignored.isin(list(LOG_TOTAL_COLUMNS)).any():  # a clinic spreadsheet with the totals beside the pain score
        sources += [f for f in log_files if path is None or f.resolve() != path.resolve()]
    tables = []
    for source in sources:
        try:
            found = validate_assessments(source)
        except LogReadError as exc:
            raise fail(str(exc)) from None
        except (OSError, MemoryError) as exc:
            raise fail(f"{source}: cannot be read ({exc})") from None
        typer.echo(found.summary() + (" (questionnaire totals in the log)" if source in log_files else ""), err=True)
        for row in found.failures.itertuples(index=False):
            typer.echo(describe_failure(row), err=True)
        tables.append(found.valid)
    if not tables:
        return None
    scores = pd.concat(tables, ignore_index=True)
    strangers = sorted(set(scores[C.CLIENT_ID]) - set(log_report.valid[C.CLIENT_ID].astype(str)))
    if strangers:  # said, not dropped silently: the reports cover the log's clients
        shown = ", ".join(repr(c) for c in strangers[:5]) + (" ..." if len(strangers) > 5 else "")
        typer.echo(f"warning: questionnaires of {len(strangers)} client(s) not in the log are not reported: {shown}",
                   err=True)
    return scores


def read_prescription(value: str | None) -> float | pd.DataFrame | None:
    """--prescription: session days per week (more than 0, at most 7), or a CSV with client_id,
    sessions_per_week [, start, stretches]; anything else exits 2 with one line."""
    import pandas as pd

    from backanalytics.metrics.periods import prescription_for, sessions_per_week_problem

    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        problem = sessions_per_week_problem(number)
        if problem:
            raise fail(f"--prescription {value}: {problem}")
        return number
    path = Path(value)
    if not path.exists():
        raise fail(f"--prescription {value!r} is neither a number of sessions per week nor a file")
    try:
        table = pd.read_csv(path, dtype={C.CLIENT_ID: str})
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise fail(f"{path.name}: not a readable prescription CSV ({exc})") from None
    missing = {C.CLIENT_ID, "sessions_per_week"} - set(table.columns)
    if missing:
        raise fail(f"{path.name}: prescription needs column(s) {', '.join(sorted(missing))}")
    try:
        prescription_for(pd.Index(table[C.CLIENT_ID].astype(str).unique(), name=C.CLIENT_ID), table)
    except (ValueError, TypeError) as exc:
        raise fail(f"{path.name}: {exc}") from None
    return table


def programme_or(rx: float | pd.DataFrame | None, files: Path | list[Path], log: pd.DataFrame
                 ) -> float | pd.DataFrame | None:
    """No --prescription and the log is one template workbook: its programme sheet is the prescription."""
    paths = [files] if isinstance(files, Path) else list(files)
    if rx is not None or len(paths) != 1 or paths[0].suffix.lower() not in {".xlsx", ".xlsm"}:
        return rx
    file = paths[0]
    from backanalytics.template import TemplateError, read_programme

    try:
        table = read_programme(file, clients=sorted(log[C.CLIENT_ID].astype(str).unique()))
    except TemplateError as exc:
        raise fail(str(exc)) from None
    if table is not None:
        typer.echo(f"prescription: the programme sheet of {file.name}", err=True)
    return table
