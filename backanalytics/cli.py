"""The ``backanalytics`` command: validate, summary, report, import, sample, template.

Exit codes: 0 success; 1 the input was read but rows were rejected; 2 the input is unusable
(missing file, unknown format, missing required column, bad option). Errors are one readable line,
never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backanalytics import columns as C

if TYPE_CHECKING:  # pandas, pandera and scipy load in the commands that use them: --help stays fast
    import pandas as pd

    from backanalytics.validation import ValidationReport

app = typer.Typer(
    help="Turn back-stretching logs into evidence of progress.\n\n"
    "Examples:\n\n  backanalytics validate data/sample_logs.csv\n\n"
    "  backanalytics summary data/sample_logs.csv --client anna",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def hold_outputs(ctx: typer.Context, *paths: Path | None) -> None:
    """Hold the command's output files until it ends (one run per output); exit 2 if another run has them."""
    from backanalytics.report.lock import FolderBusyError, outputs_lock

    try:
        ctx.with_resource(outputs_lock(*paths))
    except FolderBusyError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write to {Path(exc.filename or '.').parent}: {exc.strerror or exc}") from None


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


Files = Annotated[list[Path], typer.Argument(
    help="Log files (CSV, Excel, Parquet, JSON), a folder of log files, or a Parquet dataset folder.")]
ClientOpt = Annotated[str | None, typer.Option(
    "--client", help="The client of a log without client column (default: the file name); with a "
    "client column, only this client.")]
DateOrder = Annotated[str | None, typer.Option(
    "--date-order", help="How to read dates like 03/11/2026: dmy, mdy or ymd (default: told by the file).")]
ColumnMap = Annotated[list[str] | None, typer.Option(
    "--map", help="Columns: \"Col=target;...\" with a contract column, 'ignore' or 'stretch' "
    "(a grid column), e.g. --map \"Walked dog=ignore\".")]


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


ASSESSMENTS_HELP = ("Questionnaires (ODI, RMDQ, PSFS): a table with client_id, date, instrument and the item "
                    "answers or a score, or a log with odi / rmdq / psfs columns.")


@app.command("validate")
def validate_cmd(
    ctx: typer.Context,
    files: Files,
    rejected: Annotated[Path | None, typer.Option(
        "--rejected", help="Write the rejected rows, with their problems, to this CSV.")] = None,
    valid: Annotated[Path | None, typer.Option(
        "--valid", help="Write the valid rows as the canonical log: a .csv, a .parquet file, or a folder "
        "(a Parquet dataset partitioned by client bucket, for big logs and Dask).")] = None,
    buckets: Annotated[int, typer.Option(help="Client buckets of a --valid dataset folder.")] = 64,
    max_lines: Annotated[int, typer.Option(help="Show at most this many problem lines.")] = 200,
    client: ClientOpt = None,
    date_order: DateOrder = None,
    mapping: ColumnMap = None,
) -> None:
    """Check a log against the data contract and list every problem with its line number.

    Examples:

      backanalytics validate data/sample_logs.csv --rejected bad_rows.csv

      backanalytics validate data/sample_logs.csv --valid clinic_dataset/ --buckets 8
    """
    import pandas as pd

    from backanalytics.problems import describe_failure

    if buckets < 1:
        raise fail("--buckets must be at least 1")
    outputs = [(name, path) for name, path in (("--rejected", rejected), ("--valid", valid)) if path is not None]
    for i, (name, path) in enumerate(outputs):
        for other, taken in [*(("the input", f) for f in files), *outputs[:i]]:
            if path.resolve() == taken.resolve():
                raise fail(f"{name} {path} is also {other}: write it somewhere else (nothing was written)")
    hold_outputs(ctx, rejected, valid)
    report = read_or_exit(files, client, date_order, mapping)
    max_lines = max(max_lines, 0)
    typer.echo(report.summary())
    echo_how_read(report)
    for row in report.failures.head(max_lines).itertuples(index=False):
        typer.echo(describe_failure(row))
    if len(report.failures) > max_lines:
        typer.echo(f"  ... and {len(report.failures) - max_lines} more problems")
    for row in report.warnings[report.warnings["column"].ne("file")].head(max_lines).itertuples(index=False):
        where = f"line {row[0]}" if pd.notna(row[0]) else "header"
        where = f"{row[4]} {where}" if len(row) > 4 and pd.notna(row[4]) else where
        typer.echo(f"  warning {where}: {row[1]} {'' if pd.isna(row[2]) else repr(str(row[2])[:60])}: {row[3]}")
    if rejected is not None:
        from backanalytics.report.safety import atomic_path, safe_frame

        try:
            with atomic_path(rejected) as tmp:
                safe_frame(report.rejected).to_csv(tmp, index=False)
        except OSError as exc:
            raise fail(f"cannot write {rejected}: {exc.strerror or exc}") from None
        typer.echo(f"rejected rows written to {rejected}")
    if valid is not None:
        write_valid(report.valid, valid, buckets)
    raise typer.Exit(0 if report.ok and not report.warnings["column"].eq("file").any() else 1)


