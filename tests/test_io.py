"""Reading files: formats, encodings, delimiters and exact line numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from backanalytics import LogReadError, read_table, validate

HEADER = "client_id,date,stretch,pain,notes\n"


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_line_numbers_count_quoted_newlines_and_blank_lines(tmp_path):
    text = HEADER + 'c1,2026-01-05,cobra,3,"two\nlines"\n\nc1,2026-01-06,cobra,11,x\n'
    report = validate(write(tmp_path, "log.csv", text), today="2026-11-20")
    assert report.failures["source_line"].tolist() == [5]
    assert report.valid.loc[0, "notes"] == "two\nlines"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings(tmp_path, encoding):
    text = "client_id,date,stretch,notes\nJosé,2026-01-05,cobra,día\n"
    path = write(tmp_path, "log.csv", text.encode(encoding))
    valid = validate(path, today="2026-11-20").valid
    assert valid.loc[0, "client_id"] == "José"


def test_semicolon_delimiter_with_decimal_comma_and_crlf(tmp_path):
    text = "client_id;date;stretch;pain\r\nc1;2026-01-05;cobra;7,5\r\n"
    valid = validate(write(tmp_path, "log.csv", text), today="2026-11-20").valid
    assert valid.loc[0, "pain"] == 7.5


def test_excel_parquet_and_json_read_the_same_rows(tmp_path):
    frame = pd.DataFrame({"client_id": ["c1", "c2"], "date": ["2026-01-05", "2026-01-06"],
                          "stretch": ["cobra", "bridge"], "pain": [3.0, 11.0]})
    frame.to_excel(tmp_path / "log.xlsx", index=False)
    frame.to_parquet(tmp_path / "log.parquet")
    frame.to_json(tmp_path / "log.json", orient="records")
    for name, line in [("log.xlsx", 3), ("log.parquet", 2), ("log.json", 2)]:
        report = validate(tmp_path / name, today="2026-11-20")
        assert len(report.valid) == 1, name
        assert report.failures["source_line"].tolist() == [line], name


@pytest.mark.parametrize(("name", "data", "message"), [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "empty"),
    ("log.docx", b"x", "unknown format"),
    ("garbage.csv", bytes(range(256)) * 4, "binary"),
    ("bad.parquet", b"PAR1 truncated", "not a readable Parquet"),
])
def test_unusable_inputs_raise_one_line_errors(tmp_path, name, data, message):
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(LogReadError, match=message) as info:
        read_table(path)
    assert "\n" not in str(info.value)


def test_a_line_of_unicode_whitespace_is_a_row_and_keeps_later_line_numbers(tmp_path):
    # pandas skips lines of spaces and tabs only; a line holding U+0085 or a no-break space is
    # a row (rejected: no client), and the rows after it keep their own line numbers
    text = HEADER + 'c1,2026-01-05,cobra,5,"two\nlines"\n\x85\n\xa0\nc1,2026-01-06,cobra,11,\n   \n'
    report = validate(write(tmp_path, "log.csv", text), today="2026-11-20")
    assert report.rows_read == 4 and len(report.valid) == 1
    assert sorted(set(report.failures["source_line"])) == [4, 5, 6]
    assert report.failures.loc[report.failures["column"] == "pain", "source_line"].tolist() == [6]


def test_read_table_keeps_a_column_named_like_the_line_numbers(tmp_path):
    raw = read_table(write(tmp_path, "log.csv", "client_id,date,source_line\nc1,2026-01-05,x\n"))
    assert raw.columns.tolist() == ["client_id", "date", "source_line (input)", "source_line"]
    assert raw.loc[0, "source_line"] == 2
