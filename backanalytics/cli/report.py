"""``backanalytics report``: HTML / PDF reports and metric tables into a folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from backanalytics import columns as C
from backanalytics import quick_exit
from backanalytics.cli import ASSESSMENTS_HELP, ClientOpt, ColumnMap, DateOrder, Files, app, fail
from backanalytics.cli.inputs import (
    echo_how_read,
    programme_or,
    read_assessments_or_exit,
    read_or_exit,
    read_prescription,
)

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
        "--jobs", help="Worker processes for client reports (default: one per 3 clients, up to the CPUs, max 4; "
        "one client's report shares its charts with a second process). --jobs 1: everything in this process.")
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
    # pandas is imported after one client's chart worker has started (it imports pandas and
    # matplotlib meanwhile): by a date option's check here, else by reading the log.
    from concurrent.futures import BrokenExecutor

    from backanalytics.report.chart_worker import chart_worker
    from backanalytics.report.lock import FolderBusyError
    from backanalytics.report.pdf import PdfUnavailableError

    if (client is None) == (not all_clients):
        raise fail("say which reports to write: --client ID or --all (not both)")
    if fmt not in REPORT_FORMATS:
        raise fail(f"--format must be html, pdf or both, not {fmt!r}")
    kinds = parse_exports(export if export is not None else ("both" if all_clients else "none"))
    for name, value in (("--phase-date", phase_date), ("--as-of", as_of)):
        if value is not None:
            import pandas as pd

            try:
                pd.Timestamp(value)
            except (ValueError, TypeError):
                raise fail(f"{name} {value!r} is not a date (use YYYY-MM-DD)") from None
    key = None
    if anonymize:
        from backanalytics.report.anonymize import MissingSecretError, resolve_secret

        try:
            key = resolve_secret(secret)
        except MissingSecretError as exc:
            raise fail(str(exc)) from None
    if jobs is not None and jobs < 1:
        raise fail("--jobs must be at least 1")
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} exists and is not a folder")
    # One client's report: a second process imports the chart code while the log is read, then
    # draws charts with this one (a batch spreads whole clients over processes instead). This
    # process imports matplotlib only once the metrics are computed and the worker has a chart.
    with chart_worker(client is not None and jobs is None, pdf="pdf" in REPORT_FORMATS[fmt]) as pool:
        from backanalytics.report.batch import WorkerStartError, build_reports

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
        quick_exit.freeze_long_lived()  # the modules and the log: kept to the end
        try:
            result = build_reports(report.valid, out, clients=None if all_clients else [client],
                                   formats=REPORT_FORMATS[fmt], exports=kinds, prescription=rx, as_of=as_of,
                                   phase_date=phase_date, secret=key, source=report.source, jobs=jobs,
                                   assessments=scores, chart_pool=pool)
        except (PdfUnavailableError, FolderBusyError, WorkerStartError) as exc:
            raise fail(str(exc)) from None
        except BrokenExecutor:  # a worker killed from outside (the system, short of memory; a user)
            raise fail("a worker process stopped before it finished (it was killed, perhaps by the system for "
                       "lack of memory); --jobs 1 writes the reports in this process") from None
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
