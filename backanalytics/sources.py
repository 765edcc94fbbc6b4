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
from backanalytics.io import SUFFIXES, LogReadError, read_table_with_warnings

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
    """The raw table with ``source_line`` (and ``source_file`` for several files), and the warnings."""
    if isinstance(source, pd.DataFrame):
        return _frame(source), []
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_dir() or _parquet_dataset(path):
            return read_table_with_warnings(path, mapping)
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    else:
        files = [Path(p) for p in source]
        if len(files) == 1:
            return read_table_with_warnings(files[0], mapping)
    frames, warnings = [], []
    for path in files:
        if path.suffix.lower() not in SUFFIXES:
            warnings.append(("file", path.name, "skipped: not a log file (CSV, TSV, Excel, JSON, Parquet)"))
            continue
        try:
            frame, found = read_table_with_warnings(path, mapping)
        except LogReadError as exc:
            warnings.append(("file", path.name, f"skipped: {exc}"))
            continue
        frames.append(_aligned(frame, mapping).assign(**{C.SOURCE_FILE: path.name}))
        warnings += [(c, f"{path.name}: {v}", w) for c, v, w in found]
    if not frames:
        raise LogReadError(f"{source_name(source) if not isinstance(source, (str, Path)) else Path(source).name}: "
                           "no readable log file" + (f" ({warnings[0][1]}: {warnings[0][2]})" if warnings else ""))
    return pd.concat(frames, ignore_index=True), warnings


def _aligned(frame: pd.DataFrame, mapping: Mapping[str, str] | None) -> pd.DataFrame:
    """A file's headers renamed to their canonical names ("Day" in one file, "date" in another),
    so that concatenating files does not split a column; a name already taken is left as is."""
    from backanalytics.headers import target_of

    user = {C.normalise_header(k): v for k, v in (mapping or {}).items()}
    names, renames = {str(c) for c in frame.columns}, {}
    for col in frame.columns:
        found = None if col in C.RESERVED else target_of(col, names, user)
        if found and found[1] == 1.0 and found[0] in C.CANONICAL and found[0] not in names | set(renames.values()):
            renames[col] = found[0]
    return frame.rename(columns=renames)


def _parquet_dataset(folder: Path) -> bool:
    """True when a folder holds Parquet files (a dataset, possibly Hive-partitioned) and no other log."""
    kinds = {p.suffix.lower() for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES}
    return bool(kinds) and kinds <= {".parquet", ".pq"}


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
