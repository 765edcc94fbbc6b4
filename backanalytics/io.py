"""Read log files (CSV, Excel, Parquet, JSON) into a raw table, each row tagged with its source line.

Nothing here interprets values: cells come back as text (or as the file's own types for Parquet
and JSON) so that validation can name the exact value it rejects. A file that cannot be read at
all raises :class:`LogReadError` with a one-line message.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd

from backanalytics.columns import SOURCE_LINE

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | JSON_SUFFIXES


class LogReadError(ValueError):
    """The input cannot be read at all (missing, unknown format, garbage, no header...)."""


def read_table(source: str | Path) -> pd.DataFrame:
    """Read a log file into a raw DataFrame with a ``source_line`` column.

    ``source_line`` is the file's own line number for CSV (header = line 1, quoted newlines
    counted), the sheet row for Excel, and the 1-based record number for Parquet and JSON.

    Parameters
    ----------
    source
        Path to a ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xls``, ``.parquet`` or ``.json``/``.jsonl``.

    Raises
    ------
    LogReadError
        When the file is missing, empty, of an unknown format or unreadable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = p.write_text("client_id,date,stretch\\nc1,2026-01-05,Cat-Cow\\n")
    >>> read_table(p)[["client_id", "source_line"]].to_dict("records")
    [{'client_id': 'c1', 'source_line': 2}]
    """
    path = Path(source)
    if not path.exists():
        raise LogReadError(f"{path}: no such file")
    if path.is_dir():
        raise LogReadError(f"{path}: is a folder, not a log file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LogReadError(
            f"{path.name}: unknown format {suffix or '(no extension)'!r}; "
            f"use one of {', '.join(sorted(SUFFIXES))}"
        )
    if path.stat().st_size == 0:
        raise LogReadError(f"{path.name}: the file is empty")
    if suffix in CSV_SUFFIXES:
        return read_csv_text(path.read_bytes(), name=path.name)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    return _read_json(path)


def _decode(data: bytes, name: str) -> str:
    """Decode text: UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1 / cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LogReadError(f"{name}: broken UTF-16 text ({exc.reason})") from None
    if b"\x00" in data[:4096]:
        raise LogReadError(f"{name}: this is a binary file, not a CSV text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs on Windows still write cp1252; it decodes "José" correctly.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter from the header line: the most frequent of , ; tab |."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in [",", ";", "\t", "|"]}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_text(data: bytes, name: str = "<csv>") -> pd.DataFrame:
    """Parse CSV bytes into strings with exact source line numbers (see :func:`read_table`)."""
    text = _decode(data, name).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise LogReadError(f"{name}: the file is empty")
    sep = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise LogReadError(f"{name}: not a readable CSV table ({detail})") from None
    newlines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if newlines == len(frame) + 1:
        # One physical line per record (no quoted newlines, no blank lines): line = position + 2.
        frame[SOURCE_LINE] = pd.RangeIndex(2, len(frame) + 2)
    else:
        frame[SOURCE_LINE] = _record_lines(text, sep, len(frame))
    return frame.reset_index(drop=True)


def _record_lines(text: str, sep: str, n_rows: int) -> list[int]:
    """Starting line number of every data record, honouring quoted newlines and blank lines."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    lines: list[int] = []
    start = 1
    for i, record in enumerate(reader):
        if i > 0 and any(cell.strip() for cell in record):
            lines.append(start)
        start = reader.line_num + 1
    if len(lines) != n_rows:
        # The two parsers disagree (malformed quoting); fall back to positions, never drop rows.
        return list(range(2, n_rows + 2))
    return lines


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    except (zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        raise LogReadError(f"{path.name}: not a readable Excel workbook ({exc})") from None
    from backanalytics.columns import ALIASES, CLIENT_ID, normalise_header

    def has_client(frame: pd.DataFrame) -> bool:
        return any(ALIASES.get(normalise_header(c)) == CLIENT_ID for c in frame.columns)

    usable = [(n, f) for n, f in sheets.items() if has_client(f)]
    if not usable:
        usable = [next(iter(sheets.items()))]
    frames = []
    for sheet, frame in usable:
        frame = frame.dropna(how="all").copy()
        frame[SOURCE_LINE] = frame.index + 2  # row 1 is the header
        if len(usable) > 1:
            frame["sheet"] = sheet
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise LogReadError(f"{path.name}: not a readable Parquet file ({type(exc).__name__})") from None
    frame = frame.reset_index(drop=True)
    frame[SOURCE_LINE] = frame.index + 1
    return frame


def _read_json(path: Path) -> pd.DataFrame:
    text = _decode(path.read_bytes(), path.name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # JSON lines: one record per line.
        records = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise LogReadError(f"{path.name}: line {i} is not valid JSON ({exc.msg})") from None
        data = records
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise LogReadError(f"{path.name}: expected a list of records (objects) in the JSON")
    if not data:
        raise LogReadError(f"{path.name}: the JSON holds no records")
    frame = pd.DataFrame.from_records(data)
    frame[SOURCE_LINE] = frame.index + 1
    return frame
