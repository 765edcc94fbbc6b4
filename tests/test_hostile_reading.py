"""Hostile inputs at the reading step: column floods, long lines, huge JSON records, Parquet folder
keys that contradict their files, mixed encodings, NUL bytes in notes, Excel's sep= line and
Parquet files with two columns of one name."""

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics.cli import app
from backanalytics.io import MAX_COLUMNS, LogReadError, read_table, read_table_with_warnings
from tests.test_hostile_inputs import time_limit


def _refused(path: Path, expected: str) -> str:
    """The one-line LogReadError of ``validate``, and exit code 2 with that line from the CLI."""
    with time_limit():
        with pytest.raises(LogReadError) as info:
            ba.validate(path)
    message = str(info.value)
    assert "\n" not in message and path.name in message and expected in message, message
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    return message


# ------------------------------------------------------------------ floods (issue 22, item 2)

def test_the_column_limit_is_excels_own():
    assert MAX_COLUMNS == 16_384


def test_a_megabyte_of_commas_is_refused_at_once(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("," * 2**20)                    # one header line of 1,048,577 empty names
    message = _refused(path, "16,384")
    assert "1,048,577 columns" in message


def test_a_header_of_a_million_empty_names_and_one_row_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("," * 2**20 + "\n" + "a," * 2**20 + "\n")   # over 1 MB: the Arrow path first
    _refused(path, "16,384")


def test_a_header_just_over_the_limit_is_refused_and_one_at_the_limit_loads(tmp_path):
    over = tmp_path / "over.csv"
    over.write_text("client_id,date," + ",".join(f"x{i}" for i in range(MAX_COLUMNS - 1)) + "\nana,2026-01-05\n")
    _refused(over, "16,385 columns")
    at = tmp_path / "at.csv"
    at.write_text("client_id,date," + ",".join(f"x{i}" for i in range(MAX_COLUMNS - 2)) + "\nana,2026-01-05\n")
    assert read_table(at).shape == (1, MAX_COLUMNS + 1)          # + source_line


def test_a_quoted_header_name_full_of_commas_is_one_column(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('client_id,date,"' + "," * 20_000 + '"\nana,2026-01-05,x\n')
    assert read_table(path).shape == (1, 4)


def test_a_line_over_eight_megabytes_is_refused_naming_it(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("client_id,date,notes\nana,2026-01-05,ok\nana,2026-01-06," + "x" * (9 * 2**20) + "\n")
    message = _refused(path, "line 3 is 9.0 MB long")
    assert "8 MB" in message


def test_rows_of_only_delimiters_are_rows_with_extra_fields(tmp_path):
    # 2,000 rows of 1,000 commas under a 3-column header: each row is read (and rejected for its
    # extra fields and missing client), none dropped, the extra cells kept as one text each.
    path = tmp_path / "delims.csv"
    path.write_text("client_id,date,pain\n" + ("," * 1000 + "\n") * 2000)
    with time_limit():
        report = ba.validate(path)
    assert report.rows_read == 2000 and len(report.rejected) == 2000 and report.valid.empty


def test_a_json_record_with_more_keys_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "wide.json"
    record = {"client_id": "ana", "date": "2026-01-05"} | {f"k{i}": 1 for i in range(20_000)}
    path.write_text(json.dumps([record]))
    _refused(path, "20,002 columns")


def test_json_records_whose_keys_together_exceed_the_limit_are_refused(tmp_path):
    path = tmp_path / "spread.jsonl"
    path.write_text("".join(json.dumps({"client_id": "ana", "date": "2026-01-05", f"k{i}": 1}) + "\n"
                            for i in range(17_000)))
    _refused(path, "the records together")


def test_a_json_log_over_the_size_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    from backanalytics.io import read_json

    monkeypatch.setattr(read_json, "MAX_JSON_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"client_id": "ana", "date": "2026-01-05", "notes": "x" * 200}]))
    _refused(path, "save a large log as CSV or Parquet")


# ------------------------------------------------------------------ Parquet folder keys (item 4)

def test_a_folder_key_contradicting_the_files_own_column_leaves_the_file_out(tmp_path):
    ds = tmp_path / "ds"
    (ds / "client_id=bob").mkdir(parents=True)
    (ds / "client_id=cy").mkdir(parents=True)
    pq.write_table(pa.table({"client_id": ["alice"], "date": ["2026-01-05"], "stretch": ["Cobra"]}),
                   ds / "client_id=bob" / "a.parquet")
    pq.write_table(pa.table({"client_id": ["cy", None], "date": ["2026-01-05", "2026-01-06"],
                             "stretch": ["Cobra", "Cobra"]}), ds / "client_id=cy" / "b.parquet")
    raw, warnings = read_table_with_warnings(ds)
    assert raw["client_id"].tolist() == ["cy", "cy"]            # an empty cell takes its folder's key
    assert len(warnings) == 1
    column, value, text = warnings[0]
    assert (column, value) == ("file", "client_id=bob/a.parquet")
    assert "client_id='bob'" in text and "client_id='alice'" in text and "1 rows not read" in text


def test_a_dataset_whose_every_file_contradicts_its_keys_is_refused(tmp_path):
    ds = tmp_path / "ds"
    (ds / "client_id=bob").mkdir(parents=True)
    pq.write_table(pa.table({"client_id": ["alice"], "date": ["2026-01-05"]}), ds / "client_id=bob" / "a.parquet")
    _refused(ds, "contradicts its folder keys")


# ------------------------------------------------------------------ encodings (item 5)

def test_a_cp1252_line_in_a_utf8_file_is_decoded_alone_and_named(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("client_id,date,stretch\nJosé,2026-01-05,Cobra\n".encode()
                     + "José,2026-01-06,Cobra\n".encode("cp1252")
                     + "Zoë,2026-01-07,Cobra\n".encode())
    raw, warnings = read_table_with_warnings(path)
    assert raw["client_id"].tolist() == ["José", "José", "Zoë"]      # one José, not "JosÃ©" and "José"
    assert [(c, v) for c, v, _ in warnings] == [("encoding", "line 3")]
    assert "Windows-1252" in warnings[0][2] and "José,2026-01-06,Cobra" in warnings[0][2]
    report = ba.validate(path, today="2026-12-31")
    assert report.valid["client_id"].nunique() == 2
    assert report.warnings["column"].tolist().count("encoding") == 1


def test_a_file_all_in_cp1252_is_read_without_a_warning(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("client_id,date\nJosé,2026-01-05\nRenée,2026-01-06\n".encode("cp1252"))
    raw, warnings = read_table_with_warnings(path)
    assert raw["client_id"].tolist() == ["José", "Renée"] and warnings == []


# ------------------------------------------------------------------ smaller (item 12)

def test_a_nul_inside_a_quoted_note_is_read_wherever_it_sits(tmp_path):
    rows = "".join(f"ana,2026-01-{d:02d},Cobra,fine\n" for d in range(1, 29))
    for name, body in [("early.csv", 'ana,2026-01-29,Cobra,"a\x00b"\n' + rows),
                       ("late.csv", rows + 'ana,2026-01-29,Cobra,"a\x00b"\n')]:
        path = tmp_path / name
        path.write_text("client_id,date,stretch,notes\n" + body)
        assert len(read_table(path)) == 29, name


def test_binary_garbage_is_still_binary(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 20)
    _refused(path, "binary")


def test_excels_sep_line_names_the_delimiter(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"sep=;\r\nclient_id;date;pain\r\nana;2026-01-05;7,5\r\nana;2026-01-06;4\r\n")
    raw = read_table(path)
    assert raw[["client_id", "pain", "source_line"]].values.tolist() == [["ana", "7,5", 3], ["ana", "4", 4]]
    report = ba.validate(path, today="2026-12-31")
    assert report.ok and report.valid["pain"].tolist() == [7.5, 4.0]


def test_a_parquet_file_with_two_columns_of_one_name_is_read_like_a_csv(tmp_path):
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays(
        [pa.array(["ana", "ana"]), pa.array(["2026-01-05", "2026-01-06"]), pa.array([5.0, 4.0]),
         pa.array([5.0, 9.0])], names=["client_id", "date", "pain", "pain"]), path)
    raw = read_table(path)
    assert raw.columns.tolist() == ["client_id", "date", "pain", "pain.1", "source_line"]
    report = ba.validate(path, today="2026-12-31")
    # like a header written twice in a CSV: merged where they agree, the row rejected where not
    assert report.valid["pain"].tolist() == [5.0] and report.rejected["source_line"].tolist() == [2]


def test_a_damaged_parquet_file_says_why(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    message = _refused(path, "not a readable Parquet file")
    assert ": " in message.split("(", 1)[1]            # the reason, not only the exception's type


def test_an_empty_dataframe_source_still_works():
    # the list / folder reader must not change what a DataFrame source means
    report = ba.validate(pd.DataFrame({"client_id": ["ana"], "date": ["2026-01-05"], "stretch": ["Cobra"]}),
                         today="2026-12-31")
    assert report.ok and "source_file" not in report.valid
