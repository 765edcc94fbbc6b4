"""The ``backanalytics`` command: validate, summary, report, import, sample.

Exit codes: 0 success; 1 the input was read but rows were rejected; 2 the input is unusable
(missing file, unknown format, missing required column, bad option). Errors are one readable line,
never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from backanalytics import columns as C
from backanalytics.io import LogReadError
from backanalytics.schema import ValidationReport, describe_failure, validate

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
    try:
        return validate(path)
    except LogReadError as exc:
        raise fail(str(exc)) from None
    except (OSError, MemoryError) as exc:
        raise fail(f"{path}: cannot be read ({exc})") from None


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="Log file: CSV, Excel, Parquet or JSON.")],
    rejected: Annotated[Path | None, typer.Option(
        "--rejected", help="Write the rejected rows, with their problems, to this CSV.")] = None,
    max_lines: Annotated[int, typer.Option(help="Show at most this many problem lines.")] = 200,
) -> None:
    """Check a log against the data contract and list every problem with its line number.

    Example: backanalytics validate data/sample_logs.csv --rejected bad_rows.csv
    """
    report = read_or_exit(file)
    typer.echo(report.summary())
    for row in report.failures.head(max_lines).itertuples(index=False):
        typer.echo(describe_failure(row))
    if len(report.failures) > max_lines:
        typer.echo(f"  ... and {len(report.failures) - max_lines} more problems")
    for row in report.warnings.head(max_lines).itertuples(index=False):
        where = f"line {row[0]}" if pd.notna(row[0]) else "header"
        typer.echo(f"  warning {where}: {row[1]} {'' if pd.isna(row[2]) else repr(str(row[2]))}: {row[3]}")
    if rejected is not None:
        from backanalytics.report.safety import safe_frame

        safe_frame(report.rejected).to_csv(rejected, index=False)
        typer.echo(f"rejected rows written to {rejected}")
    raise typer.Exit(0 if report.ok else 1)


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


def read_prescription(value: str | None) -> float | pd.DataFrame | None:
    """--prescription: a number of sessions per week, or a CSV with client_id, sessions_per_week."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
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
    return table


SUMMARY_COLUMNS = ["days", "active_days", "adherence", "adherence_28d", "current_streak", "longest_streak",
                   "streak_unit", "habit_strength", "days_since_last", "sessions_per_week", "stretch_variety",
                   "dose_within_guidance"]


@app.command("summary")
def summary_cmd(
    file: Annotated[Path, typer.Argument(help="Log file: CSV, Excel, Parquet or JSON.")],
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
    if client is not None:
        log = log[log[C.CLIENT_ID] == client]
        if log.empty:
            raise fail(f"no client {client!r} in {file.name}")
    if log.empty:
        raise fail(f"{file.name}: no valid rows to summarise")
    try:
        table = consistency(log, prescription=rx, as_of=as_of)
    except ValueError as exc:
        raise fail(str(exc)) from None
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


IMPORTERS = ("loop", "apple-health", "fhir")


@app.command("import")
def import_cmd(
    kind: Annotated[str, typer.Argument(help="loop, apple-health or fhir.")],
    src: Annotated[Path, typer.Argument(help="The export: a zip, folder, .db, export.xml, JSON/NDJSON.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the canonical log CSV here.")] = None,
    client: Annotated[str | None, typer.Option("--client", help="Client id for the imported rows.")] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="Loop only: HABIT=STRETCH[;STRETCH...], e.g. --map 'Morning stretches=Cat-Cow;Cobra'. "
        "Repeat for several habits.")] = None,
    skipped: Annotated[Path | None, typer.Option("--skipped", help="Write what was skipped, and why, here.")] = None,
) -> None:
    """Import another app's export into the canonical log (then validated like any other input).

    Examples:

      backanalytics import loop Loop-Habits-CSV.zip --map "Stretch=Cat-Cow;Child's Pose" -o log.csv

      backanalytics import apple-health export.zip --client anna -o anna.csv

      backanalytics import fhir observations.ndjson -o pain.csv
    """
    from backanalytics.report.safety import atomic_path, safe_frame

    if kind not in IMPORTERS:
        raise fail(f"unknown importer {kind!r}; use one of {', '.join(IMPORTERS)}")
    if not src.exists():
        raise fail(f"{src}: no such file or folder")
    habit_map: dict[str, list[str]] = {}
    for item in mapping or []:
        if "=" not in item:
            raise fail(f"--map {item!r}: write it as HABIT=STRETCH[;STRETCH...]")
        habit, stretches = item.split("=", 1)
        habit_map[habit.strip()] = [s.strip() for s in stretches.split(";") if s.strip()]
    if habit_map and kind != "loop":
        raise fail("--map is only for the Loop importer")
    try:
        if kind == "loop":
            from backanalytics.importers.loop import import_loop

            result = import_loop(src, mapping=habit_map or None, client_id=client or "me")
        elif kind == "apple-health":
            from backanalytics.importers.apple_health import import_apple_health

            result = import_apple_health(src, client_id=client or "me")
        else:
            from backanalytics.importers.fhir import import_fhir

            result = import_fhir(src, client_id=client)
    except (ValueError, OSError, KeyError) as exc:
        raise fail(f"{src.name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    typer.echo(result.summary())
    for row in result.skipped.head(50).itertuples(index=False):
        typer.echo(f"  skipped {row.record}: {row.reason}")
    if len(result.skipped) > 50:
        typer.echo(f"  ... and {len(result.skipped) - 50} more skipped records")
    if result.log.empty:
        typer.echo("nothing to import")
    else:
        report = validate(result.log)
        typer.echo(report.summary().replace("log:", "validated:"))
        if out is not None:
            table = report.valid.assign(**{C.DATE: report.valid[C.DATE].dt.strftime("%Y-%m-%d")})
            with atomic_path(out) as tmp:
                safe_frame(table).to_csv(tmp, index=False)
            typer.echo(f"wrote {len(table)} rows to {out}")
    if skipped is not None:
        with atomic_path(skipped) as tmp:
            safe_frame(result.skipped).to_csv(tmp, index=False)
