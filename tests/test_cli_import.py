"""`backanalytics import` end to end: every importer, --map, --client, --skipped and the exit codes.

Exit codes: 0 every imported row is valid (or nothing to import), 1 some imported rows were
rejected by validation, 2 the export is unusable. OUT.csv must itself pass `backanalytics validate`.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from backanalytics.cli import app
from backanalytics.columns import CANONICAL
from backanalytics.importers.loop import import_loop
from tests.conftest import REALWORLD, needs_realworld

runner = CliRunner()

LOOP = REALWORLD / "loop-habit-tracker"
APPLE = REALWORLD / "apple-health"
APPLE_SAMPLES = [APPLE / "tdda-export-v3-2016" / "export6s3sample.xml",
                 APPLE / "dogsheep-export-2019" / "export.xml",
                 APPLE / "grll-export-v14-2025" / "export.xml"]
MHV = REALWORLD / "fhir" / "mhv-pghd-pain-observations"
LOOP_MAP = ["--map", "Wake up early=Cat-Cow;Cobra", "--map", "Meditate=Supine Twist"]
#: The same mapping as the library takes it.
LOOP_MAPPING = {"Wake up early": ["Cat-Cow", "Cobra"], "Meditate": "Supine Twist"}
DB_MAP = ["--map", "Wake up early=Cat-Cow;Cobra", "--map", "Vegan=Cobra"]
DB_MAPPING = {"Wake up early": ["Cat-Cow", "Cobra"], "Vegan": "Cobra"}


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def validates(path: Path) -> bool:
    """`backanalytics validate` accepts the file with every row valid."""
    result = invoke("validate", path)
    return result.exit_code == 0 and " 0 rejected" in result.output


def pain_observation(ident: str, day: str, value: float = 4) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": ident, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
            "subject": {"reference": "Patient/42"}, "effectiveDateTime": day,
            "valueQuantity": {"value": value, "unit": "{score}"}}


def write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return path


# ------------------------------------------------------------------------ FHIR: exit codes


def test_rows_rejected_by_validation_are_listed_kept_out_and_exit_1(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "three.ndjson", [pain_observation("old", "1985-01-01"),
                                                   pain_observation("ok", "2024-01-01"),
                                                   pain_observation("future", "2099-01-01")])
    out, skipped = tmp_path / "out.csv", tmp_path / "skipped.csv"
    result = invoke("import", "fhir", src, "-o", out, "--skipped", skipped)
    assert result.exit_code == 1, result.output
    assert "1 valid, 2 rejected" in result.output
    assert "rejected three.ndjson:1 Observation/old: date '1985-01-01': date must not be before 1990-01-01" \
        in result.output
    assert "rejected three.ndjson:3 Observation/future: date '2099-01-01': date must not be in the future" \
        in result.output
    assert "wrote 1 rows" in result.output and "2 rejected rows left out" in result.output
    assert pd.read_csv(out)["date"].tolist() == ["2024-01-01"]
    assert validates(out)
    table = pd.read_csv(skipped)
    assert table["record"].tolist() == ["Observation/old", "Observation/future"]
    assert table["reason"].str.startswith("rejected by validation: date").all()


@needs_realworld("fhir", "mhv-pghd-pain-observations")
def test_importer_skips_alone_exit_0_and_go_to_skipped(tmp_path: Path) -> None:
    # The three invalid MHV examples are skipped by the importer, not rejected by validation.
    out, skipped = tmp_path / "pain.csv", tmp_path / "skipped.csv"
    result = invoke("import", "fhir", MHV, "-o", out, "--skipped", skipped)
    assert result.exit_code == 0, result.output
    assert "14 valid, 0 rejected" in result.output and "rejected Observation" not in result.output
    assert len(pd.read_csv(out)) == 14 and validates(out)
    assert len(pd.read_csv(skipped)) == 3


def test_client_option_names_every_row_and_an_invalid_id_is_rejected(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "pain.ndjson", [pain_observation("a", "2024-01-01", 4.5),
                                                  pain_observation("b", "2024-01-02", 6)])
    out = tmp_path / "anna.csv"
    assert invoke("import", "fhir", src, "--client", "anna", "-o", out).exit_code == 0
    log = pd.read_csv(out)
    assert log["client_id"].tolist() == ["anna", "anna"] and log["pain"].tolist() == [4.5, 6.0]
    assert validates(out)
    result = invoke("import", "fhir", src, "--client", "x" * 65, "-o", out)
    assert result.exit_code == 1
    assert result.output.count("client_id must be 1 to 64 characters") == 2
    assert pd.read_csv(out).empty and list(pd.read_csv(out).columns) == CANONICAL


def test_gzip_bomb_exits_2_with_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.ndjson.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        for _ in range(64):
            handle.write(b"\0" * (1 << 20))
    result = invoke("import", "fhir", bomb, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: bomb.ndjson.gz: ") and "gzip bomb" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["loop", "missing.zip"], "no such file or folder"),
    (["loop", "notes.txt"], "not a Loop export"),
    (["apple-health", "notes.txt"], "not well-formed XML"),
    (["fhir", "notes.txt", "--map", "Stretch=Cobra"], "--map is only for the loop, strong, hevy, bearable importers"),
])
def test_unusable_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    args = [str(tmp_path / a) if a.endswith((".zip", ".txt")) else a for a in args]
    result = invoke("import", *args, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()


# ---------------------------------------------------------------------------------- Loop


@needs_realworld("loop-habit-tracker")
@pytest.mark.parametrize(("fixture", "args", "mapping"), [
    ("csv-v2.3.1-fixture", LOOP_MAP, LOOP_MAPPING),
    ("csv-v2.3.0-legacy-fixture", LOOP_MAP, LOOP_MAPPING),
    ("sqlite-backup/loop.db", DB_MAP, DB_MAPPING),
])
def test_loop_with_map_writes_a_valid_log(tmp_path: Path, fixture: str, args: list[str],
                                          mapping: dict[str, Any]) -> None:
    src = LOOP / fixture
    out = tmp_path / "loop.csv"
    result = invoke("import", "loop", src, *args, "--client", "ann", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    expected = import_loop(src, mapping, client_id="ann").log
    log = pd.read_csv(out)
    assert len(log) == len(expected) > 0
    assert log["date"].tolist() == expected["date"].dt.strftime("%Y-%m-%d").tolist()
    assert log["stretch"].fillna("-").tolist() == expected["stretch"].fillna("-").tolist()
    assert set(log["client_id"]) == {"ann"}
    assert validates(out)


@needs_realworld("loop-habit-tracker")
def test_loop_mapping_that_names_no_habit_is_one_plain_warning_line(tmp_path: Path) -> None:
    result = invoke("import", "loop", LOOP / "csv-v2.3.1-fixture", *LOOP_MAP, "--map", "Yoga=Cobra",
                    "-o", tmp_path / "loop.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == "warning: mapping names no habit in this Loop export: ['Yoga']\n"


@needs_realworld("loop-habit-tracker")
def test_loop_without_map_imports_nothing_and_writes_header_only(tmp_path: Path) -> None:
    out = tmp_path / "loop.csv"
    result = invoke("import", "loop", LOOP / "csv-v2.3.1-fixture", "-o", out)
    assert result.exit_code == 0, result.output
    assert "habit not mapped to a stretch" in result.output and "header only" in result.output
    assert list(pd.read_csv(out).columns) == CANONICAL


# -------------------------------------------------------------------------- Apple Health


@needs_realworld("apple-health")
@pytest.mark.parametrize("sample", APPLE_SAMPLES, ids=[p.parent.name for p in APPLE_SAMPLES])
def test_apple_health_without_stretching_writes_a_header_only_csv(tmp_path: Path, sample: Path) -> None:
    out, skipped = tmp_path / "health.csv", tmp_path / "skipped.csv"
    result = invoke("import", "apple-health", sample, "-o", out, "--skipped", skipped)
    assert result.exit_code == 0, result.output
    assert "nothing to import" in result.output
    assert f"wrote 0 rows to {out} (header only: nothing to import)" in result.output
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(CANONICAL)]
    assert pd.read_csv(skipped)["reason"].str.contains("non-stretching type").all()


FLEXIBILITY_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_US">
 <ExportDate value="2024-06-02 10:00:00 +0200"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeFlexibility" duration="8" durationUnit="min"
  sourceName="Watch" startDate="2024-06-01 07:30:00 +0200" endDate="2024-06-01 07:38:00 +0200"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min"
  sourceName="Watch" startDate="2024-06-01 18:00:00 +0200" endDate="2024-06-01 18:30:00 +0200"/>
</HealthData>
"""


@pytest.mark.parametrize("as_zip", [False, True])
def test_apple_health_flexibility_workout_becomes_a_valid_session(tmp_path: Path, as_zip: bool) -> None:
    xml = tmp_path / "apple_health_export" / "export.xml"
    xml.parent.mkdir()
    xml.write_text(FLEXIBILITY_EXPORT, encoding="utf-8")
    src = xml
    if as_zip:
        src = tmp_path / "export.zip"
        with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(xml, "apple_health_export/export.xml")
    out = tmp_path / "anna.csv"
    result = invoke("import", "apple-health", src, "--client", "anna", "-o", out)
    assert result.exit_code == 0, result.output
    assert "skipped Workout HKWorkoutActivityTypeRunning: 1 workout(s) of a non-stretching type" in result.output
    log = pd.read_csv(out)
    assert log[["client_id", "date", "time", "stretch", "hold_s"]].values.tolist() == [
        ["anna", "2024-06-01", "07:30:00", "Flexibility workout", 480.0]]
    assert validates(out)


def test_import_result_examples_run() -> None:
    import doctest

    from backanalytics import importers

    result = doctest.testmod(importers)
    assert result.attempted > 0 and result.failed == 0
