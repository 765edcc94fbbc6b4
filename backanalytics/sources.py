"""Read step glue: one file, a folder of log files, a list of files, or a DataFrame -> one raw table.

Each file is read by :func:`backanalytics.io.read_table_with_warnings`; with several files every
row carries its file's name in ``source_file`` (lines are numbered per file). A file that cannot
be read is skipped with a warning of column ``"file"`` naming it, never silently. A folder holding
only Parquet files keeps its meaning of one dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from backanalytics import columns as C
from backanalytics.io import read_table_with_warnings

Source = str | Path | pd.DataFrame | Sequence[str | Path]
Warnings = list[tuple[str, str, str]]


def source_name(source: Source) -> str:
    """How messages name the input: a file's or folder's name, "N files", or "log" for a DataFrame.

    Examples
    --------
    >>> source_name("data/sam.csv"), source_name(["a.csv", "b.csv"]), source_name(pd.DataFrame())
    ('sam.csv', '2 files', 'log')
    """
    if isinstance(source, (str, Path)):
        return Path(source).name
    if isinstance(source, pd.DataFrame):
        return "log"
    return Path(source[0]).name if len(source) == 1 else f"{len(source)} files"


def read_sources(source: Source, mapping: Mapping[str, str] | None) -> tuple[pd.DataFrame, Warnings]:
    """The raw table with ``source_line`` (and ``source_file`` for several files), and the warnings.

    Files, folders and lists are read by :func:`backanalytics.io.read_table_with_warnings`; files
    whose headers differ ("Day" in one, "date" in another) give columns that the header step
    merges, as it merges two columns of one file meaning the same thing.
    """
    if isinstance(source, pd.DataFrame):
        return _frame(source), []
    return read_table_with_warnings(source if isinstance(source, (str, Path)) else list(source), mapping)


def _frame(source: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame given as input; its ``source_line`` is used when it can be line numbers."""
    raw = source.reset_index(drop=True).copy()
    if C.SOURCE_LINE in raw and not _whole_lines(raw[C.SOURCE_LINE]):
        raw = raw.rename(columns={C.SOURCE_LINE: f"{C.SOURCE_LINE} (input)"})
    if C.SOURCE_LINE not in raw:
        raw[C.SOURCE_LINE] = raw.index + 1
    return raw


def _whole_lines(lines: pd.Series) -> bool:
    """True when a column can be line numbers: whole numbers >= 1, none missing."""
    if not pd.api.types.is_numeric_dtype(lines) or pd.api.types.is_bool_dtype(lines):
        return False
    values = lines.to_numpy(dtype=float, na_value=np.nan)
    return bool(np.isfinite(values).all() and (values >= 1).all() and (values % 1 == 0).all())
