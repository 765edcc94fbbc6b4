"""Read log files (CSV, Excel, Parquet, JSON) into a raw table, each row tagged with its source line.

Nothing here interprets values: cells come back as text (or as the file's own types for Parquet
and JSON) so that validation can name the exact value it rejects. A file that cannot be read at
all raises :class:`LogReadError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import threading
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds

from backanalytics.columns import (
    ALIASES,
    CLIENT_ID,
    DATE,
    EXTRA_FIELDS,
    RECORD_LIST,
    RESERVED,
    SHEET,
    SOURCE_LINE,
    UNIT_ALIASES,
    normalise_header,
)

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | JSON_SUFFIXES
#: CSV files at least this large are parsed by pyarrow first (see :func:`_read_csv_arrow`).
ARROW_MIN_BYTES = 1 << 20
#: Excel rows searched for the header (a title or notes may sit above it).
HEADER_SEARCH_ROWS = 10
#: Largest field the csv module may read: the size of the text, at most a C long on every platform.
_MAX_FIELD = 2**31 - 1
_FIELD_LIMIT_LOCK = threading.RLock()

__all__ = ["EXTRA_FIELDS", "RECORD_LIST", "SHEET", "SOURCE_LINE", "LogReadError", "read_csv_text",
           "read_table", "read_table_with_warnings"]


class LogReadError(ValueError):
    """The input cannot be read at all (missing, unknown format, garbage, no header...)."""


def read_table(source: str | Path, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a log file into a raw DataFrame with a ``source_line`` column.

    ``source_line`` is the file's own line number for CSV (header = line 1, quoted newlines
    counted), the sheet row for Excel, and the 1-based record number for Parquet and JSON.
    An input column named like one the reader adds (:data:`backanalytics.columns.RESERVED`)
    is renamed ``"<name> (input)"``.

    Parameters
    ----------
    source
        Path to a ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xls``, ``.parquet`` or ``.json``/``.jsonl``,
        or a folder holding a Parquet dataset (e.g. Hive-partitioned by client bucket, as
        :func:`backanalytics.scale.write_partitioned` writes).
    mapping
        Extra header mapping (input name -> canonical name), used to find the header row of an
        Excel sheet; see :func:`backanalytics.validate`.

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
    return read_table_with_warnings(source, mapping)[0]


def read_table_with_warnings(source: str | Path, mapping: Mapping[str, str] | None = None
                             ) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """:func:`read_table`, plus a (column, value, warning) for each part of the file left out.

    Today that is an Excel sheet without a log header (a "read me" sheet): its rows are not
    read, and the warning names the sheet (``("sheet", name, ...)``) and how many rows it holds.
    """
    path = Path(source)
    if not path.exists():
        raise LogReadError(f"{path}: no such file")
    if path.is_dir():
        return _read_parquet_folder(path), []
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LogReadError(
            f"{path.name}: unknown format {suffix or '(no extension)'!r}; "
            f"use one of {', '.join(sorted(SUFFIXES))}"
        )
    if path.stat().st_size == 0:
        raise LogReadError(f"{path.name}: the file is empty")
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, mapping)
    if suffix in CSV_SUFFIXES:
        frame = read_csv_text(path.read_bytes(), name=path.name)
    elif suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    else:
        frame = _read_json(path)
    return frame, []


def _reserve_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename input columns that clash with :data:`RESERVED` to ``"<name> (input)"``."""
    clashes = [c for c in frame.columns if c in RESERVED]
    if not clashes:
        return frame
    taken = {str(c) for c in frame.columns}
    renames = {}
    for c in clashes:
        new = f"{c} (input)"
        while new in taken:
            new += "'"
        taken.add(new)
        renames[c] = new
    return frame.rename(columns=renames)


