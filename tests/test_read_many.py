"""Several inputs at once: a folder of log files, or a list of paths, read as one raw table."""

import json
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics.cli import app
from backanalytics.io import LogReadError, read_table, read_table_with_warnings

ANA = "client_id,date,stretch,pain\nana,2026-01-05,Cobra,5\nana,2026-01-06,Cobra,4\n"          # 2 rows
BEN = "client_id\tdate\tstretch\tnotes\nben\t2026-01-05\tCat-Cow\tfine\n"                        # 1 row, notes


def _workbook(path: Path) -> None:
    """3 rows: carla twice, one of them with pain 11 (rejected), dev once."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client_id", "date", "stretch", "pain"])
    sheet.append(["carla", "2026-01-05", "Bridge Pose", 3])
    sheet.append(["carla", "2026-01-06", "Bridge Pose", 11])
    sheet.append(["dev", "2026-01-06", "Cobra", 2])
    book.save(path)


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A therapist's folder: CSV, TSV, Excel and JSON logs, a sub-folder, a PDF and a broken file."""
    folder = tmp_path / "clinic"
    (folder / "old").mkdir(parents=True)
    (folder / "ana.csv").write_text(ANA)
    (folder / "ben.tsv").write_text(BEN)
    _workbook(folder / "carla.xlsx")
    (folder / "old" / "emma.json").write_text(json.dumps([{"client_id": "emma", "date": "2026-01-07",
                                                           "stretch": "Cobra"}]))
    (folder / "letter.pdf").write_bytes(b"%PDF-1.4 \x00\x01\x02")
    (folder / "broken.csv").write_bytes(bytes(range(256)) * 40)
    return folder


def test_a_folder_reads_every_log_file_in_name_order(clinic):
    raw, _ = read_table_with_warnings(clinic)
    # ana.csv (2), ben.tsv (1), broken.csv (skipped), carla.xlsx (3), old/emma.json (1): 7 rows
    assert raw["source_file"].tolist() == ["ana.csv"] * 2 + ["ben.tsv"] + ["carla.xlsx"] * 3 + ["old/emma.json"]
    assert raw["client_id"].tolist() == ["ana", "ana", "ben", "carla", "carla", "dev", "emma"]
    # each file's own line numbers: CSV/TSV lines and sheet rows from 2, the JSON record number
    assert raw["source_line"].tolist() == [2, 3, 2, 2, 3, 4, 1]


def test_columns_differing_between_files_are_united_and_empty_where_missing(clinic):
    raw = read_table(clinic)
    assert {"client_id", "date", "stretch", "pain", "notes"} <= set(raw.columns)
    assert raw["notes"].tolist()[2] == "fine"
    assert raw["notes"].isna().sum() == 6          # every other file has no notes column
    assert raw["pain"].isna().tolist() == [False, False, True, False, False, False, True]


def test_files_that_are_no_log_or_unreadable_are_skipped_with_a_warning_naming_them(clinic):
    _, warnings = read_table_with_warnings(clinic)
    by_file = {value: text for column, value, text in warnings if column == "file"}
    assert set(by_file) == {"letter.pdf", "broken.csv"}
    assert "not a log format (.pdf)" in by_file["letter.pdf"]
    assert "binary" in by_file["broken.csv"]


def test_validating_a_folder_conserves_rows_per_file_and_in_total(clinic):
    report = ba.validate(clinic, today="2026-12-31")
    assert report.rows_read == 7
    assert len(report.valid) + len(report.rejected) == 7
    # the only bad row: carla.xlsx's row 3 (pain 11)
    assert report.rejected[["source_file", "source_line"]].values.tolist() == [["carla.xlsx", 3]]
    valid_per_file = report.valid.groupby(report.valid["client_id"]).size().to_dict()
    assert valid_per_file == {"ana": 2, "ben": 1, "carla": 1, "dev": 1, "emma": 1}
    skipped = report.warnings[report.warnings["column"] == "file"]["value"].tolist()
    assert sorted(skipped) == ["broken.csv", "letter.pdf"]


