"""Hevy importer: stretching sets, localised start times, kg and lb exports, multi-line notes.

Expected values on the real exports were read off the files by hand (rows quoted in comments);
see ../shared/realworld/hevy/*/SOURCE.txt.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from backanalytics import validate
from backanalytics.importers.hevy import import_hevy
from backanalytics.importers.months import month_names, parse_local_datetime
from backanalytics.importers.workouts import NOT_A_STRETCH
from tests.conftest import REALWORLD, needs_realworld

HEVY = REALWORLD / "hevy"
KG = HEVY / "imnotjoeyramone-kg-stretching-yoga" / "workout_data.csv"
PT = HEVY / "biaazv-ptbr-localized" / "workout_data.csv"
HEADER = ('"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes",'
          '"set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"')


def table(result) -> list[tuple]:
    log = result.log
    return [(d.strftime("%Y-%m-%d"), t, s, None if math.isnan(h) else h, None if pd.isna(r) else int(r))
            for d, t, s, h, r in zip(log["date"], log["time"], log["stretch"], log["hold_s"], log["reps"],
                                     strict=True)]


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "workout_data.csv"
    path.write_text(header + "\n" + "\n".join(rows), encoding="utf-8")
    return path


def row(start: str, exercise: str, *, reps: str = "", seconds: str = "", notes: str = "",
        set_type: str = "normal", title: str = "Mobility") -> str:
    return f'"{title}","{start}","{start}","","{exercise}",,"{notes}",0,"{set_type}",,{reps},,{seconds},'


# ------------------------------------------------------------------------- real exports


@needs_realworld("hevy")
def test_metric_export_keeps_stretching_yoga_and_glute_bridges() -> None:
    result = import_hevy(KG)
    assert table(result) == [
        ("2022-03-31", "16:47:00", "Yoga", 600.0, 1),          # line 155: "Yoga" 600 s
        ("2022-03-31", "16:47:00", "Bridge Pose", None, 10),   # line 156: "Glute Bridge" 10 reps
        ("2024-10-27", "12:35:00", "Bridge Pose", None, 60),   # lines 86-88: 3 x 20 reps
        ("2024-10-27", "12:35:00", "Yoga", 600.0, 1),          # line 92
        ("2025-01-12", "12:12:00", "Stretching", 300.0, 1),    # line 71
        ("2025-03-18", "16:59:00", "Stretching", 300.0, 1),    # line 49
        ("2025-03-28", "17:47:00", "Stretching", 300.0, 1),    # line 48
    ]
    assert validate(result.log).ok


@needs_realworld("hevy")
def test_metric_export_lists_plank_and_the_other_exercises_once() -> None:
    result = import_hevy(KG)
    records = dict(zip(result.skipped["record"], result.skipped["reason"], strict=True))
    # Plank, 30 s holds: lines 193-195 (19 Mar 2022), 219-220 (9 Jan 2022), 243 (13 Nov 2021).
    assert records["Plank (6 sets in 3 workouts)"] == NOT_A_STRETCH
    # 65 exercise titles in 13 workouts; Stretching, Yoga and Glute Bridge are imported.
    assert len(records) == 62
    assert result.counts["workouts"] == 13


@needs_realworld("hevy")
def test_portuguese_export_has_no_stretching_and_every_month_name_reads() -> None:
    result = import_hevy(PT)
    assert result.log.empty and len(result.skipped) == 34  # 34 exercise titles, none a stretch
    with open(PT, newline="", encoding="utf-8") as fh:
        titles = {r["exercise_title"] for r in csv.DictReader(fh)}
    every = import_hevy(PT, mapping=dict.fromkeys(titles, "Anything"))
    starts = sorted(set(zip(every.log["date"].dt.strftime("%Y-%m-%d"), every.log["time"], strict=True)))
    # The 16 start_time values of the file, "11 Out 2023, 07:25" ... "5 Mai 2026, 07:34".
    assert starts == [
        ("2023-08-07", "18:16:00"), ("2023-10-11", "07:25:00"), ("2023-10-19", "20:31:00"),
        ("2023-11-29", "06:11:00"), ("2024-10-28", "07:08:00"), ("2024-12-29", "10:45:00"),
        ("2025-06-30", "19:08:00"), ("2025-07-22", "20:24:00"), ("2025-08-30", "10:11:00"),
        ("2025-09-07", "11:41:00"), ("2026-01-31", "09:41:00"), ("2026-02-25", "06:26:00"),
        ("2026-03-31", "09:54:00"), ("2026-04-28", "10:22:00"), ("2026-05-02", "10:48:00"),
        ("2026-05-05", "07:34:00")]


@needs_realworld("hevy")
def test_portuguese_notes_and_a_602_s_ride_via_map() -> None:
    result = import_hevy(PT, mapping={"Bicicleta": "Bike", "Abdominal Na Máquina": "Crunch"})
    bike = result.log[result.log["stretch"] == "Bike"]
    # lines 245 and 244: "Bicicleta" 602 s (over 600: kept in notes) and 407 s.
    assert bike["hold_s"].isna().tolist() == [True, False] and bike["hold_s"].iloc[1] == 407.0
    assert bike["notes"].iloc[0] == "1 set(s) over 600 s: 602 s (10.0 min); hold_s left empty"
    crunch_notes = set(result.log.loc[result.log["stretch"] == "Crunch", "notes"].dropna())
    # The note holds a backslash and an "n" as written in the file, not a line break.
    assert crunch_notes == {r"Banco posicao 4 \nJa estou com preguica"}


# ------------------------------------------------------------------------- made-up edge cases


@pytest.mark.parametrize(("text", "expected"), [
    ("8 Apr 2026, 16:50", datetime(2026, 4, 8, 16, 50)),
    ("02 Jul 2025, 17:56", datetime(2025, 7, 2, 17, 56)),
    ("Jul 28, 2026, 6:49 PM", datetime(2026, 7, 28, 18, 49)),
    ("Jul 28, 2026, 12:05 AM", datetime(2026, 7, 28, 0, 5)),
    ("5 Mai 2026, 07:34", datetime(2026, 5, 5, 7, 34)),                   # Portuguese
    ("7 Ago 2023, 18:16", datetime(2023, 8, 7, 18, 16)),
    ("29 Dez 2024, 10:45", datetime(2024, 12, 29, 10, 45)),
    ("5 de may. de 2026, 7:34 p. m.", datetime(2026, 5, 5, 19, 34)),      # Spanish
    ("3 ene 2026, 09:00", datetime(2026, 1, 3, 9, 0)),
    ("5 févr. 2026, 07:34", datetime(2026, 2, 5, 7, 34)),                 # French
    ("14 août 2025, 21:10", datetime(2025, 8, 14, 21, 10)),
    ("5. März 2026, 07:34", datetime(2026, 3, 5, 7, 34)),                 # German
    ("1 Okt. 2025, 06:00", datetime(2025, 10, 1, 6, 0)),
    ("5 mag 2026, 07:34", datetime(2026, 5, 5, 7, 34)),                   # Italian
    ("12 ott 2025, 18:00", datetime(2025, 10, 12, 18, 0)),
])
def test_start_time_in_six_languages(text: str, expected: datetime) -> None:
    assert parse_local_datetime(text) == expected


def test_no_month_name_means_two_months_across_the_languages() -> None:
    exact, _ = month_names()  # raises when two languages disagree on a name
    assert exact["mai"] == 5 and exact["set"] == 9 and exact["dez"] == 12 and exact["ago"] == 8


def test_another_language_stops_the_import_with_line_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, row("8 Apr 2026, 16:50", "Yoga", seconds="300"),
                 row("8 kwi 2026, 16:50", "Yoga", seconds="300"))  # Polish
    with pytest.raises(ValueError, match=r"^workout_data.csv:3: start_time '8 kwi 2026, 16:50': 'kwi' is not a "
                                         r"month name in English, Portuguese, Spanish, French, German or Italian"):
        import_hevy(path)


def test_pound_export_with_a_quoted_note_over_lines_and_bom(tmp_path: Path) -> None:
    header = HEADER.replace("weight_kg", "weight_lbs").replace("distance_km", "distance_miles")
    text = header + "\r\n" + "\r\n".join([
        row("Jul 28, 2026, 6:49 PM", "Cat Cow", reps="10", notes="slow,\r\nbreathe", title="Back"),
        row("Jul 28, 2026, 6:49 PM", "Cat Cow", reps="10", set_type="warmup", title="Back"),
        '"Back","Jul 28, 2026, 6:49 PM","Jul 28, 2026, 7:10 PM","","Deadlift (Barbell)",,"",0,"normal",225,5,,,',
    ]) + "\r\n"
    path = tmp_path / "workout_data.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = import_hevy(path)
    assert table(result) == [("2026-07-28", "18:49:00", "Cat-Cow", None, 20)]
    assert result.log["notes"].tolist() == ["slow,\nbreathe"]
    assert result.skipped["record"].tolist() == ["Deadlift (Barbell) (1 set in 1 workout)"]


def test_a_900_s_yoga_set_and_two_workouts_on_one_day(tmp_path: Path) -> None:
    path = write(tmp_path, row("8 Apr 2026, 07:00", "Yoga", seconds="900"),
                 row("8 Apr 2026, 18:30", "Child's Pose", seconds="40"),
                 row("8 Apr 2026, 18:30", "Child's Pose", seconds="20"))
    result = import_hevy(path)
    assert table(result) == [("2026-04-08", "07:00:00", "Yoga", None, 1),
                             ("2026-04-08", "18:30:00", "Child's Pose", 30.0, 2)]
    assert result.log["notes"].iloc[0] == "1 set(s) over 600 s: 900 s (15.0 min); hold_s left empty"
    assert validate(result.log).ok


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, '"Yoga","8 Apr 2026"', header='"title","start_time"')
    with pytest.raises(ValueError, match=r"^not a Hevy workout export: its header lacks exercise_title, reps, "
                                         r"duration_seconds"):
        import_hevy(path)
