"""Metric tables for spreadsheets and data tools: CSV files, one Excel workbook, Parquet files.

Tables: ``clients`` (one row per client: consistency joined with outcomes), ``weekly`` (one row
per client and ISO week), ``flags``, ``dose`` (per client and stretch) and ``effect_sizes``
(single-case indices, when any client has a baseline phase); with assessments, ``assessments`` (one
row per scored questionnaire) and ``function`` (one row per client and instrument). In CSV and Excel every text cell
goes through :func:`backanalytics.report.safety.safe_frame` (OWASP CSV injection: a cell
starting with = + - @ tab or CR is prefixed with a quote); numbers, including negative ones, stay
numbers. Parquet keeps every value exactly, typed (dates as dates, missing as null): it is read by
data tools (pandas, Arrow, DuckDB, Spark), which do not evaluate formulas. Every file is written
atomically.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from backanalytics import columns as C
from backanalytics.report.content import Metrics
from backanalytics.report.safety import atomic_path, inside, safe_frame

#: Control characters an .xlsx (XML) cell cannot hold.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
KINDS = ("csv", "xlsx")
#: Every kind :func:`write_exports` can write.
ALL_KINDS = (*KINDS, "parquet")


def export_tables(metrics: Metrics) -> dict[str, pd.DataFrame]:
    """The metric tables, keyed by sheet name, each a flat table (no index)."""
    clients = metrics.consistency.join(metrics.outcomes, how="left").rename_axis(C.CLIENT_ID).reset_index()
    tables = {"clients": clients, "weekly": metrics.weekly, "flags": metrics.flags, "dose": metrics.dose}
    if not metrics.effects.empty:
        tables["effect_sizes"] = metrics.effects
    if metrics.assessments is not None:  # every scored questionnaire, and each client's change per instrument
        tables["assessments"] = metrics.assessments
        tables["function"] = metrics.function
    return {name: table.reset_index(drop=True) for name, table in tables.items()}


def _for_csv(table: pd.DataFrame) -> pd.DataFrame:
    out = safe_frame(table)
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def _for_xlsx(table: pd.DataFrame) -> pd.DataFrame:
    out = safe_frame(table)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: _ILLEGAL_XLSX.sub("", v) if isinstance(v, str) else v)
    return out


def write_csv(tables: dict[str, pd.DataFrame], folder: Path, prefix: str = "metrics") -> list[Path]:
    """One CSV per table, ``<prefix>_<table>.csv`` in ``folder``; returns the paths written."""
    paths = []
    for name, table in tables.items():
        path = inside(folder, f"{prefix}_{name}.csv")
        with atomic_path(path) as tmp:
            _for_csv(table).to_csv(tmp, index=False)
        paths.append(path)
    return paths


def write_parquet(tables: dict[str, pd.DataFrame], folder: Path, prefix: str = "metrics") -> list[Path]:
    """One Parquet file per table, ``<prefix>_<table>.parquet`` in ``folder``; returns the paths written.

    Examples
    --------
    >>> import tempfile
    >>> table = pd.DataFrame({"client_id": ["=1+1"], "adherence": [0.5]})
    >>> [path] = write_parquet({"clients": table}, Path(tempfile.mkdtemp()))
    >>> pd.read_parquet(path).equals(table), path.name  # exactly the values (no formula quoting)
    (True, 'metrics_clients.parquet')
    """
    paths = []
    for name, table in tables.items():
        path = inside(folder, f"{prefix}_{name}.parquet")
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        paths.append(path)
    return paths


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """One workbook, a sheet per table (header row frozen); returns the path written."""
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in tables.items():
                _for_xlsx(table).to_excel(writer, sheet_name=name[:31], index=False, freeze_panes=(1, 0))
    return path


def write_exports(metrics: Metrics, folder: Path, kinds: tuple[str, ...] = KINDS,
                  prefix: str = "metrics") -> list[Path]:
    """Write the metric tables as CSV files, an Excel workbook and/or Parquet files into ``folder``."""
    unknown = set(kinds) - set(ALL_KINDS)
    if unknown:
        raise ValueError(f"unknown export kind(s) {sorted(unknown)}; use csv, xlsx and/or parquet")
    tables = export_tables(metrics)
    paths: list[Path] = []
    if "csv" in kinds:
        paths += write_csv(tables, folder, prefix)
    if "xlsx" in kinds:
        paths.append(write_xlsx(tables, inside(folder, f"{prefix}.xlsx")))
    if "parquet" in kinds:
        paths += write_parquet(tables, folder, prefix)
    return paths


def export_metrics(log: pd.DataFrame, folder: Path, formats: tuple[str, ...] = KINDS, *,
                   prescription: float | pd.DataFrame | None = None, as_of: object | None = None,
                   phase_date: object | None = None, prefix: str = "metrics") -> list[Path]:
    """Compute the metrics of a log and write them as CSV and/or Excel (see :func:`write_exports`).

    Parameters
    ----------
    log
        The canonical log.
    folder
        Output folder (created when missing).
    formats
        ``"csv"``, ``"xlsx"`` and/or ``"parquet"``.
    prescription, as_of, phase_date
        Passed to :func:`backanalytics.report.content.compute_metrics`.
    prefix
        File name prefix.

    Returns
    -------
    list of Path
        The files written.
    """
    from backanalytics.report.content import compute_metrics

    metrics = compute_metrics(log, prescription=prescription, as_of=as_of, phase_date=phase_date)
    return write_exports(metrics, Path(folder), tuple(formats), prefix)


def write_caseload_table(metrics: Metrics, folder: Path, kinds: tuple[str, ...] = KINDS,
                         recent_days: int = 14, prefix: str = "caseload") -> list[Path]:
    """The caseload report's table and its flags, as CSV files and/or one Excel workbook.

    Parameters
    ----------
    metrics
        From :func:`backanalytics.report.content.compute_metrics`.
    folder
        Output folder (created when missing).
    kinds
        ``"csv"`` and/or ``"xlsx"``.
    recent_days
        Flags dated in this many days before the analysis date set a client's status (as in the
        caseload report).
    prefix
        File name prefix: ``<prefix>.csv`` (:func:`~backanalytics.report.content.caseload_rows`),
        ``<prefix>_flags.csv`` (:func:`~backanalytics.report.content.flags_by_client`) and
        ``<prefix>.xlsx`` with both as sheets.

    Returns
    -------
    list of Path
        The files written (formula-safe, atomically).
    """
    from backanalytics.report.content import caseload_rows, flags_by_client

    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown export kind(s) {sorted(unknown)}; use csv and/or xlsx")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {prefix: caseload_rows(metrics, recent_days=recent_days),
              f"{prefix}_flags": flags_by_client(metrics, recent_days=recent_days)}
    paths: list[Path] = []
    if "csv" in kinds:
        for name, table in tables.items():
            path = inside(folder, f"{name}.csv")
            with atomic_path(path) as tmp:
                _for_csv(table).to_csv(tmp, index=False)
            paths.append(path)
    if "xlsx" in kinds:
        sheets = {"caseload": tables[prefix], "flags": tables[f"{prefix}_flags"]}
        paths.append(write_xlsx(sheets, inside(folder, f"{prefix}.xlsx")))
    return paths