def write_valid(log: pd.DataFrame, out: Path, buckets: int) -> None:
    """``validate --valid``: the canonical log as CSV, one Parquet file or a bucketed dataset folder."""
    from backanalytics.report.safety import atomic_path
    from backanalytics.scale import write_partitioned

    suffix = out.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            with atomic_path(out) as tmp:
                log.to_parquet(tmp, index=False)
            typer.echo(f"{len(log)} valid rows written to {out}")
        elif suffix == ".csv":
            write_log_csv(log, out)
            typer.echo(f"{len(log)} valid rows written to {out}")
        elif suffix:
            raise fail(f"--valid {out}: use a .csv or .parquet file, or a folder (no extension) for a dataset")
        else:
            write_partitioned(log, out, buckets=buckets)
            typer.echo(f"{len(log)} valid rows written to {out}/ (Parquet dataset, {buckets} client buckets)")
    except FileExistsError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None


@app.command("sample")
def sample_cmd(
    out: Annotated[Path, typer.Argument(help="Where to write the CSV.")] = Path("data/sample_logs.csv"),
    clients: Annotated[int, typer.Option(help="Number of clients.")] = 9,
    days: Annotated[int, typer.Option(help="Days of logging per client.")] = 98,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    end: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD).")] = "2026-11-15",
) -> None:
    """Generate a realistic, seeded sample log (each client follows a story; see README).

    Example: backanalytics sample data/sample_logs.csv --clients 9 --days 98
    """
    from backanalytics.report.safety import atomic_path
    from backanalytics.sample import write_sample

    if clients < 1 or days < 1:
        raise fail("--clients and --days must be at least 1")
    with atomic_path(out) as tmp:  # never a half-written sample (Ctrl-C, full disk)
        log = write_sample(str(tmp), n_clients=clients, days=days, seed=seed, end=end)
    typer.echo(f"wrote {len(log)} rows for {log[C.CLIENT_ID].nunique()} clients to {out}")
    from backanalytics.sample_assessments import assessments_path, write_sample_assessments

    questionnaires = write_sample_assessments(log, assessments_path(out), seed=seed)
    typer.echo(f"wrote {len(questionnaires)} questionnaires (ODI, RMDQ, PSFS) to {assessments_path(out)}")


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


