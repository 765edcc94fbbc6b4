"""``backanalytics summary``: consistency metrics per client, and function changes with --assessments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backanalytics import columns as C
from backanalytics.cli import ASSESSMENTS_HELP, ClientOpt, ColumnMap, DateOrder, Files, app, fail
from backanalytics.cli.inputs import (
    echo_how_read,
    programme_or,
    read_assessments_or_exit,
    read_or_exit,
    read_prescription,
)

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
