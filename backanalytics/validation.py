"""The data contract: one pandera schema for the canonical log, and validation against it.

Validation has two steps. Parsing turns each raw cell into its canonical type (numbers with decimal
commas, ISO 8601 dates with optional time and offset, catalog stretch names) and records every cell
it cannot parse. The pandera schema then checks every rule on the parsed table in one lazy pass.
Every problem is reported with the file's line number; a row with any problem is rejected whole,
every other row is kept. ``len(valid) + len(rejected) == rows_read`` always holds.

Both steps work on distinct values: a log of millions of rows holds a few thousand client ids and
a few hundred dates, scores and stretch names. Each column is encoded once (:func:`parse.distinct`),
its distinct cells are parsed, pandera checks a compact table of the distinct typed values (every
rule of the contract judges one value at a time), and each result is spread back to the rows
holding that value. The outcome is the same as parsing and checking row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.cells.column import unpack_cells
from backanalytics.cells.dates import ORDERS, AmbiguousDates
from backanalytics.cells.log import ParsedLog, parse_log
from backanalytics.cells.parse import present_text
from backanalytics.duplicates import duplicate_warnings
from backanalytics.headers import Renamed, rename_columns
from backanalytics.io import LogReadError
from backanalytics.problems import (
    PROBLEM_COLUMNS,
    WARNING_COLUMNS,
    concat,
    describe_failure,
    objects,
    rejected_rows,
    with_lines,
    without,
)
from backanalytics.schema import schema_failures
from backanalytics.shape import IGNORE, STRETCH_COLUMN, shape
from backanalytics.sources import Source, read_sources, source_name


class LogValidationError(ValueError):
    """Rows of a log break the contract. ``failures`` holds one row per problem."""

    def __init__(self, failures: pd.DataFrame, rows_read: int, source: str = "log"):
        self.failures = failures
        n_rows = failures[C.SOURCE_LINE].nunique()
        lines = [f"{source}: {n_rows} of {rows_read} rows rejected ({len(failures)} problems)"]
        lines += [describe_failure(r) for r in failures.itertuples(index=False)]
        super().__init__("\n".join(lines))



@dataclass
class ValidationReport:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    valid : canonical, typed log of every row that passed.
    rejected : the offending input rows as read, with ``source_line`` and ``problems``.
    failures : one row per problem (source_line, column, value, rule).
    warnings : one row per warning (source_line, column, value, warning).
    rows_read : number of rows validated (``len(valid) + len(rejected)``): the input's data rows,
        or the rows a grid or list cells were shaped into (see :mod:`backanalytics.shape`).
    lines_read : number of data rows (lines) in the input, before shaping.
    notes : how the input was read, in words ("one person's log, client 'sam' from the file name").
    """

    valid: pd.DataFrame
    rejected: pd.DataFrame
    failures: pd.DataFrame
    warnings: pd.DataFrame
    rows_read: int
    source: str = "log"
    lines_read: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.rejected.empty

    def summary(self) -> str:
        """One line: rows read, kept, rejected, warnings."""
        lines = "" if self.lines_read in (None, self.rows_read) else f" (from {self.lines_read} lines)"
        return (f"{self.source}: {self.rows_read} rows read{lines}, {len(self.valid)} valid, "
                f"{len(self.rejected)} rejected, {len(self.warnings)} warnings")

    def how_read(self) -> str:
        """How the input was read, in one or two lines (empty for a canonical log)."""
        return "; ".join(self.notes)

    def raise_for_rejected(self) -> pd.DataFrame:
        """Return the valid table, or raise :class:`LogValidationError` if any row was rejected."""
        if not self.ok:
            raise LogValidationError(self.failures, self.rows_read, self.source)
        return self.valid