@contextlib.contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Let the csv module read fields up to ``size`` characters (its default stops at 128 k).

    The limit is process-wide, so it is raised under a lock and restored afterwards.
    """
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, min(size + 1, _MAX_FIELD)))
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def _decode(data: bytes, name: str) -> str:
    """Decode text: UTF-8 (with or without BOM), UTF-16 (BOM or not), else Latin-1 / cp1252.

    Raises :class:`LogReadError` for binary content (NUL bytes that are not UTF-16, or many
    control characters), so garbage is named as such instead of failing later as "no header".
    """
    head = data[:4096]
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(head)
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise LogReadError(f"{name}: broken UTF-16 text ({exc.reason})") from None
    elif b"\x00" in head:
        raise LogReadError(f"{name}: this is a binary file, not a CSV text file")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Spreadsheet programs on Windows still write cp1252; it decodes "José" correctly.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc")
    if controls > max(4, 0.05 * len(sample)):
        raise LogReadError(f"{name}: this is a binary file, not a CSV text file")
    return text


def _utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when the bytes look like BOM-less UTF-16 text (ASCII mostly)."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4 or b"\x00" not in head:
        return None
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter from the header line: the most frequent of , ; tab |."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in [",", ";", "\t", "|"]}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_text(data: bytes, name: str = "<csv>") -> pd.DataFrame:
    """Parse CSV bytes into strings with exact source line numbers (see :func:`read_table`)."""
    if len(data) >= ARROW_MIN_BYTES:
        fast = _read_csv_arrow(data)
        if fast is not None:
            return fast
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
        if "Expected" not in str(exc):
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise LogReadError(f"{name}: not a readable CSV table ({detail})") from None
        return _read_ragged(text, sep)  # a row with more fields than the header
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas turns the leading cells into an index when the first row is longer than the
        # header, shifting every value; read it field by field instead.
        return _read_ragged(text, sep)
    frame = _reserve_names(frame)
    newlines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if newlines == len(frame) + 1:
        # One physical line per record (no quoted newlines, no blank lines): line = position + 2.
        frame[SOURCE_LINE] = pd.RangeIndex(2, len(frame) + 2)
    else:
        frame[SOURCE_LINE] = _record_lines(text, sep, len(frame))
    return frame.reset_index(drop=True)


def _read_csv_arrow(data: bytes) -> pd.DataFrame | None:
    """The fast path for large, plain CSV files: pyarrow's multithreaded parser, every cell as text.

    Only taken when the result is certain to equal the pandas path: UTF-8 text, ``\\n`` or
    ``\\r\\n`` line ends, one physical line per record (so line = position + 2), a header of
    unique non-empty names and rows as wide as the header. Returns None otherwise (the caller then
    reads with pandas and the csv module, which handle every irregular file).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # old Mac line ends: let the text path normalise them
    try:
        header = data[:data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = header.rstrip("\r")
    sep = _sniff_delimiter(header)
    with _field_limit(len(header)):
        names = next(csv.reader([header], delimiter=sep), [])
    if len(names) < 2 or len(set(names)) != len(names) or any(not n.strip() for n in names):
        return None  # pandas would rename these ("Unnamed: 2", "date.1"): keep its names
    with ThreadPoolExecutor(max_workers=1) as pool:
        lines = pool.submit(_count_lines, data)  # alongside the parse: numpy releases the GIL
        try:
            table = pa_csv.read_csv(
                pa.BufferReader(data),
                parse_options=pa_csv.ParseOptions(delimiter=sep),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False,
                    quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
            return None  # ragged rows, invalid UTF-8, quoted newlines...: the careful path decides
        if table.column_names != names or any(t != pa.large_string() for t in table.schema.types):
            return None
        if lines.result() != table.num_rows + 1:
            return None  # blank lines or records spanning lines: exact line numbers need the csv pass
    text = pd.StringDtype(na_value=float("nan"))
    frame = _reserve_names(pd.DataFrame({n: pd.array(table.column(n), dtype=text) for n in names}))
    frame[SOURCE_LINE] = pd.RangeIndex(2, len(frame) + 2)
    return frame


#: Bytes scanned at once when counting lines (bounds the temporary memory).
_SCAN_BYTES = 1 << 26


def _count_lines(data: bytes) -> int:
    """Physical lines of ``data``: its newlines, plus one for a last line without a newline.

    Examples
    --------
    >>> _count_lines(b"a,b\\n1,2\\n"), _count_lines(b"a,b\\n1,2")
    (2, 2)
    """
    view = np.frombuffer(data, dtype=np.uint8)
    newlines = sum(int(np.count_nonzero(view[i:i + _SCAN_BYTES] == 10)) for i in range(0, len(view), _SCAN_BYTES))
    return newlines + (0 if data.endswith(b"\n") else 1)


def _record_lines(text: str, sep: str, n_rows: int) -> list[int]:
    """Starting line number of every data record, honouring quoted newlines and blank lines."""
    lines: list[int] = []
    start = 1
    with _field_limit(len(text)):
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        for i, record in enumerate(reader):
            if i > 0 and not _blank(record):
                lines.append(start)
            start = reader.line_num + 1
    if len(lines) != n_rows:
        # The two parsers disagree (malformed quoting); fall back to positions, never drop rows.
        return list(range(2, n_rows + 2))
    return lines


def _blank(record: list[str]) -> bool:
    """A line pandas skips: empty or only spaces and tabs (``,,`` and ``""`` are rows of empty cells;
    so is a line of other whitespace, such as U+0085 or a no-break space, which pandas reads as a row)."""
    return not record or (len(record) == 1 and record[0] != "" and not record[0].strip(" \t"))


def _read_ragged(text: str, sep: str) -> pd.DataFrame:
    """Read a CSV whose rows have more fields than its header, keeping every row.

    Cells beyond the header go, joined, into :data:`EXTRA_FIELDS` so validation can reject the
    row (an unquoted delimiter in a note shifts every later value); trailing empty cells are
    ignored.
    """
    with _field_limit(len(text)):
        records = _ragged_records(text, sep)
    header = next(records, (0, []))[1]
    names = _unique_names(header)
    width = len(names)
    rows, extra, lines = [], [], []
    for start, record in records:
        rows.append((record + [""] * width)[:width])
        extra.append(sep.join(record[width:]) if any(c.strip() for c in record[width:]) else "")
        lines.append(start)
    frame = _reserve_names(pd.DataFrame(rows, columns=names, dtype=object).astype(str))
    frame[EXTRA_FIELDS] = extra
    frame[SOURCE_LINE] = lines
    return frame


def _ragged_records(text: str, sep: str) -> Iterator[tuple[int, list[str]]]:
    """(starting line, fields) of every non-blank record; the whole text is read at once."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    out = []
    start = 1
    for record in reader:
        if not _blank(record):
            out.append((start, record))
        start = reader.line_num + 1
    return iter(out)


def _unique_names(header: list[object]) -> list[str]:
    """Header names made unique the way pandas does it (``date``, ``date.1``, ...)."""
    names: list[str] = []
    taken: set[str] = set()
    for i, cell in enumerate(header):
        raw = "" if cell is None or (isinstance(cell, float) and cell != cell) else str(cell)
        base = raw if raw.strip() else f"Unnamed: {i}"
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        taken.add(name)
        names.append(name)
    return names


def _read_excel(path: Path, mapping: Mapping[str, str] | None = None
                ) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Read every sheet that holds a log; see :func:`_excel_sheet` for how a sheet is read.

    A sheet without a log header is left out with a warning when it names no log column at all
    (a "read me" sheet); one that names some (``stretch``, ``pain``...) but lacks client_id or
    date is an error, so a misnamed log sheet can never vanish. When no sheet has a header, the
    first non-empty sheet is read with its first row as header (validation then names the
    missing columns).
    """
    sheets = _excel_sheets(path)
    names = _header_names(mapping)
    found = {sheet: _find_header(grid, names) for sheet, grid in sheets.items()}
    if not any(row is not None for row in found.values()):  # no client column anywhere: see shape
        found = {sheet: _find_header(grid, names, need_client=False) for sheet, grid in sheets.items()}
    usable = [s for s, row in found.items() if row is not None]
    warnings: list[tuple[str, str, str]] = []
    if not usable:
        first = next((s for s, grid in sheets.items() if not grid.empty), None)
        if first is None:
            raise LogReadError(f"{path.name}: every sheet of the workbook is empty")
        usable, found[first] = [first], 0
    for sheet, grid in sheets.items():
        if sheet in usable or grid.empty:
            continue
        rows = len(grid)
        seen = _log_names(grid, names)
        if seen:
            raise LogReadError(
                f"{path.name}: sheet {sheet!r} ({rows} rows) names {', '.join(seen)} but has no "
                f"header row with both {CLIENT_ID} and {DATE} in its first {HEADER_SEARCH_ROWS} rows; "
                "name its columns (or pass a mapping), or move the sheet out of the workbook")
        warnings.append((SHEET, sheet, f"sheet skipped: no header row with {CLIENT_ID} and {DATE} in its "
                         f"first {HEADER_SEARCH_ROWS} rows ({rows} non-empty row{'s' if rows != 1 else ''} "
                         "not read)"))
    frames = [_excel_sheet(sheets[s], found[s], names if len(usable) > 1 else None) for s in usable]
    if len(usable) > 1:
        frames = [f.assign(**{SHEET: s}) for f, s in zip(frames, usable, strict=True)]
    return pd.concat(frames, ignore_index=True), warnings


def _excel_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet as a grid of cells (no header), fully empty rows dropped, index = row - 1."""
    _check_zip_size(path)
    _check_zip_holds_workbook(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl / xlrd raise many types (zip, XML, KeyError) for a damaged file
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        detail = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        raise LogReadError(f"{path.name}: not a readable Excel workbook ({detail})") from None
    if not sheets:
        raise LogReadError(f"{path.name}: the workbook has no sheets")
    return {str(name): grid.dropna(how="all") for name, grid in sheets.items()}


def _check_zip_holds_workbook(path: Path) -> None:
    """Refuse a zip archive that is not an Excel workbook (no ``xl/workbook.xml`` inside)."""
    if not zipfile.is_zipfile(path):
        return  # an old binary .xls, or garbage: the reader reports it
    try:
        with zipfile.ZipFile(path) as zf:
            members = {n.lower() for n in zf.namelist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if not any(m.endswith("workbook.xml") or m.endswith("workbook.bin") for m in members):
        raise LogReadError(f"{path.name}: not a readable Excel workbook (a zip archive without "
                           "a workbook inside)")


def _header_names(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Normalised header -> canonical name: the alias tables, then the user's mapping on top."""
    names = {**ALIASES, **{k: v[0] for k, v in UNIT_ALIASES.items()}}
    names.update({normalise_header(k): v for k, v in (mapping or {}).items()})
    return names


def _row_targets(cells: pd.Series, names: dict[str, str]) -> set[str]:
    """Canonical columns named by the cells of one row."""
    return {names[key] for key in (normalise_header(c) for c in cells.dropna()) if key in names}


def _find_header(grid: pd.DataFrame, names: dict[str, str], need_client: bool = True) -> int | None:
    """Position (within ``grid``) of the first row naming both client_id and date, or None."""
    for pos in range(min(len(grid), HEADER_SEARCH_ROWS)):
        found = _row_targets(grid.iloc[pos], names)
        # A date and one more column (a score, or a stretch of the catalog: a grid) heads a log
        # without client column, whose client is the sheet or file (see backanalytics.shape).
        if DATE in found and (CLIENT_ID in found or (not need_client and (len(found) > 1 or
                                                                          _names_stretch(grid.iloc[pos])))):
            return pos
    return None


def _names_stretch(cells: pd.Series) -> bool:
    """True when a cell of a header row names a catalog stretch (a grid's column)."""
    from backanalytics.shape import _stretch_header

    return any(_stretch_header(c)[0] is not None for c in cells.dropna() if isinstance(c, str))


def _log_names(grid: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Canonical columns named anywhere in the first rows of a sheet (sorted)."""
    seen: set[str] = set()
    for pos in range(min(len(grid), HEADER_SEARCH_ROWS)):
        seen |= _row_targets(grid.iloc[pos], names)
    return sorted(seen)


def _excel_sheet(grid: pd.DataFrame, header_pos: int, align: dict[str, str] | None) -> pd.DataFrame:
    """The rows below the header of one sheet, with their sheet row numbers.

    With ``align`` (several sheets), headers are renamed to their canonical names ("patient" on
    one sheet, "client_id" on another) so that concatenating the sheets does not split a column.
    """
    header = _unique_names(grid.iloc[header_pos].tolist())
    frame = grid.iloc[header_pos + 1:].copy()
    frame.columns = header
    if align is not None:
        renames: dict[str, str] = {}
        for c in header:
            target = align.get(normalise_header(c))
            if target and c != target and target not in header and target not in renames.values():
                renames[c] = target
        frame = frame.rename(columns=renames)
    frame = _reserve_names(frame)
    frame[SOURCE_LINE] = frame.index + 1  # header=None: index 0 is the sheet's row 1
    return frame.reset_index(drop=True)


#: Largest uncompressed size accepted for an .xlsx (a zip): guards against zip bombs.
MAX_XLSX_BYTES = 500 * 1024 * 1024


def _check_zip_size(path: Path) -> None:
    """Refuse an .xlsx whose members would inflate beyond :data:`MAX_XLSX_BYTES`."""
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip (e.g. an old .xls); the reader reports it
    if declared > MAX_XLSX_BYTES:
        raise LogReadError(f"{path.name}: the workbook would unpack to {declared // 2**20} MB "
                           f"(limit {MAX_XLSX_BYTES // 2**20} MB); refusing a possible zip bomb")


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file as it is typed (byte, list and struct cells are judged by validation)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise LogReadError(f"{path.name}: not a readable Parquet file ({type(exc).__name__})") from None
    frame = _reserve_names(frame.reset_index(drop=True))
    frame[SOURCE_LINE] = frame.index + 1
    return frame


def _read_parquet_folder(path: Path) -> pd.DataFrame:
    """Read a folder holding a Parquet dataset, ``source_line`` numbering its records 1, 2, ...

    A dataset written by :func:`backanalytics.scale.write_partitioned` comes back exactly as
    written, in its original row order; any other folder's Parquet files (other files, and names
    starting with ``_`` or ``.``, are left out) are read as a dataset with Hive partitioning
    (``clinic=north/part-0.parquet``: the folder keys become text columns, which validation
    ignores unless they name a canonical column), files in name order.
    """
    from backanalytics import scale

    files = [f for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in PARQUET_SUFFIXES
             and not any(part.startswith(("_", ".")) for part in f.relative_to(path).parts)]
    if not files:
        raise LogReadError(f"{path}: is a folder without Parquet files; give a log file or a Parquet dataset")
    try:
        if (path / scale.BUCKET_COUNT).exists():
            frame = scale.read_partitioned(path)
        else:
            # Folder keys are read as text: a client_id=007 folder is client "007", not the number 7.
            keys = dict.fromkeys(part.split("=", 1)[0] for f in files for part in f.relative_to(path).parts[:-1]
                                 if "=" in part)
            partitioning = pa_ds.HivePartitioning(pa.schema([(k, pa.string()) for k in keys]))
            dataset = pa_ds.dataset([str(f) for f in files], format="parquet", partitioning=partitioning,
                                    partition_base_dir=str(path))
            frame = dataset.to_table().to_pandas()
    except Exception as exc:  # pyarrow raises many types for damaged or mismatched files
        raise LogReadError(f"{path.name}: not a readable Parquet dataset ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from None
    frame = _reserve_names(frame.reset_index(drop=True))
    frame[SOURCE_LINE] = frame.index + 1
    return frame


def _read_json(path: Path) -> pd.DataFrame:
    """Read a JSON list of records, JSON lines, or an object holding lists of records.

    For an object, every value that is a list of records is read, in order; each row's
    ``record_list`` names its list when there are several, and ``source_line`` is the record's
    number within its list.
    """
    data = _json_data(path)
    parts = _record_lists(data, path.name)
    if not any(records for _, records in parts):
        raise LogReadError(f"{path.name}: the JSON holds no records")
    frames = []
    for key, records in parts:
        if not records:
            continue
        frame = _reserve_names(pd.DataFrame.from_records(records))
        frame[SOURCE_LINE] = frame.index + 1
        if len(parts) > 1:
            frame[RECORD_LIST] = key
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _json_data(path: Path) -> object:
    """The parsed JSON document, or the list of JSON-lines records."""
    text = _decode(path.read_bytes(), path.name)
    too_deep = f"{path.name}: the JSON is nested too deeply to be a log"
    try:
        return json.loads(text)
    except RecursionError:
        raise LogReadError(too_deep) from None
    except json.JSONDecodeError:
        pass
    # JSON lines: one record per line (split on "\n" only: U+2028 may sit inside a string).
    records = []
    for i, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except RecursionError:
            raise LogReadError(too_deep) from None
        except json.JSONDecodeError as exc:
            raise LogReadError(f"{path.name}: line {i} is not valid JSON ({exc.msg})") from None
    return records


def _record_lists(data: object, name: str) -> list[tuple[str | None, list[dict]]]:
    """(key, records) of every list of records in the document; refuses any other shape.

    A list is the records itself. In an object, scalar values (a version, an export date) are
    metadata; every list must be a list of records, or the shape is ambiguous and refused.
    """
    shape = f"{name}: expected a list of records (objects) in the JSON"
    if isinstance(data, list):
        if not all(isinstance(r, dict) for r in data):
            raise LogReadError(shape)
        return [(None, data)]
    if not isinstance(data, dict):
        raise LogReadError(shape)
    lists = [(str(k), v) for k, v in data.items() if isinstance(v, list)]
    if not lists:
        raise LogReadError(shape)
    odd = [k for k, v in lists if not all(isinstance(r, dict) for r in v)]
    if odd:
        shown = ", ".join(repr(k[:40]) for k in odd[:3])
        raise LogReadError(f"{shape}; the object's list {shown} holds other values than records "
                           "(an ambiguous shape: make every list a list of records)")
    return lists
