"""`backanalytics import strong|hevy|bearable`: summary, --map, --symptom, --skipped and exit codes 0 / 1 / 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from backanalytics.cli import app
from backanalytics.columns import CANONICAL
from tests.conftest import REALWORLD, needs_realworld

runner = CliRunner()
STRONG = REALWORLD / "strong" / "andrew50-comma12-2020-2026" / "aj_strong_data.csv"
HEVY = REALWORLD / "hevy" / "imnotjoeyramone-kg-stretching-yoga" / "workout_data.csv"
BEARABLE = REALWORLD / "bearable" / "pawprint-2021-10-27" / "bearable-export-27-10-2021.csv"
HEVY_HEADER = ('"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes",'
               '"set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"')


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def validates(path: Path) -> bool:
    result = invoke("validate", path)
    return result.exit_code == 0 and " 0 rejected" in result.output


@needs_realworld("strong")
def test_strong_export_writes_a_valid_log_and_lists_other_exercises(tmp_path: Path) -> None:
    out, skipped = tmp_path / "strong.csv", tmp_path / "skipped.csv"
    result = invoke("import", "strong", STRONG, "--client", "aj", "-o", out, "--skipped", skipped)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported 11 rows from 10 Strong workouts (comma export, 12 columns)")
    assert "skipped Cable Twist (13 sets in 4 workouts): not a stretch (include it with --map)" in result.output
    log = pd.read_csv(out)
    assert len(log) == 11 and set(log["client_id"]) == {"aj"} and list(log.columns) == CANONICAL
    assert validates(out)
    assert len(pd.read_csv(skipped)) == 35  # 34 other exercises and the rest-timer rows


@needs_realworld("strong")
def test_strong_map_includes_and_excludes(tmp_path: Path) -> None:
    out = tmp_path / "strong.csv"
    result = invoke("import", "strong", STRONG, "--map", "Roll=Foam roll", "--map", "Stretching=", "-o", out)
    assert result.exit_code == 0, result.output
    stretches = pd.read_csv(out)["stretch"].tolist()
    assert "Foam roll" in stretches and "Stretching" not in stretches
    assert "skipped Stretching (5 sets in 5 workouts): excluded by the mapping" in result.output


@needs_realworld("hevy")
def test_hevy_export_imports_seven_rows(tmp_path: Path) -> None:
    out = tmp_path / "hevy.csv"
    result = invoke("import", "hevy", HEVY, "-o", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["stretch"].tolist() == ["Yoga", "Bridge Pose", "Bridge Pose", "Yoga", "Stretching",
                                                     "Stretching", "Stretching"]
    assert validates(out)


def test_hevy_rows_that_fail_validation_are_rejected_with_exit_1(tmp_path: Path) -> None:
    src = tmp_path / "workout_data.csv"
    rows = [f'"Legs","8 Apr 2026, 16:50","8 Apr 2026, 17:30","","Glute Bridge",,"",{i},"normal",40,40,,,'
            for i in range(3)] + ['"Legs","8 Apr 2026, 16:50","8 Apr 2026, 17:30","","Yoga",,"",0,"normal",,,,300,']
    src.write_text(HEVY_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out, skipped = tmp_path / "out.csv", tmp_path / "skipped.csv"
    result = invoke("import", "hevy", src, "-o", out, "--skipped", skipped)
    assert result.exit_code == 1, result.output
    # 3 x 40 repetitions = 120, over the log's 100.
    assert "rejected workout_data.csv:2 Legs 8 Apr 2026, 16:50 Glute Bridge: reps '120'" in result.output
    assert pd.read_csv(out)["stretch"].tolist() == ["Yoga"]
    assert pd.read_csv(skipped)["reason"].str.startswith("rejected by validation: reps").sum() == 1


@needs_realworld("bearable")
def test_bearable_says_scores_were_converted_and_symptom_adds_neck_pain(tmp_path: Path) -> None:
    out = tmp_path / "pain.csv"
    result = invoke("import", "bearable", BEARABLE, "--symptom", "Neck pain", "-o", out)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("imported 15 rows (14 pain scores from 14 back-pain ratings, 1 stretching sessions); "
                            "pain converted from Bearable severity 1-4 to the 0-10 scale")
    assert "skipped Mood: 37 records" in result.output
    assert pd.read_csv(out)["pain"].count() == 14
    assert validates(out)


def test_bearable_without_back_pain_writes_a_header_only_log(tmp_path: Path) -> None:
    src = tmp_path / "bearable.csv"
    src.write_text('date,weekday,time of day,category,rating/amount,detail,notes\n'
                   '"2nd Mar 2024","Saturday","am","Symptom","2","Headache (Moderate)",""\n', encoding="utf-8")
    out = tmp_path / "pain.csv"
    result = invoke("import", "bearable", src, "-o", out)
    assert result.exit_code == 0, result.output
    assert "nothing to import" in result.output
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(CANONICAL)]


@pytest.mark.parametrize(("args", "message"), [
    (["strong", "layout.csv"], "layout.csv: not a Strong export: its header lacks Exercise Name, Set Order, Seconds"),
    (["strong", "layout.csv", "--symptom", "Neck pain"], "--symptom is only for the Bearable importer"),
    (["hevy", "layout.csv"], "layout.csv: not a Hevy workout export: its header lacks title, start_time"),
    (["bearable", "layout.csv"], "layout.csv: not a Bearable export: its header lacks time of day"),
    (["strong", "folder"], "folder is a folder; give the Strong CSV export file"),
])
def test_unusable_exports_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "layout.csv").write_text("Date,Exercise,Reps\n2024-05-01 07:00:00,Cat Cow,8\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    args = [str(tmp_path / a) if a in ("layout.csv", "folder") else a for a in args]
    result = invoke("import", *args, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("kind", ["strong", "hevy", "bearable"])
def test_garbage_bytes_exit_2_in_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(bytes(range(256)) * 8)
    result = invoke("import", kind, path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: export.csv: not UTF-8 text (byte 128)")
    assert len(result.stderr.strip().splitlines()) == 1