def validate(source: Source, mapping: Mapping[str, str] | None = None,
             today: dt.date | pd.Timestamp | None = None, *, client: str | None = None,
             date_order: str | None = None) -> ValidationReport:
    """Read and validate a log into the canonical table, finding every problem in one pass.

    Parameters
    ----------
    source
        A path (CSV, Excel, Parquet, JSON), a folder of log files (a folder of Parquet files is one
        dataset), a list of paths, or a DataFrame. A DataFrame's own ``source_line``
        column (e.g. from :func:`backanalytics.read_table`) gives the line numbers when it holds
        whole numbers >= 1; otherwise rows are numbered from 1 and that column is ignored.
    mapping
        Extra header mapping, input name -> canonical name (applied before the alias table), or
        ``"ignore"`` (drop the column) or ``"stretch"`` (a grid column: its header is a stretch).
    today
        The date after which dates are "in the future" (default: the real today).
    client
        The client of a log without client column (default: each file's name; see
        :mod:`backanalytics.shape`).
    date_order
        ``"dmy"``, ``"mdy"`` or ``"ymd"`` for dates like ``03/11/2026`` (default: told by the column).

    Returns
    -------
    ValidationReport
        ``valid`` + ``rejected`` always add up to the rows read.

    Raises
    ------
    LogReadError
        When the input cannot be used at all (missing file, unknown format, no required column).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Client": ["ana", "ana"], "Date": ["2026-01-05", "2026-01-06"],
    ...                     "Exercise": ["childs pose", "Cat-Cow"], "NPRS": ["5", "11"]})
    >>> report = validate(raw)
    >>> report.valid["stretch"].tolist(), report.failures["rule"].tolist()
    (["Child's Pose"], ['pain must be between 0 and 10'])
    """
    if date_order is not None and date_order not in ORDERS:
        raise LogReadError(f"date_order must be one of {', '.join(ORDERS)}, not {date_order!r}")
    name = source_name(source)
    raw, read_warnings = read_sources(source, mapping)
    shaped = shape(raw, name, client=client, mapping=mapping)
    raw = shaped.frame
    try:
        renamed = rename_columns(raw, {k: v for k, v in (mapping or {}).items() if v not in (IGNORE, STRETCH_COLUMN)})
        if raw.empty and shaped.lines_read > 0:
            raise LogReadError("no rows to read (no line records a stretch or a score)")
        frame, cell_problems, cell_warnings = unpack_cells(renamed.frame.reset_index(drop=True))
        parsed = parse_log(frame, renamed.factors, date_order=date_order)
    except (LogReadError, AmbiguousDates) as exc:
        raise LogReadError(f"{name}: {exc}") from None
    problems = _all_problems(raw, frame, parsed, renamed, cell_problems, today)
    bad_rows = np.unique(problems["row"].to_numpy(dtype=np.intp))
    good_rows = np.setdiff1d(np.arange(len(frame)), bad_rows, assume_unique=True) if len(bad_rows) else None
    lines = frame[C.SOURCE_LINE]
    row_warnings = concat([cell_warnings, parsed.warnings], ["row", "column", "value", "warning"])
    row_warnings = concat([row_warnings[~row_warnings["row"].isin(bad_rows)],
                            duplicate_warnings(parsed, good_rows)], ["row", "column", "value", "warning"])
    files = _places(raw)
    shape_warnings = pd.DataFrame(shaped.row_warnings, columns=WARNING_COLUMNS).astype({C.SOURCE_LINE: "Int64"})
    warnings = pd.concat([with_lines(row_warnings, lines, "warning", files).astype({C.SOURCE_LINE: "Int64"}),
                          shape_warnings, _header_warnings(
                              [(c, w) for c, w in renamed.ignored if c not in shaped.explained],
                              shaped.warnings + read_warnings)],
                         ignore_index=True)
    failures = with_lines(problems, lines, "rule", files).sort_values(
        [*([C.SOURCE_FILE] if files is not None else []), C.SOURCE_LINE, "column"], kind="stable"
    ).reset_index(drop=True)
    notes = shaped.notes + parsed.notes
    if len(good_rows if good_rows is not None else frame) and not parsed.columns[C.STRETCH].values.notna().any() \
            and len(renamed.ignored):
        notes.append(f"NO STRETCH read at all, while {len(renamed.ignored)} column(s) were ignored "
                     f"({', '.join(c for c, _ in renamed.ignored[:4])}): map them with --map \"Col=stretch\"")
    return ValidationReport(valid=parsed.frame(good_rows), rejected=rejected_rows(raw, problems, bad_rows),
                            failures=failures, warnings=warnings, rows_read=len(raw), source=name,
                            lines_read=shaped.lines_read, notes=notes)


def _places(raw: pd.DataFrame) -> pd.Series | None:
    """Where each row comes from beyond its line, for messages: its file (several files read at
    once) and its sheet (several sheets), e.g. ``clinic.xlsx sheet 'Tom'``; None for one table."""
    parts = []
    if C.SOURCE_FILE in raw:
        parts.append(raw[C.SOURCE_FILE].astype(str).reset_index(drop=True))
    if C.SHEET in raw and raw[C.SHEET].nunique() > 1:
        parts.append(("sheet '" + raw[C.SHEET].astype(str) + "'").reset_index(drop=True))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] + " " + parts[1]


