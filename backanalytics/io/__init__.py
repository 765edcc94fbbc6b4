"""Read log files (CSV, Excel, Parquet, JSON), folders and lists of them into a raw table.

Each row is tagged with its source line (and, for several files, its file). Nothing here
interprets values: cells come back as text (or as the file's own types for Parquet, JSON and
Excel) so that validation can name the exact value it rejects. An input that cannot be read at
all raises :class:`LogReadError` with a one-line message.

One module per format (``read_csv``, ``read_excel``, ``read_parquet``, ``read_json``), the
decoding of text in ``text``, the limits in ``common`` and folders and lists in ``read_many``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from backanalytics.columns import EXTRA_FIELDS, RECORD_LIST, SHEET, SOURCE_LINE
from backanalytics.io.common import MAX_COLUMNS, MAX_JSON_BYTES, MAX_LINE_BYTES, LogReadError, ReadWarning
from backanalytics.io.read_csv import read_csv_text
from backanalytics.io.read_many import SUFFIXES, Source, read_source

__all__ = ["EXTRA_FIELDS", "MAX_COLUMNS", "MAX_JSON_BYTES", "MAX_LINE_BYTES", "RECORD_LIST", "SHEET",
           "SOURCE_LINE", "SUFFIXES", "LogReadError", "read_csv_text", "read_table", "read_table_with_warnings"]


def read_table(source: Source, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a log file (or a folder, or a list of files) into a raw DataFrame with ``source_line``.

    ``source_line`` is the file's own line number for CSV (header = line 1, quoted newlines
    counted), the sheet row for Excel, and the 1-based record number for Parquet and JSON.
    An input column named like one the reader adds (:data:`backanalytics.columns.RESERVED`)
    is renamed ``"<name> (input)"``.

    Parameters
    ----------
    source
        Path to a ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xls``, ``.parquet`` or ``.json``/``.jsonl``;
        a folder of such files, read in name order (a folder holding only Parquet files is a
        Parquet dataset, e.g. Hive-partitioned by client bucket, as
        :func:`backanalytics.scale.write_partitioned` writes); or a list of paths. With several
        files, each row's ``source_file`` names its file.
    mapping
        Extra header mapping (input name -> canonical name), used to find the header row of an
        Excel sheet; see :func:`backanalytics.validate`.

    Raises
    ------
    LogReadError
        When the input is missing, empty, of an unknown format or unreadable, or over a limit
        (:data:`MAX_COLUMNS` columns, :data:`MAX_LINE_BYTES` per line, :data:`MAX_JSON_BYTES`
        of JSON).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = p.write_text("client_id,date,stretch\\nc1,2026-01-05,Cat-Cow\\n")
    >>> read_table(p)[["client_id", "source_line"]].to_dict("records")
    [{'client_id': 'c1', 'source_line': 2}]
    """
    return read_table_with_warnings(source, mapping)[0]


def read_table_with_warnings(source: Source, mapping: Mapping[str, str] | None = None
                             ) -> tuple[pd.DataFrame, list[ReadWarning]]:
    """:func:`read_table`, plus a (column, value, warning) for each part of the input read specially.

    Warnings name an Excel sheet left out (``("sheet", name, ...)``: a "read me" or chart sheet),
    a file of a folder or list left out (``("file", name, why)``: another format, unreadable, or
    contradicting its Parquet folder key), and a line not in the file's encoding
    (``("encoding", "line 12", ...)``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ana.csv").write_text("client_id,date\\nana,2026-01-05\\n")
    >>> _ = (folder / "ben.csv").write_text("client_id,date,pain\\nben,2026-01-06,4\\n")
    >>> _ = (folder / "notes.docx").write_bytes(b"PK")
    >>> raw, warnings = read_table_with_warnings(folder)
    >>> raw[["client_id", "pain", "source_file", "source_line"]].fillna("").to_dict("list")
    {'client_id': ['ana', 'ben'], 'pain': ['', '4'], 'source_file': ['ana.csv', 'ben.csv'], 'source_line': [2, 2]}
    >>> warnings[0][:2]
    ('file', 'notes.docx')
    """
    if isinstance(source, (str, Path)) and not Path(source).exists():
        raise LogReadError(f"{Path(source)}: no such file")
    return read_source(source, mapping)
