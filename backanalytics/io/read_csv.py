"""Read CSV / TSV text into a raw table of strings with exact source line numbers."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from backanalytics.columns import EXTRA_FIELDS, SOURCE_LINE
from backanalytics.io.common import (
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    LogReadError,
    ReadWarning,
    check_columns,
    reserve_names,
    unique_names,
)
from backanalytics.io.text import decode, sep_line, sniff_delimiter

#: CSV files at least this large are parsed by pyarrow first (see :func:`_read_csv_arrow`).
ARROW_MIN_BYTES = 1 << 20
#: Headers at least this wide are read that many columns at a time, all-empty columns sharing one array.
WIDE_COLUMNS = 1024
#: Largest field the csv module may read: the size of the text, at most a C long on every platform.
_MAX_FIELD = 2**31 - 1
_FIELD_LIMIT_LOCK = threading.RLock()
#: Bytes scanned at once when counting lines (bounds the temporary memory).
_SCAN_BYTES = 1 << 26


def read_csv_text(data: bytes, name: str = "<csv>") -> pd.DataFrame:
    """Parse CSV bytes into strings with exact source line numbers (see :func:`read_table`).

    Examples
    --------
    >>> read_csv_text(b"sep=;\\nclient_id;pain\\nc1;7,5\\n").to_dict("records")
    [{'client_id': 'c1', 'pain': '7,5', 'source_line': 3}]
    """
    return read_csv_with_warnings(data, name)[0]


def read_csv_with_warnings(data: bytes, name: str = "<csv>") -> tuple[pd.DataFrame, list[ReadWarning]]:
    """:func:`read_csv_text`, plus a warning for each line decoded in another encoding.

    Refuses (:class:`LogReadError`, before parsing) a line longer than
    :data:`~backanalytics.io.common.MAX_LINE_BYTES` and a header wider than
    :data:`~backanalytics.io.common.MAX_COLUMNS` (a longer row is kept, its extra cells in
    :data:`~backanalytics.columns.EXTRA_FIELDS`, and rejected by validation).
    """
    if len(data) >= ARROW_MIN_BYTES and not data[:8].lower().startswith((b"sep=", b"\xef\xbb\xbfsep=")):
        fast = _read_csv_arrow(data, name)
        if fast is not None:
            return fast, []
    _check_lines(data, name)
    decoded, warnings = decode(data, name)
    text, sep = sep_line(decoded.replace("\r\n", "\n").replace("\r", "\n"))
    offset = 0 if sep is None else 1  # the sep= line is line 1: the header is line 2
    if not text.strip():
        raise LogReadError(f"{name}: the file is empty")
    sep = sep or sniff_delimiter(text)
    _check_header(text.split("\n", 1)[0], sep, name)
    if _first_row_longer(text, sep):
        # pandas would turn the leading cells into an index, shifting every value (and building an
        # index as wide as the row): read it field by field instead.
        return _offset(_read_ragged(text, sep), offset), warnings
    if text.split("\n", 1)[0].count(sep) + 1 >= WIDE_COLUMNS:
        # pandas holds every cell of a wide table as a Python object (30-55 times the file): the
        # field-by-field reader keeps only filled cells (a missing cell of a short row reads as "").
        frame = _read_ragged(text, sep)
        if not frame[EXTRA_FIELDS].astype(bool).any():
            frame = frame.drop(columns=EXTRA_FIELDS)
        return _offset(frame, offset), warnings
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skip_blank_lines=True, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        if "Expected" not in str(exc):
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise LogReadError(f"{name}: not a readable CSV table ({detail})") from None
        frame = _read_ragged(text, sep)  # a row with more fields than the header
    else:
        frame = reserve_names(frame)
        newlines = text.count("\n") + (0 if text.endswith("\n") else 1)
        if newlines == len(frame) + 1:
            # One physical line per record (no quoted newlines, no blank lines): line = position + 2.
            frame[SOURCE_LINE] = pd.RangeIndex(2, len(frame) + 2)
        else:
            frame[SOURCE_LINE] = _record_lines(text, sep, len(frame))
    return _offset(frame, offset), warnings


def _offset(frame: pd.DataFrame, lines: int) -> pd.DataFrame:
    """``source_line`` moved down by ``lines`` (the lines above the header, such as ``sep=;``)."""
    if lines:
        frame[SOURCE_LINE] = frame[SOURCE_LINE] + lines
    return frame.reset_index(drop=True)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, one at a time (the csv module reads records spanning lines from them)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _first_row_longer(text: str, sep: str) -> bool:
    """True when the first data record has more fields than the header (read lazily: two records).

    Examples
    --------
    >>> _first_row_longer("a,b\\n1,2,3\\n", ","), _first_row_longer("a,b\\n1,2\\n1,2,3\\n", ",")
    (True, False)
    """
    with _field_limit(len(text)):
        records = (r for r in csv.reader(_lines(text), delimiter=sep) if not _blank(r))
        header, first = next(records, []), next(records, [])
    return len(first) > len(header)


def _check_header(header: str, sep: str, name: str) -> None:
    """Refuse a header wider than :data:`MAX_COLUMNS` (counted exactly only when it may be)."""
    if header.count(sep) < MAX_COLUMNS:
        return
    with _field_limit(len(header)):
        fields = next(csv.reader([header], delimiter=sep), [])
    check_columns(len(fields), name)


def _check_lines(data: bytes, name: str) -> None:
    """Refuse a physical line longer than :data:`MAX_LINE_BYTES` (no log line is that long)."""
    line, length = _longest_line(data)
    if length > MAX_LINE_BYTES:
        raise LogReadError(f"{name}: line {line:,} is {length / 2**20:.1f} MB long; a log line may be at most "
                           f"{MAX_LINE_BYTES // 2**20} MB: is this a log file?")


def _longest_line(data: bytes) -> tuple[int, int]:
    """(number, length in bytes) of the longest physical line (``\\n`` or ``\\r`` ends a line).

    Examples
    --------
    >>> _longest_line(b"a,b\\n1,2,3\\r\\nx")
    (2, 5)
    """
    view = np.frombuffer(data, dtype=np.uint8)
    best, best_line, last, lines_before = -1, 1, -1, 0
    for i in range(0, len(view), _SCAN_BYTES):
        chunk = view[i:i + _SCAN_BYTES]
        ends = np.flatnonzero((chunk == 10) | (chunk == 13)) + i
        if len(ends):
            gaps = np.diff(ends, prepend=last) - 1
            k = int(np.argmax(gaps))
            if gaps[k] > best:
                best, best_line = int(gaps[k]), lines_before + k + 1
            last = int(ends[-1])
        lines_before += len(ends)
    if len(view) - last - 1 > best:
        best, best_line = len(view) - last - 1, lines_before + 1
    return best_line, max(best, 0)


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


def _read_csv_arrow(data: bytes, name: str = "<csv>") -> pd.DataFrame | None:
    """The fast path for large, plain CSV files: pyarrow's multithreaded parser, every cell as text.

    Only taken when the result is certain to equal the pandas path: UTF-8 text, ``\\n`` or
    ``\\r\\n`` line ends, one physical line per record (so line = position + 2), a header of
    at least two names and rows as wide as the header. Returns None otherwise (the caller then
    reads with pandas and the csv module, which handle every irregular file).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # old Mac line ends: let the text path normalise them
    if data.endswith((b"\n\n", b"\n\r\n")):
        data = data.rstrip(b"\r\n")  # blank lines at the end hold no record and shift no line
    end = data.find(b"\n")
    if end > MAX_LINE_BYTES or (end < 0 and len(data) > MAX_LINE_BYTES):
        return None  # the careful path refuses it
    try:
        header = data[:end if end >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = header.rstrip("\r")
    sep = sniff_delimiter(header)
    _check_header(header, sep, name)
    with _field_limit(len(header)):
        fields = next(csv.reader([header], delimiter=sep), [])
    names = unique_names(fields)  # "Unnamed: 2", "date.1": as pandas names them...
    generated = {n for n, f in zip(names, fields, strict=True) if n != f}
    if len(fields) < 2 or generated & set(fields) or any(f.strip() == "" != f for f in fields):
        return None  # ...unless a new name is taken or pandas keeps a blank one: its names decide
    with ThreadPoolExecutor(max_workers=1) as pool:
        lines = pool.submit(_count_lines, data)  # alongside the parse: numpy releases the GIL
        try:
            columns = (_read_columns(data, names, sep, names) if len(names) < WIDE_COLUMNS
                       else _read_wide(data, names, sep))
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
            return None  # ragged rows, invalid UTF-8, quoted newlines...: the careful path decides
        if len(columns) != len(names) or any(c.type != pa.large_string() for c in columns):
            return None
        n_rows = len(columns[0])
        source_lines: pd.RangeIndex | np.ndarray = pd.RangeIndex(2, n_rows + 2)
        if lines.result() != n_rows + 1:
            if b'"' in data:
                return None  # records may span lines: exact line numbers need the csv pass
            source_lines = _filled_lines(data)[1:]  # no quotes: one record per line but blank ones
            if len(source_lines) != n_rows:
                return None
    text = pd.StringDtype(na_value=float("nan"))
    frame = reserve_names(pd.DataFrame({n: pd.array(c, dtype=text) for n, c in zip(names, columns, strict=True)}))
    frame[SOURCE_LINE] = source_lines
    return frame


def _filled_lines(data: bytes) -> np.ndarray:
    """Numbers (from 1) of the lines of ``data`` that are not empty (``\\r\\n`` ends a line too).

    Examples
    --------
    >>> _filled_lines(b"a,b\\n\\n1,2\\r\\n\\r\\n3,4").tolist()
    [1, 3, 5]
    """
    view = np.frombuffer(data, dtype=np.uint8)
    ends = np.concatenate([np.flatnonzero(view[i:i + _SCAN_BYTES] == 10) + i
                           for i in range(0, len(view), _SCAN_BYTES)] + [np.array([len(view)])])
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    ends_cr = np.zeros(len(ends), dtype=bool)
    ends_cr[lengths > 0] = view[ends[lengths > 0] - 1] == 13
    return np.flatnonzero(lengths - ends_cr > 0) + 1


def _read_columns(data: bytes, names: list[str], sep: str, columns: list[str],
                  threads: bool = True) -> list[pa.ChunkedArray]:
    """Columns ``columns`` of the CSV ``data`` (header ``names``), every cell as text."""
    table = pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads),
        parse_options=pa_csv.ParseOptions(delimiter=sep),
        convert_options=pa_csv.ConvertOptions(
            include_columns=columns, column_types=dict.fromkeys(columns, pa.large_string()),
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    if table.column_names != columns:
        raise ValueError("columns not read as asked")
    return table.columns


def _read_wide(data: bytes, names: list[str], sep: str) -> list[pa.ChunkedArray]:
    """The columns of a wide CSV, read :data:`WIDE_COLUMNS` at a time, all-empty ones as one array.

    Arrow's reader keeps about 9 kB per column and an offset per cell: a file of 16,384 mostly empty
    columns (a header pasted across a sheet, rows of commas) took 30 times its size. Read a window
    of columns at a time on one thread, every column whose cells are all empty shares one array of
    empty strings, so memory follows the cells that hold something. Every column and cell is kept.
    """
    empty: pa.ChunkedArray | None = None
    columns: list[pa.ChunkedArray] = []
    for start in range(0, len(names), WIDE_COLUMNS):
        for column in _read_columns(data, names, sep, names[start:start + WIDE_COLUMNS], threads=False):
            if all(_all_empty(chunk) for chunk in column.chunks):
                if empty is None or len(empty) != len(column):
                    empty = pa.chunked_array([_empty_strings(len(column))], type=pa.large_string())
                column = empty
            elif column.num_chunks > 1:  # one array per column, not one per block of the file
                column = pa.chunked_array([column.combine_chunks()])
            columns.append(column)
    return columns


def _all_empty(column: pa.Array) -> bool:
    """True when an Arrow text array certainly holds only empty strings (no character data)."""
    data = column.buffers()[2]
    return column.null_count == 0 and (data is None or data.size == 0)


def _empty_strings(n: int) -> pa.Array:
    """``n`` empty strings (large_string), built without a Python object per cell.

    Examples
    --------
    >>> _empty_strings(3).to_pylist()
    ['', '', '']
    """
    offsets = pa.py_buffer(np.zeros(n + 1, dtype=np.int64))
    return pa.Array.from_buffers(pa.large_string(), n, [None, offsets, pa.py_buffer(b"")])


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
    ignored. Only the cells that hold something are kept as they are read (every all-empty column
    shares one array), so memory follows the filled cells, not the width of the rows.

    Examples
    --------
    >>> _read_ragged("a,b,c\\n1,,\\n2,,,x\\n", ",").to_dict("list")
    {'a': ['1', '2'], 'b': ['', ''], 'c': ['', ''], '_extra_fields': ['', 'x'], 'source_line': [2, 3]}
    """
    names: list[str] = []
    filled: dict[int, tuple[list[int], list[str]]] = {}
    extra, lines = [], []
    start, header = 1, True
    with _field_limit(len(text)):
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        for record in reader:
            if not _blank(record):
                if header:
                    names, header = unique_names(record), False
                else:
                    for j in itertools.compress(range(min(len(names), len(record))), record):
                        rows, cells = filled.setdefault(j, ([], []))
                        rows.append(len(lines))
                        cells.append(record[j])
                    rest = record[len(names):]
                    extra.append(sep.join(rest) if "".join(rest).strip() else "")
                    lines.append(start)
            start = reader.line_num + 1
    text_type, n = pd.StringDtype(na_value=float("nan")), len(lines)
    empty = pa.chunked_array([_empty_strings(n)])
    columns = {}
    for j, name in enumerate(names):
        if j in filled:
            column = np.full(n, "", dtype=object)
            column[filled[j][0]] = filled[j][1]
            columns[name] = pd.array(column, dtype=text_type)
        else:
            columns[name] = pd.array(empty, dtype=text_type)
    frame = reserve_names(pd.DataFrame(columns, index=pd.RangeIndex(n)))
    frame[EXTRA_FIELDS] = extra
    frame[SOURCE_LINE] = np.asarray(lines, dtype=np.int64)  # int64 also when there is no row
    return frame