def test_a_list_of_paths_names_each_row_by_the_path_as_given(tmp_path):
    (tmp_path / "a.csv").write_text(ANA)
    (tmp_path / "b.tsv").write_text(BEN)
    given = [str(tmp_path / "b.tsv"), tmp_path / "a.csv"]
    raw = read_table(given)
    assert raw["source_file"].tolist() == [str(tmp_path / "b.tsv")] + [str(tmp_path / "a.csv")] * 2
    assert raw["client_id"].tolist() == ["ben", "ana", "ana"]


def test_a_list_of_one_path_is_that_file(tmp_path):
    (tmp_path / "a.csv").write_text(ANA)
    raw = read_table([tmp_path / "a.csv"])
    assert "source_file" not in raw and raw["source_line"].tolist() == [2, 3]


def test_an_input_column_named_source_file_is_kept_as_input(tmp_path):
    (tmp_path / "a.csv").write_text("client_id,date,source_file\nana,2026-01-05,mine.csv\n")
    (tmp_path / "b.csv").write_text(ANA)
    raw = read_table(tmp_path)
    assert raw["source_file"].tolist() == ["a.csv", "b.csv", "b.csv"]
    assert raw["source_file (input)"].tolist()[0] == "mine.csv"


def test_a_folder_without_any_readable_log_is_an_error(tmp_path):
    (tmp_path / "garbage.csv").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(LogReadError, match="no readable log file") as info:
        read_table(tmp_path)
    assert "garbage.csv" in str(info.value) and "\n" not in str(info.value)


def test_the_command_line_validates_a_folder(clinic):
    result = CliRunner().invoke(app, ["validate", str(clinic)])
    assert result.exit_code == 1, result.output          # one rejected row
    assert "Traceback" not in result.output
    assert result.output.startswith("clinic: 7 rows read, 6 valid, 1 rejected")
    assert "  letter.pdf: file skipped: not a log format (.pdf)" in result.output


def test_a_parquet_folder_stays_a_dataset_and_other_files_beside_it_are_named(tmp_path):
    pd.DataFrame({"client_id": ["ana"], "date": ["2026-01-05"], "stretch": ["Cobra"]}).to_parquet(
        tmp_path / "part-0.parquet")
    (tmp_path / "notes.csv").write_text(ANA)
    raw, warnings = read_table_with_warnings(tmp_path)
    assert raw["client_id"].tolist() == ["ana"] and "source_file" not in raw
    assert [(c, v) for c, v, _ in warnings] == [("file", "notes.csv")]


FORMATS = ["csv", "tsv", "json", "xlsx", "garbage"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FORMATS), st.integers(0, 4), st.booleans()), min_size=1, max_size=5))
def test_a_folder_conserves_every_files_rows(files):
    """Each file's rows (its first with a pain of 11 when ``bad``) are read once, under its own name;
    garbage and record-less files are skipped by name."""
    header = ["client_id", "date", "stretch", "pain"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        expected: dict[str, int] = {}
        skipped: set[str] = set()
        rejected = 0
        for i, (kind, n, bad) in enumerate(files):
            rows = [[f"c{i}", f"2026-01-{d + 1:02d}", "Cobra", "11" if bad and d == 0 else "3"] for d in range(n)]
            name = f"f{i}.{'csv' if kind == 'garbage' else kind}"
            if kind in ("csv", "tsv"):
                sep = "," if kind == "csv" else "\t"
                (folder / name).write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n")
            elif kind == "json":
                (folder / name).write_text(json.dumps([dict(zip(header, r, strict=True)) for r in rows]))
            elif kind == "xlsx":
                book = openpyxl.Workbook()
                for r in [header, *rows]:
                    book.active.append(r)
                book.save(folder / name)
            else:
                (folder / name).write_bytes(bytes(range(256)) * 8)
            if kind == "garbage" or (kind == "json" and n == 0):    # binary; "[]" holds no records
                skipped.add(name)
            else:
                expected[name] = n
                rejected += bad and n > 0
        if not expected:
            with pytest.raises(LogReadError):
                read_table_with_warnings(folder)
            return
        raw, warnings = read_table_with_warnings(folder)
        got = raw["source_file"].value_counts().to_dict() if len(raw) else {}
        assert got == {k: v for k, v in expected.items() if v}
        assert {v for c, v, _ in warnings if c == "file"} == skipped
        if len(raw):
            report = ba.validate(folder, today="2026-12-31")
            assert len(report.valid) + len(report.rejected) == report.rows_read == sum(expected.values())
            assert len(report.rejected) == rejected
