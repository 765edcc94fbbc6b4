"""Parquet in and out: dataset folders (bucketed by client, or any Hive layout) and Parquet exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics.cli import app
from backanalytics.io import LogReadError
from backanalytics.report.content import compute_metrics
from backanalytics.report.export import export_tables, write_exports
from backanalytics.scale import write_partitioned

runner = CliRunner()


def test_a_bucketed_dataset_folder_validates_to_the_same_log(sample_path, sample_log, tmp_path):
    root = write_partitioned(sample_log, tmp_path / "clinic", buckets=4)
    report = ba.validate(root)
    assert report.ok and report.rows_read == len(sample_log) and report.source == "clinic"
    pd.testing.assert_frame_equal(report.valid, sample_log, check_exact=True)


def test_any_hive_partitioned_folder_is_read_with_its_keys_as_columns(sample_log, tmp_path):
    raw = pd.read_csv(Path("data/sample_logs.csv"), dtype=str)
    raw["clinic"] = raw["client_id"].map(lambda c: "north" if c < "f" else "south")
    pq.write_to_dataset(pa.Table.from_pandas(raw, preserve_index=False), tmp_path / "ds", partition_cols=["clinic"])
    assert sorted(p.name for p in (tmp_path / "ds").iterdir()) == ["clinic=north", "clinic=south"]
    report = ba.validate(tmp_path / "ds")
    assert report.ok and report.rows_read == len(raw)
    assert "clinic" in " ".join(report.warnings["column"].astype(str))  # not canonical: ignored, said so
    key = ["client_id", "date", "time", "stretch", "side"]
    got = report.valid.sort_values(key, kind="stable").reset_index(drop=True)
    want = sample_log.sort_values(key, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_folder_keys_are_text_and_other_files_are_left_out(tmp_path):
    # client_id=007/ is client "007" (pyarrow would guess the integer 7 and merge it with "7");
    # a README beside the data is not part of the dataset.
    raw = pd.DataFrame({"client_id": ["007", "007", "7", "010"], "date": ["2026-01-01", "2026-01-02"] * 2,
                        "stretch": "Cat-Cow", "pain": ["3", "4", "5", "6"]})
    pq.write_to_dataset(pa.Table.from_pandas(raw, preserve_index=False), tmp_path / "ds",
                        partition_cols=["client_id"])
    (tmp_path / "ds" / "README.txt").write_text("exported from the clinic system")
    report = ba.validate(tmp_path / "ds")
    assert report.ok and report.rows_read == 4
    assert sorted(report.valid["client_id"]) == ["007", "007", "010", "7"]
    assert report.valid.groupby("client_id")["pain"].sum().to_dict() == {"007": 7.0, "010": 6.0, "7": 5.0}


def test_folders_that_are_not_datasets_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LogReadError, match="folder without log files"):
        ba.validate(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "part-0.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(LogReadError, match="not a readable Parquet dataset"):
        ba.validate(tmp_path / "broken")


def test_parquet_exports_hold_the_exact_typed_values(sample_log, tmp_path):
    log = sample_log.copy()
    log["notes"] = log["notes"].astype(object)
    log.loc[log.index[0], "notes"] = "=HYPERLINK(\"http://x\")"
    metrics = compute_metrics(log)
    paths = write_exports(metrics, tmp_path, ("parquet",))
    tables = export_tables(metrics)
    assert sorted(p.name for p in paths) == sorted(f"metrics_{name}.parquet" for name in tables)
    for name, table in tables.items():
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"metrics_{name}.parquet"), table,
                                      check_exact=True)


def test_cli_writes_a_dataset_then_reads_it_back(sample_path, tmp_path):
    out = tmp_path / "clinic"
    result = runner.invoke(app, ["validate", str(sample_path), "--valid", str(out), "--buckets", "4"])
    assert result.exit_code == 0, result.output
    assert "Parquet dataset, 4 client buckets" in result.output and (out / "_buckets").read_text() == "4"
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 0 and "2277 rows read, 2277 valid" in result.output, result.output
    again = runner.invoke(app, ["validate", str(sample_path), "--valid", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_cli_valid_rows_as_one_parquet_file_or_csv(sample_path, sample_log, tmp_path):
    for name in ["log.parquet", "log.csv"]:
        result = runner.invoke(app, ["validate", str(sample_path), "--valid", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        pd.testing.assert_frame_equal(ba.validate(tmp_path / name).valid, sample_log, check_exact=True)
    result = runner.invoke(app, ["validate", str(sample_path), "--valid", str(tmp_path / "log.txt")])
    assert result.exit_code == 2 and "use a .csv or .parquet file, or a folder" in result.output


def test_cli_report_from_a_dataset_with_parquet_and_csv_exports(sample_log, tmp_path):
    root = write_partitioned(sample_log, tmp_path / "clinic", buckets=4)
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", str(root), "--client", "anna", "--format", "html",
                                 "--export", "csv,parquet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    clients = pd.read_parquet(out / "metrics_clients.parquet")
    assert (out / "metrics_clients.csv").exists() and not (out / "metrics.xlsx").exists()
    everyone = export_tables(compute_metrics(sample_log))["clients"]
    pd.testing.assert_frame_equal(clients, everyone[everyone["client_id"] == "anna"].reset_index(drop=True),
                                  check_exact=True)


@pytest.mark.parametrize("value", ["parquet,pdf", "json", ""])
def test_cli_unknown_export_kinds_exit_2(sample_path, tmp_path, value):
    result = runner.invoke(app, ["report", str(sample_path), "--client", "anna", "--export", value,
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--export must be csv, xlsx, parquet" in result.output


def test_cli_never_writes_over_the_input_or_the_other_output(sample_path, tmp_path):
    log = tmp_path / "log.csv"
    log.write_bytes(sample_path.read_bytes())
    for args, said in [(["--valid", str(log)], "--valid"), (["--rejected", str(log)], "--rejected"),
                       (["--rejected", str(tmp_path / "x.parquet"), "--valid", str(tmp_path / "x.parquet")],
                        "--valid")]:
        result = runner.invoke(app, ["validate", str(log), *args])
        assert result.exit_code == 2 and f"{said} " in result.output and "nothing was written" in result.output
    assert log.read_bytes() == sample_path.read_bytes() and not (tmp_path / "x.parquet").exists()