def main() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that never shows a traceback for expected failures; Ctrl-C is one line, exit 130."""
    from backanalytics import interrupt

    try:
        interrupt.install()
        app()
    except KeyboardInterrupt:
        interrupt.exit_interrupted()
    except SystemExit as exc:  # typer turns Ctrl-C into Exit(130); a swallowed one is only recorded
        if interrupt.requested() or exc.code == interrupt.EXIT_CODE:
            interrupt.exit_interrupted()
        raise
    except Exception as exc:  # a bug, not a bad input: still one line, the traceback on request
        if os.environ.get("BACKANALYTICS_DEBUG"):
            raise
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        typer.echo(f"error: unexpected {type(exc).__name__}: {detail} (please report it; set "
                   "BACKANALYTICS_DEBUG=1 to see the traceback)", err=True)
        sys.exit(2)


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


SUMMARY_COLUMNS = ["days", "active_days", "adherence", "adherence_28d", "current_streak", "longest_streak",
                   "streak_unit", "habit_strength", "days_since_last", "sessions_per_week", "stretch_variety",
                   "dose_within_guidance"]


@app.command("summary")
def summary_cmd(
    files: Files,
    client: ClientOpt = None,
    prescription: Annotated[str | None, typer.Option(
        "--prescription", help="Sessions per week (e.g. 3), or a CSV with client_id, sessions_per_week "
        "[, start, stretches] (default: a template workbook's programme sheet, else daily).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Analysis date (default: last date in the log).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    all_columns: Annotated[bool, typer.Option("--all-columns", help="Every metric, not the short list.")] = False,
    assessments: Annotated[Path | None, typer.Option("--assessments", help=ASSESSMENTS_HELP)] = None,
    date_order: DateOrder = None,
    mapping: ColumnMap = None,
) -> None:
    """Print consistency metrics for every client (or one), and function changes with --assessments.

    Example: backanalytics summary data/sample_logs.csv --prescription 5 --format csv
    """
    from backanalytics.metrics.consistency import consistency

    if fmt not in {"table", "csv", "json"}:
        raise fail(f"--format must be table, csv or json, not {fmt!r}")
    rx = read_prescription(prescription)
    report = read_or_exit(files, client, date_order, mapping)
    log = report.valid
    if log.empty:
        raise fail(f"{report.source}: no valid rows to summarise")
    rx = programme_or(rx, files, log)
    if client is not None and not (log[C.CLIENT_ID] == client).any():
        raise fail(f"no client {client!r} in {report.source}")
    try:
        # The whole log, then the client: as_of defaults to the log's last day, not the client's,
        # so a client who stopped logging shows the days since they stopped.
        table = consistency(log, prescription=rx, as_of=as_of)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not all_columns:
        table = table[SUMMARY_COLUMNS]
    scores = read_assessments_or_exit(assessments, files, report)
    if scores is not None:
        from backanalytics.metrics.function import assessment_outcomes, function_wide
        from backanalytics.metrics.periods import resolve_as_of

        day = resolve_as_of(log, as_of)  # the log's analysis date, as for the consistency metrics
        table = table.join(function_wide(assessment_outcomes(scores, as_of=day)), how="left")
    if client is not None:
        table = table.loc[[client]]
    if fmt == "csv":
        from backanalytics.report.safety import safe_frame

        typer.echo(safe_frame(table.reset_index()).to_csv(index=False), nl=False)
    elif fmt == "json":
        typer.echo(table.reset_index().to_json(orient="records", date_format="iso", indent=2))
    else:
        typer.echo(report.summary())
        echo_how_read(report)
        shown = table.copy()
        for col in ["adherence", "adherence_28d", "habit_strength", "dose_within_guidance"]:
            if col in shown:
                shown[col] = (shown[col] * 100).round(0).astype("Int64").astype(str) + "%"
        typer.echo(shown.round(1).to_string())


#: Skipped or rejected records ``import`` lists one by one before it only counts the rest.
IMPORT_LISTED = 50


def parse_habit_map(items: list[str] | None, kind: str) -> dict[str, list[str]]:
    """``--map HABIT=STRETCH[;STRETCH...]`` options -> {habit: [stretches]}; exit 2 when malformed."""
    habit_map: dict[str, list[str]] = {}
    for item in items or []:
        if "=" not in item:
            raise fail(f"--map {item!r}: write it as HABIT=STRETCH[;STRETCH...]")
        habit, stretches = item.split("=", 1)
        habit_map[habit.strip()] = [s.strip() for s in stretches.split(";") if s.strip()]
    from backanalytics.importers import MAPPABLE

    if habit_map and kind not in MAPPABLE:
        raise fail(f"--map is only for the {', '.join(MAPPABLE)} importers")
    return habit_map


def echo_listed(table: pd.DataFrame, verb: str) -> None:
    """One line per skipped / rejected record (source, record, reason), then a count of the rest."""
    for row in table.head(IMPORT_LISTED).itertuples(index=False):
        where = f"{row.source} {row.record}" if verb == "rejected" else row.record
        typer.echo(f"  {verb} {where}: {row.reason}")
    if len(table) > IMPORT_LISTED:
        typer.echo(f"  ... and {len(table) - IMPORT_LISTED} more {verb} records")


def write_log_csv(table: pd.DataFrame, out: Path) -> None:
    """Write a canonical log as CSV (dates as YYYY-MM-DD, formulas neutralised); exit 2 on failure."""
    from backanalytics.report.safety import atomic_path, safe_frame

    table = table.assign(**{C.DATE: table[C.DATE].dt.strftime("%Y-%m-%d")})
    try:
        with atomic_path(out) as tmp:
            safe_frame(table).to_csv(tmp, index=False)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="loop, apple-health, fhir, strong, hevy or bearable.")],
    src: Annotated[Path, typer.Argument(help="The export: a zip, folder, .db, export.xml, JSON/NDJSON, CSV.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the canonical log CSV here.")] = None,
    client: Annotated[str | None, typer.Option("--client", help="Client id for the imported rows.")] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="Loop: HABIT=STRETCH[;STRETCH...], e.g. --map 'Morning stretches=Cat-Cow;Cobra'; "
        "Strong, Hevy, Bearable: EXERCISE=STRETCH (EXERCISE= excludes). Repeat for several.")] = None,
    symptom: Annotated[list[str] | None, typer.Option(
        "--symptom", help="Bearable only: another symptom to read as pain, e.g. 'Neck pain'. Repeatable.")] = None,
    skipped: Annotated[Path | None, typer.Option(
        "--skipped", help="Write what was skipped or rejected, and why, here.")] = None,
) -> None:
    """Import another app's export into the canonical log (then validated like any other input).

    Rows that fail validation are listed with their reason, left out of OUT.csv and added to
    --skipped. Exit code 0: every imported row is valid (or there was nothing to import: OUT.csv
    then has the header only); 1: some imported rows were rejected; 2: the export is unusable.

    Examples:

      backanalytics import loop Loop-Habits-CSV.zip --map "Stretch=Cat-Cow;Child's Pose" -o log.csv

      backanalytics import apple-health export.zip --client anna -o anna.csv

      backanalytics import fhir observations.ndjson -o pain.csv --skipped pain-skipped.csv

      backanalytics import strong strong.csv --map "Thoracic Extension=Cat-Cow" -o log.csv

      backanalytics import bearable bearable-export.csv --symptom "Neck pain" -o pain.csv
    """
    import warnings

    import pandas as pd

    from backanalytics.importers import IMPORTERS, canonical_frame, run_importer
    from backanalytics.report.safety import atomic_path, safe_frame
    from backanalytics.validation import validate

    if kind not in IMPORTERS:
        raise fail(f"unknown importer {kind!r}; use one of {', '.join(IMPORTERS)}")
    if not src.exists():
        raise fail(f"{src}: no such file or folder")
    habit_map = parse_habit_map(mapping, kind)
    if symptom and kind != "bearable":
        raise fail("--symptom is only for the Bearable importer")
    hold_outputs(ctx, out, skipped)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            result = run_importer(kind, src, client_id=client, mapping=habit_map or None, symptoms=symptom or ())
        except (ValueError, OSError, KeyError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise fail(message if message.startswith(src.name) else f"{src.name}: {message}") from None
    for warning in caught:  # e.g. "mapping names no habit": one plain line, not a source line
        typer.echo(f"warning: {(str(warning.message).splitlines() or [''])[0]}", err=True)
    typer.echo(result.summary())
    echo_listed(result.skipped, "skipped")
    valid, rejected = canonical_frame([]), result.skipped.iloc[0:0]
    if result.log.empty:
        typer.echo("nothing to import")
    else:
        report = validate(result.log)
        typer.echo(report.summary().replace("log:", "validated:"))
        valid, rejected = report.valid, result.rejections(report.failures)
        echo_listed(rejected, "rejected")
    if out is not None:
        write_log_csv(valid, out)
        detail = " (header only: nothing to import)" if result.log.empty else (
            f" ({len(rejected)} rejected rows left out)" if len(rejected) else "")
        typer.echo(f"wrote {len(valid)} rows to {out}{detail}")
    if skipped is not None:
        table = pd.concat([result.skipped, rejected.assign(reason="rejected by validation: " + rejected["reason"])],
                          ignore_index=True)
        try:
            with atomic_path(skipped) as tmp:
                safe_frame(table).to_csv(tmp, index=False)
        except OSError as exc:
            raise fail(f"cannot write {skipped}: {exc.strerror or exc}") from None
        typer.echo(f"skipped and rejected records written to {skipped}")
    raise typer.Exit(1 if len(rejected) else 0)


REPORT_FORMATS = {"html": ("html",), "pdf": ("pdf",), "both": ("html", "pdf")}
EXPORT_KINDS = {"csv": ("csv",), "xlsx": ("xlsx",), "parquet": ("parquet",), "both": ("csv", "xlsx"),
                "all": ("csv", "xlsx", "parquet"), "none": ()}


def parse_exports(value: str) -> tuple[str, ...]:
    """``--export`` (a kind, or kinds joined by commas: ``csv,parquet``) -> export kinds; exit 2 if unknown."""
    kinds: list[str] = []
    for part in value.split(","):
        if part.strip().lower() not in EXPORT_KINDS:
            raise fail(f"--export must be csv, xlsx, parquet, both, all or none (or a list like "
                       f"csv,parquet), not {value!r}")
        kinds += [k for k in EXPORT_KINDS[part.strip().lower()] if k not in kinds]
    return tuple(kinds)


def name_patterns(paths: list[Path]) -> str:
    """The files' names in short: per extension, the one name or ``<common start>*<extension>``.

    Examples
    --------
    >>> name_patterns([Path("metrics_clients.csv"), Path("metrics_flags.csv"), Path("metrics.xlsx")])
    'metrics_*.csv, metrics.xlsx'
    >>> name_patterns([Path("client_anna.html"), Path("client_ben.html")])
    'client_*.html'
    """
    by_suffix: dict[str, list[str]] = {}
    for path in paths:
        by_suffix.setdefault(path.suffix, []).append(path.name)
    return ", ".join(names[0] if len(set(names)) == 1 else os.path.commonprefix(names) + "*" + suffix  # noqa: RUF071
                     for suffix, names in sorted(by_suffix.items()))


@app.command("report")
def report_cmd(
    files: Files,
    client: ClientOpt = None,
    all_clients: Annotated[bool, typer.Option(
        "--all", help="Every client, plus the caseload report and the metric exports.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or both.")] = "both",
    out: Annotated[Path, typer.Option("--out", help="Output folder (created when missing).")] = Path("reports"),
    phase_date: Annotated[str | None, typer.Option(
        "--phase-date", help="First day of stretching (phase B) for the baseline comparison, YYYY-MM-DD "
        "(default: each client's first stretch day).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Analysis date (default: last date in the log).")] = None,
    anonymize: Annotated[bool, typer.Option(
        "--anonymize", help="Replace client ids with keyed pseudonyms and drop notes.")] = False,
    secret: Annotated[str | None, typer.Option(
        "--secret", envvar="BACKANALYTICS_SECRET", show_envvar=True,
        help="Key for --anonymize pseudonyms (at least 8 characters); keep it to match reports later.")] = None,
    prescription: Annotated[str | None, typer.Option(
        "--prescription", help="Sessions per week (e.g. 3), or a CSV with client_id, sessions_per_week "
        "(default: a template workbook's programme sheet, else daily).")] = None,
    export: Annotated[str | None, typer.Option(
        "--export", help="Metric tables: csv, xlsx, parquet, both (csv and xlsx), all, none, or a list like "
        "csv,parquet (default: both with --all, none with --client).")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", help="Worker processes for client reports (default: one per 3 clients, up to the CPUs, max 4).")
    ] = None,
    assessments: Annotated[Path | None, typer.Option("--assessments", help=ASSESSMENTS_HELP)] = None,
    date_order: DateOrder = None,
    mapping: ColumnMap = None,
) -> None:
    """Write self-contained HTML / PDF reports (and CSV / Excel / Parquet metric tables) into a folder.

    Examples:

      backanalytics report data/sample_logs.csv --all --out reports/

      backanalytics report data/sample_logs.csv --client anna --format html

      backanalytics report data/sample_logs.csv --client hugo --phase-date 2026-08-31

      BACKANALYTICS_SECRET=... backanalytics report log.csv --all --anonymize --export xlsx

      backanalytics report clinic_dataset/ --all --format html --export parquet
    """
    import pandas as pd

    from backanalytics.report.anonymize import MissingSecretError, resolve_secret
    from backanalytics.report.batch import build_reports
    from backanalytics.report.lock import FolderBusyError
    from backanalytics.report.pdf import PdfUnavailableError

    if (client is None) == (not all_clients):
        raise fail("say which reports to write: --client ID or --all (not both)")
    if fmt not in REPORT_FORMATS:
        raise fail(f"--format must be html, pdf or both, not {fmt!r}")
    kinds = parse_exports(export if export is not None else ("both" if all_clients else "none"))
    for name, value in (("--phase-date", phase_date), ("--as-of", as_of)):
        if value is not None:
            try:
                pd.Timestamp(value)
            except (ValueError, TypeError):
                raise fail(f"{name} {value!r} is not a date (use YYYY-MM-DD)") from None
    key = None
    if anonymize:
        try:
            key = resolve_secret(secret)
        except MissingSecretError as exc:
            raise fail(str(exc)) from None
    if jobs is not None and jobs < 1:
        raise fail("--jobs must be at least 1")
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} exists and is not a folder")
    rx = read_prescription(prescription)
    report = read_or_exit(files, client, date_order, mapping)
    if report.valid.empty:
        raise fail(f"{report.source}: no valid rows to report on")
    if client is not None and not (report.valid[C.CLIENT_ID] == client).any():
        raise fail(f"no client {client!r} in {report.source}")
    rx = programme_or(rx, files, report.valid)
    typer.echo(report.summary(), err=True)
    echo_how_read(report, err=True)
    scores = read_assessments_or_exit(assessments, files, report)
    try:
        result = build_reports(report.valid, out, clients=None if all_clients else [client],
                               formats=REPORT_FORMATS[fmt], exports=kinds, prescription=rx, as_of=as_of,
                               phase_date=phase_date, secret=key, source=report.source, jobs=jobs, assessments=scores)
    except (PdfUnavailableError, FolderBusyError) as exc:
        raise fail(str(exc)) from None
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    except OSError as exc:
        raise fail(f"cannot write to {out}: {exc.strerror or exc}") from None
    for label, paths in [("caseload report", result.caseload), ("client reports", result.clients),
                         ("metric tables", result.exports)]:
        if len(paths) > 6:
            typer.echo(f"{label}: {len(paths)} files in {out} ({name_patterns(paths)})")
        elif paths:
            typer.echo(f"{label}: {', '.join(str(out / p.name) for p in paths)}")
    typer.echo(f"reports written to {out.resolve()}")
