"""Read log files (CSV, Excel, Parquet, JSON) into a raw table, each row tagged with its source line.

Nothing here interprets values: cells come back as text (or as the file's own types for Parquet
and JSON) so that validation can name the exact value it rejects. A file that cannot be read at
all raises :class:`LogReadError` with a one-line message.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from backanalytics.columns import SOURCE_LINE

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | JSON_SUFFIXES
#: CSV files at least this large are parsed by pyarrow first (see :func:`_read_csv_arrow`).
ARROW_MIN_BYTES = 1 << 20


#: Raw column holding the cells of a CSV row beyond its header (the row is then rejected).
EXTRA_FIELDS = "_extra_fields"


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
    names = next(csv.reader([header], delimiter=sep), [])
    if len(names) < 2 or len(set(names)) != len(names) or any(not n.strip() for n in names):
        return None  # pandas would rename these ("Unnamed: 2", "date.1"): keep its names
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            parse_options=pa_csv.ParseOptions(delimiter=sep),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None  # ragged rows, invalid UTF-8, quoted newlines...: the careful path decides
    if table.column_names != names or any(t != pa.string() for t in table.schema.types):
        return None
    newlines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if newlines != table.num_rows + 1:
        return None  # blank lines or records spanning lines: exact line numbers need the csv pass
    text = pd.StringDtype(na_value=float("nan"))
    frame = pd.DataFrame({n: pd.array(table.column(n), dtype=text) for n in names})
    frame[SOURCE_LINE] = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _record_lines(text: str, sep: str, n_rows: int) -> list[int]:
    """Starting line number of every data record, honouring quoted newlines and blank lines."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    lines: list[int] = []
    start = 1
    for i, record in enumerate(reader):
        if i > 0 and not _blank(record):
            lines.append(start)
        start = reader.line_num + 1
    if len(lines) != n_rows:
        # The two parsers disagree (malformed quoting); fall back to positions, never drop rows.
        return list(range(2, n_rows + 2))
    return lines


def _blank(record: list[str]) -> bool:
    """A line pandas skips: empty or only spaces (``,,`` and ``""`` are rows of empty cells)."""
    return not record or (len(record) == 1 and record[0] != "" and not record[0].strip())


def _read_ragged(text: str, sep: str) -> pd.DataFrame:
    """Read a CSV whose rows have more fields than its header, keeping every row.

    Cells beyond the header go, joined, into :data:`EXTRA_FIELDS` so validation can reject the
    row (an unquoted delimiter in a note shifts every later value); trailing empty cells are
    ignored.
    """
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header: list[str] = []
    for record in reader:
        if not _blank(record):
            header = record
            break
    names = _unique_names(header)
    width = len(names)
    rows, extra, lines = [], [], []
    start = reader.line_num + 1
    for record in reader:
        if not _blank(record):
            rows.append((record + [""] * width)[:width])
            extra.append(sep.join(record[width:]) if any(c.strip() for c in record[width:]) else "")
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=names, dtype=object).astype(str)
    frame[EXTRA_FIELDS] = extra
    frame[SOURCE_LINE] = lines
    return frame


def _unique_names(header: list[str]) -> list[str]:
    """Header names made unique the way pandas does it (``date``, ``date.1``, ...)."""
    names: list[str] = []
    taken: set[str] = set()
    for i, raw in enumerate(header):
        base = raw if raw.strip() else f"Unnamed: {i}"
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        taken.add(name)
        names.append(name)
    return names


def _read_excel(path: Path) -> pd.DataFrame:
    _check_zip_size(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl / xlrd raise many types (zip, XML, KeyError) for a damaged file
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise LogReadError(f"{path.name}: not a readable Excel workbook ({detail})") from None
    if not sheets:
        raise LogReadError(f"{path.name}: the workbook has no sheets")
    from backanalytics.columns import ALIASES, CLIENT_ID, normalise_header

    def has_client(frame: pd.DataFrame) -> bool:
        return any(ALIASES.get(normalise_header(c)) == CLIENT_ID for c in frame.columns)

    usable = [(n, f) for n, f in sheets.items() if has_client(f)]
    if not usable:
        usable = [next(iter(sheets.items()))]
    frames = []
    for sheet, frame in usable:
        if len(usable) > 1:
            # Align headers across sheets ("patient" on one, "client_id" on another) so that
            # concatenating them does not split a column in two.
            renames: dict[object, str] = {}
            for c in frame.columns:
                target = ALIASES.get(normalise_header(c))
                if target and target not in frame.columns and target not in renames.values():
                    renames[c] = target
            frame = frame.rename(columns=renames)
        frame = frame.dropna(how="all").copy()
        frame[SOURCE_LINE] = frame.index + 2  # row 1 is the header
        if len(usable) > 1:
            frame["sheet"] = sheet
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


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
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise LogReadError(f"{path.name}: not a readable Parquet file ({type(exc).__name__})") from None
    frame = frame.reset_index(drop=True)
    frame[SOURCE_LINE] = frame.index + 1
    return frame


def _read_json(path: Path) -> pd.DataFrame:
    text = _decode(path.read_bytes(), path.name)
    too_deep = f"{path.name}: the JSON is nested too deeply to be a log"
    try:
        data = json.loads(text)
    except RecursionError:
        raise LogReadError(too_deep) from None
    except json.JSONDecodeError:
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
