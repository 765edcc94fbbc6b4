"""The ``backanalytics`` command: validate, summary, report, import, sample.

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

    from backanalytics.schema import ValidationReport

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


def read_or_exit(path: Path) -> ValidationReport:
    """Validate a file, turning an unusable input into exit code 2 with one line."""
    from backanalytics.io import LogReadError
    from backanalytics.schema import validate

    try:
        return validate(path)
    except LogReadError as exc:
        raise fail(str(exc)) from None
    except (OSError, MemoryError) as exc:
        raise fail(f"{path}: cannot be read ({exc})") from None


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="Log file (CSV, Excel, Parquet, JSON) or Parquet dataset folder.")],
    rejected: Annotated[Path | None, typer.Option(
        "--rejected", help="Write the rejected rows, with their problems, to this CSV.")] = None,
    valid: Annotated[Path | None, typer.Option(
        "--valid", help="Write the valid rows as the canonical log: a .csv, a .parquet file, or a folder "
        "(a Parquet dataset partitioned by client bucket, for big logs and Dask).")] = None,
    buckets: Annotated[int, typer.Option(help="Client buckets of a --valid dataset folder.")] = 64,
    max_lines: Annotated[int, typer.Option(help="Show at most this many problem lines.")] = 200,
) -> None:
    """Check a log against the data contract and list every problem with its line number.

    Examples:

      backanalytics validate data/sample_logs.csv --rejected bad_rows.csv

      backanalytics validate data/sample_logs.csv --valid clinic_dataset/ --buckets 8
    """
    import pandas as pd

    from backanalytics.schema import describe_failure

    if buckets < 1:
        raise fail("--buckets must be at least 1")
    outputs = [(name, path) for name, path in (("--rejected", rejected), ("--valid", valid)) if path is not None]
    for i, (name, path) in enumerate(outputs):
        for other, taken in [("the input", file), *outputs[:i]]:
            if path.resolve() == taken.resolve():
                raise fail(f"{name} {path} is also {other}: write it somewhere else (nothing was written)")
    report = read_or_exit(file)
    max_lines = max(max_lines, 0)
    typer.echo(report.summary())
    for row in report.failures.head(max_lines).itertuples(index=False):
        typer.echo(describe_failure(row))
    if len(report.failures) > max_lines:
        typer.echo(f"  ... and {len(report.failures) - max_lines} more problems")
    for row in report.warnings.head(max_lines).itertuples(index=False):
        where = f"line {row[0]}" if pd.notna(row[0]) else "header"
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
    raise typer.Exit(0 if report.ok else 1)


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
    from backanalytics.sample import write_sample

    if clients < 1 or days < 1:
        raise fail("--clients and --days must be at least 1")
    out.parent.mkdir(parents=True, exist_ok=True)
    log = write_sample(str(out), n_clients=clients, days=days, seed=seed, end=end)
    typer.echo(f"wrote {len(log)} rows for {log[C.CLIENT_ID].nunique()} clients to {out}")


def main() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that never shows a traceback for expected failures."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
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


SUMMARY_COLUMNS = ["days", "active_days", "adherence", "adherence_28d", "current_streak", "longest_streak",
                   "streak_unit", "habit_strength", "days_since_last", "sessions_per_week", "stretch_variety",
                   "dose_within_guidance"]


@app.command("summary")
def summary_cmd(
    file: Annotated[Path, typer.Argument(help="Log file (CSV, Excel, Parquet, JSON) or Parquet dataset folder.")],
    client: Annotated[str | None, typer.Option("--client", help="Only this client.")] = None,
    prescription: Annotated[str | None, typer.Option(
        "--prescription", help="Sessions per week (e.g. 3), or a CSV with client_id, sessions_per_week "
        "[, start, stretches].")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Analysis date (default: last date in the log).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    all_columns: Annotated[bool, typer.Option("--all-columns", help="Every metric, not the short list.")] = False,
) -> None:
    """Print consistency metrics for every client (or one).

    Example: backanalytics summary data/sample_logs.csv --prescription 5 --format csv
    """
    from backanalytics.metrics.consistency import consistency

    if fmt not in {"table", "csv", "json"}:
        raise fail(f"--format must be table, csv or json, not {fmt!r}")
    rx = read_prescription(prescription)
    report = read_or_exit(file)
    log = report.valid
    if log.empty:
        raise fail(f"{file.name}: no valid rows to summarise")
    if client is not None and not (log[C.CLIENT_ID] == client).any():
        raise fail(f"no client {client!r} in {file.name}")
    try:
        # The whole log, then the client: as_of defaults to the log's last day, not the client's,
        # so a client who stopped logging shows the days since they stopped.
        table = consistency(log, prescription=rx, as_of=as_of)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if client is not None:
        table = table.loc[[client]]
    if not all_columns:
        table = table[SUMMARY_COLUMNS]
    if fmt == "csv":
        from backanalytics.report.safety import safe_frame

        typer.echo(safe_frame(table.reset_index()).to_csv(index=False), nl=False)
    elif fmt == "json":
        typer.echo(table.reset_index().to_json(orient="records", date_format="iso", indent=2))
    else:
        typer.echo(report.summary())
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
    if habit_map and kind != "loop":
        raise fail("--map is only for the Loop importer")
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
    kind: Annotated[str, typer.Argument(help="loop, apple-health or fhir.")],
    src: Annotated[Path, typer.Argument(help="The export: a zip, folder, .db, export.xml, JSON/NDJSON.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the canonical log CSV here.")] = None,
    client: Annotated[str | None, typer.Option("--client", help="Client id for the imported rows.")] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="Loop only: HABIT=STRETCH[;STRETCH...], e.g. --map 'Morning stretches=Cat-Cow;Cobra'. "
        "Repeat for several habits.")] = None,
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
    """
    import warnings

    import pandas as pd

    from backanalytics.importers import IMPORTERS, canonical_frame, run_importer
    from backanalytics.report.safety import atomic_path, safe_frame
    from backanalytics.schema import validate

    if kind not in IMPORTERS:
        raise fail(f"unknown importer {kind!r}; use one of {', '.join(IMPORTERS)}")
    if not src.exists():
        raise fail(f"{src}: no such file or folder")
    habit_map = parse_habit_map(mapping, kind)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            result = run_importer(kind, src, client_id=client, mapping=habit_map or None)
        except (ValueError, OSError, KeyError) as exc:
            raise fail(f"{src.name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
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


@app.command("report")
def report_cmd(
    file: Annotated[Path, typer.Argument(help="Log file (CSV, Excel, Parquet, JSON) or Parquet dataset folder.")],
    client: Annotated[str | None, typer.Option("--client", help="Report this client only.")] = None,
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
        "--prescription", help="Sessions per week (e.g. 3), or a CSV with client_id, sessions_per_week.")] = None,
    export: Annotated[str | None, typer.Option(
        "--export", help="Metric tables: csv, xlsx, parquet, both (csv and xlsx), all, none, or a list like "
        "csv,parquet (default: both with --all, none with --client).")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", help="Worker processes for client reports (default: one per 3 clients, up to the CPUs, max 4).")
    ] = None,
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
    report = read_or_exit(file)
    if report.valid.empty:
        raise fail(f"{file.name}: no valid rows to report on")
    if client is not None and not (report.valid[C.CLIENT_ID] == client).any():
        raise fail(f"no client {client!r} in {file.name}")
    typer.echo(report.summary(), err=True)
    try:
        result = build_reports(report.valid, out, clients=None if all_clients else [client],
                               formats=REPORT_FORMATS[fmt], exports=kinds, prescription=rx, as_of=as_of,
                               phase_date=phase_date, secret=key, source=file.name, jobs=jobs)
    except PdfUnavailableError as exc:
        raise fail(str(exc)) from None
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    except OSError as exc:
        raise fail(f"cannot write to {out}: {exc.strerror or exc}") from None
    for label, paths in [("caseload report", result.caseload), ("client reports", result.clients),
                         ("metric tables", result.exports)]:
        if len(paths) > 6:
            kinds = ", ".join(f"client_*{suffix}" for suffix in sorted({p.suffix for p in paths}))
            typer.echo(f"{label}: {len(paths)} files in {out} ({kinds})")
        elif paths:
            typer.echo(f"{label}: {', '.join(str(out / p.name) for p in paths)}")
    typer.echo(f"reports written to {out.resolve()}")
