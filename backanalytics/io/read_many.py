"""Read one input: a file, a folder of log files, or a list of them, into one raw table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from backanalytics.columns import CELL_ERRORS, EXTRA_FIELDS, RECORD_LIST, SHEET, SOURCE_FILE
from backanalytics.io.common import LogReadError, ReadWarning, align_headers, alignment
from backanalytics.io.read_csv import read_csv_with_warnings
from backanalytics.io.read_parquet import PARQUET_SUFFIXES, read_parquet_file, read_parquet_folder

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | JSON_SUFFIXES
#: Reader columns that hold text and mean "nothing" when empty: a file without them gets "".
_TEXT_COLUMNS = (EXTRA_FIELDS, CELL_ERRORS, SHEET, RECORD_LIST)

Source = str | Path | Sequence[str | Path]


def read_source(source: Source, mapping: Mapping[str, str] | None = None
                ) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """A file, a folder or a list of paths; see :func:`backanalytics.io.read_table_with_warnings`."""
    if not isinstance(source, (str, Path)):
        items = list(source)
        if not items:
            raise LogReadError("no files given")
        if len(items) == 1:
            return read_source(items[0], mapping)
        return read_files([(str(p), Path(p)) for p in items], mapping, "the files given")
    path = Path(source)
    if path.is_dir():
        return read_folder(path, mapping)
    return read_file(path, mapping)


def read_file(path: Path, mapping: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """One log file, by its extension."""
    if not path.exists():
        raise LogReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LogReadError(f"{path.name}: unknown format {suffix or '(no extension)'!r}; "
                           f"use one of {', '.join(sorted(SUFFIXES))}")
    if path.stat().st_size == 0:
        raise LogReadError(f"{path.name}: the file is empty")
    # Each format's reader loads when a file of it comes (a CSV log needs no workbook reader).
    if suffix in EXCEL_SUFFIXES:
        from backanalytics.io.read_excel import read_workbook

        return read_workbook(path, dict(mapping or {}))
    if suffix in CSV_SUFFIXES:
        return read_csv_with_warnings(path.read_bytes(), name=path.name)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet_file(path), []
    from backanalytics.io.read_json import read_json_file

    return read_json_file(path)


def read_folder(path: Path, mapping: Mapping[str, str] | None = None
                ) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """Every log file of a folder (and its subfolders), in name order, rows one after another.

    A folder holding Parquet files is a Parquet dataset, read as one
    (:func:`~backanalytics.io.read_parquet.read_parquet_folder`; any other file beside them is
    skipped with a warning). Otherwise each CSV, TSV, Excel or JSON file is read on its own and
    its rows carry ``source_file`` (the path within the folder); a file of another format, or one
    that cannot be read, is skipped with a warning (column ``file``, value the file's path within
    the folder) saying why.
    """
    files = [f for f in sorted(path.rglob("*")) if f.is_file()]
    logs = [f for f in files if f.suffix.lower() in SUFFIXES]
    others = [f for f in files if f.suffix.lower() not in SUFFIXES]

    def where(f: Path) -> str:
        return f.relative_to(path).as_posix()

    def hidden(f: Path) -> bool:
        return any(part.startswith(("_", ".")) for part in f.relative_to(path).parts)

    if any(f.suffix.lower() in PARQUET_SUFFIXES and not hidden(f) for f in logs):
        frame, warnings = read_parquet_folder(path)
        beside = [("file", where(f), "file skipped: the folder is a Parquet dataset, so only its Parquet files "
                   "are read; move the file out or convert it") for f in logs
                  if f.suffix.lower() not in PARQUET_SUFFIXES and not hidden(f)]
        return frame, [_not_a_log(where(f), f) for f in others if not hidden(f)] + beside + warnings
    if not logs:
        held = f"; it holds {len(others)} other file{'s' if len(others) != 1 else ''}" if others else ""
        raise LogReadError(f"{path}: a folder without log files ({', '.join(sorted(SUFFIXES))}){held}")
    frame, warnings = read_files([(where(f), f) for f in logs], mapping, path.name)
    return frame, [_not_a_log(where(f), f) for f in others] + warnings


def _not_a_log(name: str, path: Path) -> ReadWarning:
    suffix = path.suffix.lower() or "no extension"
    return ("file", name, f"file skipped: not a log format ({suffix}); logs are {', '.join(sorted(SUFFIXES))}")


def read_files(items: list[tuple[str, Path]], mapping: Mapping[str, str] | None, name: str
               ) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """Read each (label, path) and put the rows one after another, each with its ``source_file``.

    Headers are aligned to their canonical names first ("Day" in one file, "date" in another);
    columns are the union of the files' columns (a column a file lacks is empty in its rows);
    a file that cannot be read is skipped with a warning; when none can, :class:`LogReadError`.
    """
    frames: list[pd.DataFrame] = []
    warnings: list[ReadWarning] = []
    names = alignment(mapping)
    for label, path in items:
        try:
            frame, found = read_folder(path, mapping) if path.is_dir() else read_file(path, mapping)
        except LogReadError as exc:
            reason = str(exc).removeprefix(f"{path.name}: ").removeprefix(f"{path}: ")
            warnings.append(("file", label, f"file skipped: {reason}"))
            continue
        inner = frame[SOURCE_FILE].astype(str) if SOURCE_FILE in frame else None
        frame[SOURCE_FILE] = label if inner is None else label + "/" + inner
        frames.append(align_headers(frame, names))
        warnings += [(c, v, f"{label}: {w}") for c, v, w in found]
    if not frames:
        first = warnings[0] if warnings else ("file", name, "no file")
        raise LogReadError(f"{name}: no readable log file among {len(items)} "
                           f"({first[1]}: {first[2]})")
    out = pd.concat(frames, ignore_index=True)
    for column in _TEXT_COLUMNS:
        if column in out and len(frames) > 1:
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    return out, warnings
