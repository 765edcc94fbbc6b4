"""The command line: exit codes 0 / 1 / 2 and one-line messages, never a traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from backanalytics.cli import app
from tests.conftest import REALWORLD, needs_realworld

runner = CliRunner()


def test_validate_sample_exits_0(sample_path):
    result = runner.invoke(app, ["validate", str(sample_path)])
    assert result.exit_code == 0, result.output
    assert "0 rejected" in result.output


def test_validate_with_rejected_rows_exits_1_and_writes_them(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("client_id,date,stretch,pain\nc1,2026-01-05,cobra,3\nc1,2026-01-06,cobra,12\n")
    out = tmp_path / "bad.csv"
    result = runner.invoke(app, ["validate", str(log), "--rejected", str(out)])
    assert result.exit_code == 1
    assert "line 3: pain '12': pain must be between 0 and 10" in result.output
    assert "problems" in out.read_text()


def test_validate_missing_file_exits_2_with_one_line(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert "Traceback" not in result.output


def test_validate_missing_required_column_exits_2(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("client_id,day_of\nc1,2026-01-05\n")
    result = runner.invoke(app, ["validate", str(log)])
    assert result.exit_code == 2
    assert "missing required column date" in result.output


def test_sample_command_writes_a_valid_log(tmp_path):
    out = tmp_path / "s.csv"
    result = runner.invoke(app, ["sample", str(out), "--clients", "3", "--days", "21"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_summary_prints_consistency_for_every_client(sample_path):
    result = runner.invoke(app, ["summary", str(sample_path)])
    assert result.exit_code == 0, result.output
    for cid in ["anna", "dev", "hugo"]:
        assert cid in result.output
    assert "adherence" in result.output


def test_summary_csv_for_one_client_with_prescription(sample_path):
    result = runner.invoke(app, ["summary", str(sample_path), "--client", "emma", "--prescription", "2",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("client_id,days,active_days,adherence")
    assert len(lines) == 2 and lines[1].startswith("emma,") and ",weeks," in lines[1]


def test_summary_unknown_client_and_bad_prescription_exit_2(sample_path):
    assert runner.invoke(app, ["summary", str(sample_path), "--client", "nobody"]).exit_code == 2
    assert runner.invoke(app, ["summary", str(sample_path), "--prescription", "often"]).exit_code == 2


@needs_realworld("fhir", "synthea-bulk-ndjson")
def test_import_fhir_writes_a_valid_canonical_log(tmp_path):
    out = tmp_path / "pain.csv"
    result = runner.invoke(app, ["import", "fhir", str(REALWORLD / "fhir" / "synthea-bulk-ndjson"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "imported 2 rows" in result.output and "non-pain Observation" in result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_import_unknown_kind_and_bad_map_exit_2(tmp_path):
    assert runner.invoke(app, ["import", "fitbit", str(tmp_path)]).exit_code == 2
    result = runner.invoke(app, ["import", "loop", str(tmp_path), "--map", "no-equals-sign"])
    assert result.exit_code == 2 and "HABIT=STRETCH" in result.output