def _all_problems(raw: pd.DataFrame, frame: pd.DataFrame, parsed: ParsedLog, renamed: Renamed,
                  cell_problems: pd.DataFrame, today: dt.date | pd.Timestamp | None) -> pd.DataFrame:
    """Every problem of every row, each cell reported once: cells that are no single value,
    cells that cannot be parsed, pandera's failed checks, disagreeing duplicate columns, extra
    CSV fields."""
    parse_problems = concat([cell_problems, without(parsed.problems, cell_problems)], PROBLEM_COLUMNS)
    # Cells that failed to parse are NaN now; pandera would report them again as "not nullable".
    schema_problems = without(schema_failures(parsed, pd.Timestamp(today) if today else None),
                               parse_problems)
    schema_problems["value"] = _written(schema_problems, frame, parsed).tolist()
    return concat([parse_problems, schema_problems, renamed.conflicts, _extra_fields(raw), _cell_errors(raw)],
                  PROBLEM_COLUMNS)


def _written(problems: pd.DataFrame, frame: pd.DataFrame, parsed: ParsedLog) -> np.ndarray:
    """Each problem's cell as the user wrote it ("11", not 11.0); the typed value if not in the input."""
    values = np.empty(len(problems), dtype=object)
    for column, group in problems.groupby("column", sort=False):
        rows = group["row"].to_numpy(dtype=np.intp)
        cells = frame[column].iloc[rows] if column in frame else parsed.columns[str(column)].rows(rows)
        values[problems.index.get_indexer(group.index)] = cells.astype(object).to_numpy()
    return values


def _extra_fields(raw: pd.DataFrame) -> pd.DataFrame:
    """One problem per CSV row with more fields than its header."""
    if C.EXTRA_FIELDS not in raw:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    cells = raw[C.EXTRA_FIELDS].reset_index(drop=True)
    rows = np.flatnonzero(cells.astype(str).str.strip().ne("").to_numpy(dtype=bool))
    return pd.DataFrame({"row": rows, "column": "row", "value": objects(cells.iloc[rows]),
                         "rule": "row has more fields than the header (an unquoted delimiter, e.g. a comma "
                                 "in a note?)"})



def _cell_errors(raw: pd.DataFrame) -> pd.DataFrame:
    """One problem per row with a cell the reader could not take (an Excel error, an unsaved formula)."""
    if C.CELL_ERRORS not in raw:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    cells = raw[C.CELL_ERRORS].reset_index(drop=True)
    text, present = present_text(cells.astype(object).where(cells.notna(), ""))
    rows = np.flatnonzero((present & text.ne("")).to_numpy(dtype=bool))
    return pd.DataFrame({"row": rows, "column": "cell", "value": None, "rule": text.iloc[rows].to_numpy()})


def _header_warnings(ignored: list[tuple[str, str]], read_warnings: list[tuple[str, str, str]]
                     ) -> pd.DataFrame:
    """Warnings about the file and its columns (no line): built at once, one row each."""
    columns = [c for c, _ in ignored] + [c for c, _, _ in read_warnings]
    return pd.DataFrame({C.SOURCE_LINE: pd.array([pd.NA] * len(columns), dtype="Int64"), "column": columns,
                         "value": [None] * len(ignored) + [v for _, v, _ in read_warnings],
                         "warning": [w for _, w in ignored] + [w for _, _, w in read_warnings]})



def load_log(source: Source, mapping: Mapping[str, str] | None = None,
             today: dt.date | pd.Timestamp | None = None, *, client: str | None = None,
             date_order: str | None = None) -> pd.DataFrame:
    """Return the valid canonical log, or raise :class:`LogValidationError` listing every problem.

    Examples
    --------
    >>> import pandas as pd
    >>> log = load_log(pd.DataFrame({"client_id": ["c1"], "date": ["2026-01-05"],
    ...                              "stretch": ["cobra"], "hold_s": ["20"]}))
    >>> log.loc[0, "stretch"], float(log.loc[0, "hold_s"])
    ('Cobra Stretch', 20.0)
    """
    return validate(source, mapping=mapping, today=today, client=client,
                    date_order=date_order).raise_for_rejected()
