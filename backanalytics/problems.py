"""The report of problems: one table per kind (problems, warnings), one row per problem.

Every step of validation collects what it finds as rows ``row, column, value, rule`` (``row`` is
the position in the shaped table); :func:`with_lines` turns positions into the file's lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backanalytics import columns as C

FAILURE_COLUMNS = [C.SOURCE_LINE, "column", "value", "rule"]
WARNING_COLUMNS = [C.SOURCE_LINE, "column", "value", "warning"]
PROBLEM_COLUMNS = ["row", "column", "value", "rule"]


def describe_failure(row: tuple) -> str:
    """One readable line for a failure row: line, column, value (unless missing), rule.

    Examples
    --------
    >>> describe_failure((3, "pain", "11", "pain must be between 0 and 10"))
    "  line 3: pain '11': pain must be between 0 and 10"
    >>> describe_failure((4, "client_id", float("nan"), "client_id is required", "sam.csv"))
    '  sam.csv line 4: client_id: client_id is required'
    """
    line, column, value, rule = row[0], row[1], row[2], row[3]
    shown = "" if _missing(value) else " " + repr(str(value)[:60])
    file = f"{row[4]} " if len(row) > 4 and not _missing(row[4]) else ""
    return f"  {file}line {line}: {column}{shown}: {rule}"


def _missing(value: object) -> bool:
    """True for a missing scalar (None, NaN, NaT, pd.NA); False for anything else."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not one missing value
        return False


def objects(values: pd.Series | np.ndarray) -> pd.Series:
    """Values as a plain object column (problem tables hold cells of any type, as written)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate problem tables (an empty table with ``columns`` when there are none)."""
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


class Problems:
    """Collects problems (or warnings) as rows of one table: ``row, column, value, <last>``."""

    def __init__(self, frame: pd.DataFrame, last: str = "rule"):
        self.frame, self.last, self.parts = frame, last, []

    def add(self, rows: np.ndarray, column: str, text: str, values: pd.Series | None = None) -> None:
        """One entry per row; the value shown is the cell as written unless ``values`` are given."""
        if not len(rows):
            return
        if values is None:
            values = self.frame[column] if column in self.frame else pd.Series([pd.NA] * len(self.frame))
            values = values.iloc[rows]
        self.parts.append(pd.DataFrame({"row": rows, "column": column, "value": objects(values),
                                        self.last: text}))

    def table(self) -> pd.DataFrame:
        """Everything added, as one table."""
        return concat(self.parts, ["row", "column", "value", self.last])


def without(problems: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``problems`` minus those on a (row, column) cell that ``known`` already reports."""
    if problems.empty or known.empty:
        return problems.reset_index(drop=True)
    names = {c: i for i, c in enumerate(pd.unique(pd.concat([problems["column"], known["column"]])))}

    def cells(table: pd.DataFrame) -> np.ndarray:
        return table["row"].to_numpy(dtype=np.int64) * len(names) + table["column"].map(names).to_numpy()

    return problems[~np.isin(cells(problems), cells(known))].reset_index(drop=True)


def with_lines(table: pd.DataFrame, lines: pd.Series, last: str, files: pd.Series | None = None) -> pd.DataFrame:
    """Problems or warnings with each row position replaced by its source line (and, in column
    ``source_file``, where the row comes from when ``files`` says it: its file when several files are
    read at once, its sheet when a workbook has several log sheets)."""
    rows = table["row"].to_numpy(dtype=int)
    out = table.assign(**{C.SOURCE_LINE: lines.to_numpy()[rows]})
    if files is not None:
        out[C.SOURCE_FILE] = files.to_numpy()[rows]
    return out[[C.SOURCE_LINE, "column", "value", last, *([C.SOURCE_FILE] if files is not None else [])]
               ].reset_index(drop=True)


def rejected_rows(raw: pd.DataFrame, problems: pd.DataFrame, bad_rows: np.ndarray) -> pd.DataFrame:
    """The rejected input rows as read, each with its problems joined in one ``problems`` cell."""
    # A slice when nothing is rejected: taking rows from Arrow text read in chunks concatenates them.
    rejected = raw.iloc[bad_rows].copy() if len(bad_rows) else raw.iloc[:0].copy()
    joined = problems.assign(text=problems["column"] + ": " + problems["rule"]).groupby(
        "row", sort=True)["text"].agg("; ".join)
    rejected["problems"] = joined.reindex(bad_rows).to_numpy()
    return rejected.reset_index(drop=True)
