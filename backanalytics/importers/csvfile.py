"""Reading an app's CSV export: text, delimiter, header and records with their line numbers.

Shared by the Strong, Hevy and Bearable importers. Exports come with or without a UTF-8 BOM,
with LF or CRLF line endings, comma- or semicolon-delimited, and with quoted fields that span
lines (Hevy's notes); a record is reported by the line it starts on, as an editor shows it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Largest CSV export read (a real Strong export of 24,000 sets is 2 MB).
MAX_CSV_BYTES = 200 * 1024 * 1024


@dataclass
class CsvExport:
    """A CSV export: its file name, delimiter, header (as written) and records.

    ``records`` holds (line number the record starts on, fields) for every non-blank record
    after the header.
    """

    name: str
    delimiter: str
    header: list[str]
    records: list[tuple[int, list[str]]]

    def column(self, key: str) -> int | None:
        """Position of the column whose :func:`header_key` is ``key``, else None."""
        keys = [header_key(h) for h in self.header]
        return keys.index(key) if key in keys else None


def header_key(name: str) -> str:
    """A header cell as a comparison key: no BOM or quotes, case-folded, single spaces.

    Examples
    --------
    >>> header_key('\\ufeff"Workout #" ')
    'workout #'
    >>> header_key("Exercise  Name")
    'exercise name'
    """
    text = unicodedata.normalize("NFC", name).replace("\ufeff", "").strip().strip('"').strip()
    return " ".join(text.casefold().split())


def read_csv_export(src: str | os.PathLike[str], what: str) -> CsvExport:
    """Read ``src`` as a CSV export of ``what`` (an app name, for messages).

    The delimiter is the one of ``,`` ``;`` and tab that splits the header line into the most
    fields. Raises ``ValueError`` (one line) for a missing, empty, too large or non-UTF-8 file,
    or malformed CSV (with its line).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = path.write_bytes(b'\\xef\\xbb\\xbf"a";"b"\\r\\n1;"two\\r\\nlines"\\r\\n\\r\\n3;4\\r\\n')
    >>> export = read_csv_export(path, "Strong")
    >>> export.delimiter, export.header, export.records
    (';', ['a', 'b'], [(2, ['1', 'two\\nlines']), (5, ['3', '4'])])
    """
    path = Path(src)
    if path.is_dir():
        raise ValueError(f"{path.name} is a folder; give the {what} CSV export file")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ValueError(f"{path.name}: larger than {MAX_CSV_BYTES // 2**20} MB; not a {what} CSV export")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name}: not UTF-8 text (byte {exc.start}); export it again from {what}") from None
    if "\x00" in text:
        raise ValueError(f"{path.name}: binary data, not a {what} CSV export")
    # Quoted fields may hold CR LF; csv turns them into LF only with newline="" and this swap.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = next((line for line in text.split("\n") if line.strip()), "")
    if not first:
        raise ValueError(f"{path.name}: empty file, not a {what} CSV export")
    delimiter = max([",", ";", "\t"], key=lambda d: len(next(csv.reader([first], delimiter=d))))
    records = list(_records(text, delimiter, path.name))
    if not records:
        raise ValueError(f"{path.name}: empty file, not a {what} CSV export")
    (_, header), rows = records[0], records[1:]
    return CsvExport(path.name, delimiter, header, [(n, r) for n, r in rows if any(c.strip() for c in r)])


def _records(text: str, delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for fields in reader:
            if fields:
                yield line, fields
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValueError(f"{name}: line {line}: malformed CSV ({exc})") from None


def missing_columns(export: CsvExport, required: Sequence[str]) -> list[str]:
    """The ``required`` header keys the export does not have, in the order given.

    Examples
    --------
    >>> export = CsvExport("x.csv", ",", ["Date", " Reps"], [])
    >>> missing_columns(export, ["date", "exercise name", "reps"])
    ['exercise name']
    """
    keys = {header_key(h) for h in export.header}
    return [key for key in required if key not in keys]


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def number(text: str) -> float | None:
    """A CSV cell as a number: empty is None; a decimal comma is read as a point.

    Raises ``ValueError`` for anything else (the caller says where).

    Examples
    --------
    >>> number("8.0"), number("102,5"), number(" "), number("0")
    (8.0, 102.5, None, 0.0)
    """
    cell = text.strip()
    if not cell:
        return None
    if not _NUMBER.match(cell):
        raise ValueError(f"{cell!r} is not a number")
    return float(cell.replace(",", "."))
