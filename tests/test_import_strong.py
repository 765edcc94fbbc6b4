"""Strong importer: every layout from its header, set tags and rest timers, one row per (workout, exercise).

Expected values on the real exports were read off the files by hand (the rows are quoted in the
comments); see ../shared/realworld/strong/*/SOURCE.txt for what each file is.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from backanalytics import validate
from backanalytics.importers.strong import LAYOUTS, import_strong
from backanalytics.importers.workouts import NOT_A_STRETCH
from tests.conftest import REALWORLD, needs_realworld

STRONG = REALWORLD / "strong"
COMMA12 = STRONG / "andrew50-comma12-2020-2026" / "aj_strong_data.csv"
WORKOUT_NO = STRONG / "cmccorkle21-workoutnum-semicolon13-2020-2025" / "strong_workouts.csv"
HEADER12 = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE"


def write(tmp_path: Path, text: str, name: str = "strong.csv", *, bom: bool = False, crlf: bool = False) -> Path:
    data = text.replace("\n", "\r\n") if crlf else text
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


def comma12(*rows: str) -> str:
    return HEADER12 + "\n" + "".join(r + "\n" for r in rows)


def table(result) -> list[tuple]:
    log = result.log
    return [(d.strftime("%Y-%m-%d"), t, s, None if math.isnan(h) else h, None if pd.isna(r) else int(r))
            for d, t, s, h, r in zip(log["date"], log["time"], log["stretch"], log["hold_s"], log["reps"],
                                     strict=True)]


# ------------------------------------------------------------------------- real exports


@needs_realworld("strong")
def test_comma_export_keeps_the_eleven_timed_stretches() -> None:
    result = import_strong(COMMA12)
    assert result.layout == "comma export, 12 columns"
    # Seconds > 0 on rows named Stretching / ... Stretch(es); "Roll", "Calf Rubs", "Calf Wall ",
    # "Band Exercuses" say nothing of stretching and are skipped.
    assert table(result) == [
        ("2021-07-26", "15:39:28", "Stretching", 300.0, 1),
        ("2022-05-23", "11:22:50", "Calf Stretches", 600.0, 1),
        ("2022-05-23", "11:22:50", "Hip Stretches", 600.0, 1),
        ("2022-12-31", "09:45:46", "Shoulder Stretch", 180.0, 1),
        ("2022-12-31", "09:45:46", "90-90 Stretches", 300.0, 1),
        ("2023-02-22", "19:23:04", "Shoulder Stretch", 180.0, 1),
        ("2023-02-22", "19:23:04", "90-90 Stretches", 300.0, 1),
        ("2025-05-13", "14:42:31", "Stretching", 600.0, 1),
        ("2025-06-03", "15:28:14", "Stretching", 600.0, 1),
        # "Stretching",1,...,600.0 then "Stretching",Rest Timer,...,120.0: the rest is not a hold.
        ("2025-10-19", "14:20:08", "Stretching", 600.0, 1),
        ("2025-10-28", "10:49:12", "Stretching", 600.0, 1),
    ]
    assert validate(result.log).ok


@needs_realworld("strong")
def test_comma_export_lists_each_other_exercise_once_with_its_sets_and_the_rest_timers() -> None:
    skipped = import_strong(COMMA12).skipped
    records = dict(zip(skipped["record"], skipped["reason"], strict=True))
    # 10 workouts, 39 exercise names: 5 stretching, 34 others.
    assert len(skipped) == 34 + 1
    # Bench Press: 3 sets (2020-12-07) + W W W W F F 3 4 (2021-07-26) + W W W W 1 F 3 4
    # (2025-06-03, its Rest Timer row left out) + W W W W W F 2 3 (2025-10-28).
    assert records["Bench Press (Barbell) (27 sets in 4 workouts)"] == NOT_A_STRETCH
    # Cable Twist: 5 + 3 + 3 + 2 sets; the name has "twist" but is no catalog twist.
    assert records["Cable Twist (13 sets in 4 workouts)"] == NOT_A_STRETCH
    assert records["Roll (1 set in 1 workout)"] == NOT_A_STRETCH
    # grep -c "Rest Timer" aj_strong_data.csv
    assert records["Rest Timer (36 rows)"] == "rest between sets, not sets"


@needs_realworld("strong")
def test_workout_number_export_reads_quoted_semicolons_and_mobility() -> None:
    result = import_strong(WORKOUT_NO)
    assert result.layout == "Workout # export, units in the header"
    assert table(result) == [
        ("2023-02-21", "07:38:10", "Foal Roll Pec Stretch", 300.0, 1),
        ("2023-02-21", "07:38:10", "Timeout Stretch", 30.0, 3),           # 3 x "30"
        ("2023-03-06", "16:50:42", "Foam Roller Pec Stretch", 300.0, 1),
        ("2023-03-06", "16:50:42", "Timeout Stretch", 30.0, 3),
        ("2023-03-06", "16:50:42", "Thoracic Extension Mobilization", None, 30),  # 3 x 10 reps
        ("2023-03-07", "16:41:58", "Foam Roller Pec Stretch", 300.0, 1),
        ("2023-03-07", "16:41:58", "Thoracic Extension Mobilization", None, 30),
    ]
    records = set(result.skipped["record"])
    # Holds that are not stretches: 3 + 3 sets of Dead Hang in workouts #226 and #431.
    assert "Dead Hang (6 sets in 2 workouts)" in records
    assert len(records) == 32
    assert validate(result.log).ok


@needs_realworld("strong")
def test_midnight_workout_stays_on_its_start_day_and_map_includes_an_exercise() -> None:
    # Workout #203 "Midnight Workout" starts 2023-08-19 00:18:35; Ring Holds "10" and "17" seconds.
    result = import_strong(WORKOUT_NO, mapping={"ring holds": "Ring hold"})
    rows = [r for r in table(result) if r[2] == "Ring hold"]
    assert rows == [("2023-08-19", "00:18:35", "Ring hold", 13.5, 2)]


@needs_realworld("strong")
def test_map_with_no_stretch_excludes_a_stretching_exercise() -> None:
    result = import_strong(COMMA12, mapping={"Stretching": None})
    assert "Stretching" not in set(result.log["stretch"])
    # One "Stretching" set on 2021-07-26, 2025-05-13, 2025-06-03, 2025-10-19 and 2025-10-28.
    assert "Stretching (5 sets in 5 workouts)" in set(result.skipped["record"])
    assert len(result.log) == 11 - 5


# ------------------------------------------------------------------------- layouts


LAYOUT_HEADERS = {
    "comma export, 12 columns": HEADER12,
    "comma export, 10 columns": "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE",
    "Workout # export, units in the header": '"Workout #";"Date";"Workout Name";"Duration (sec)";"Exercise Name";'
    '"Set Order";"Weight (kg)";"Reps";"RPE";"Distance (meters)";"Seconds";"Notes";"Workout Notes"',
    "export with unit columns": "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;"
    "Distance Unit;Seconds;Notes;Workout Notes;Workout Duration",
    "export with unit columns, no duration": "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;"
    "Distance;Distance Unit;Seconds;Notes;Workout Notes",
    "older export without duration": "Date;Workout Name;Exercise Name;Set Order;lbs;Reps;mi.;Seconds;Notes;"
    "Workout Notes",
}


def one_row(header: str) -> str:
    """A header and one 45 s "Child's Pose" set filled in by column name."""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = [h.strip('"') for h in header.split(delimiter)]
    values = {"Workout #": "7", "Date": "2024-05-01 07:00:00", "Workout Name": "Morning",
              "Exercise Name": "Child's Pose", "Set Order": "1", "Seconds": "45", "Reps": "0",
              "Weight Unit": "lbs", "Distance Unit": "mi."}
    return header + "\n" + delimiter.join(values.get(n, "") for n in names) + "\n"


@pytest.mark.parametrize("layout", list(LAYOUT_HEADERS))
def test_every_layout_is_recognised_from_its_header(tmp_path: Path, layout: str) -> None:
    result = import_strong(write(tmp_path, one_row(LAYOUT_HEADERS[layout])))
    assert result.layout == layout
    assert table(result) == [("2024-05-01", "07:00:00", "Child's Pose", 45.0, 1)]


def test_oldest_comma_layout_with_units_as_column_names(tmp_path: Path) -> None:
    header = "Date,Workout Name,Exercise Name,Set Order,kg,Reps,km,Seconds,Notes,Workout Notes"
    result = import_strong(write(tmp_path, one_row(header)))
    assert result.layout == "older export without duration"
    assert table(result) == [("2024-05-01", "07:00:00", "Child's Pose", 45.0, 1)]


def test_every_known_layout_is_tested() -> None:
    assert set(LAYOUTS.values()) - set(LAYOUT_HEADERS) <= {"older export, duration last"}


def test_unknown_layout_is_one_line_naming_what_it_lacks(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Exercise,Reps\n2024-05-01 07:00:00,Cat Cow,8\n")
    with pytest.raises(ValueError, match=r"^not a Strong export: its header lacks Exercise Name, Set Order, "
                                         r"Seconds \(header: Date,Exercise,Reps\)$"):
        import_strong(path)


def test_an_unknown_column_is_read_past_with_a_warning(tmp_path: Path) -> None:
    text = one_row(HEADER12 + ",Mood")
    with pytest.warns(UserWarning, match="not understood, not read: Mood"):
        result = import_strong(write(tmp_path, text))
    assert result.layout == "layout read by column names" and len(result.log) == 1


# ------------------------------------------------------------------------- sets


def test_bom_crlf_semicolons_and_pounds_read_like_the_comma_export(tmp_path: Path) -> None:
    header = LAYOUT_HEADERS["export with unit columns"]
    rows = ["2024-05-01 07:00:00;\"Back\";\"Cat Cow\";1;0;lbs;10;;;;0;\"slow\";\"\";20m",
            "2024-05-01 07:00:00;\"Back\";\"Cat Cow\";2;0;lbs;10;;;;0;;;20m",
            "2024-05-01 07:00:00;\"Back\";\"Bench Press (Barbell)\";1;135;lbs;5;;;;0;;;20m"]
    path = write(tmp_path, header + "\n" + "\n".join(rows) + "\n", bom=True, crlf=True)
    result = import_strong(path)
    assert table(result) == [("2024-05-01", "07:00:00", "Cat-Cow", None, 20)]
    assert result.log["notes"].tolist() == ["slow"]


def test_identical_rows_are_repeated_sets_not_duplicates(tmp_path: Path) -> None:
    row = '2024-05-01 07:00:00,"Back",10m,"Cat Cow",1,0,8.0,0,0.0,,,'
    result = import_strong(write(tmp_path, comma12(row, row, row)))
    assert table(result) == [("2024-05-01", "07:00:00", "Cat-Cow", None, 24)]  # 3 x 8


def test_tags_are_sets_rest_timers_are_not_and_a_note_row_is_a_note(tmp_path: Path) -> None:
    rows = ['2024-05-01 07:00:00,"Back",10m,"Child\'s Pose",W,0,0,0,20.0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Child\'s Pose",1,0,0,0,30.0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Child\'s Pose",Rest Timer,0,0.0,0,120.0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Child\'s Pose",F,0,0,0,40.0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Child\'s Pose",Note,,,,,"knees wide",,']
    result = import_strong(write(tmp_path, comma12(*rows)))
    assert table(result) == [("2024-05-01", "07:00:00", "Child's Pose", 30.0, 3)]  # (20 + 30 + 40) / 3
    assert result.log["notes"].tolist() == ["knees wide"]


def test_a_900_s_yoga_set_keeps_its_length_in_notes(tmp_path: Path) -> None:
    rows = ['2024-05-01 18:00:00,"Evening",20m,"Yoga",1,0,0,0,900.0,,,',
            '2024-05-02 18:00:00,"Evening",20m,"Yoga",1,0,0,0,900.0,,,',
            '2024-05-02 18:00:00,"Evening",20m,"Yoga",2,0,0,0,300.0,,,']
    result = import_strong(write(tmp_path, comma12(*rows)))
    assert table(result) == [("2024-05-01", "18:00:00", "Yoga", None, 1), ("2024-05-02", "18:00:00", "Yoga", 300.0, 2)]
    assert result.log["notes"].tolist() == ["1 set(s) over 600 s: 900 s (15.0 min); hold_s left empty",
                                            "1 set(s) over 600 s: 900 s (15.0 min); hold_s mean of the others"]
    assert validate(result.log).ok


def test_two_workouts_on_one_day_are_two_rows(tmp_path: Path) -> None:
    rows = ['2024-05-01 07:00:00,"Morning",10m,"Hamstring Stretch",1,0,0,0,30.0,,,',
            '2024-05-01 19:30:00,"Evening",10m,"Hamstring Stretch",1,0,0,0,45.0,,,']
    result = import_strong(write(tmp_path, comma12(*rows)))
    assert table(result) == [("2024-05-01", "07:00:00", "Hamstring Stretch", 30.0, 1),
                             ("2024-05-01", "19:30:00", "Hamstring Stretch", 45.0, 1)]


def test_russian_twist_is_not_a_twist_stretch(tmp_path: Path) -> None:
    rows = ['2024-05-01 07:00:00,"Core",10m,"Russian Twist",1,10,20,0,0,,,',
            '2024-05-01 07:00:00,"Core",10m,"Supine Twist",1,0,0,0,30,,,']
    result = import_strong(write(tmp_path, comma12(*rows)))
    assert result.log["stretch"].tolist() == ["Supine Twist"]
    assert result.skipped["record"].tolist() == ["Russian Twist (1 set in 1 workout)"]


def test_unreadable_rows_are_skipped_with_their_line(tmp_path: Path) -> None:
    rows = ['yesterday,"Back",10m,"Cat Cow",1,0,8,0,0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Cat Cow",X,0,8,0,0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Cat Cow",1,0,eight,0,0,,,',
            '2024-05-01 07:00:00,"Back",10m,"Cat Cow",2,0,8,0,0,,,']
    result = import_strong(write(tmp_path, comma12(*rows)))
    assert table(result) == [("2024-05-01", "07:00:00", "Cat-Cow", None, 8)]
    assert result.skipped["source"].tolist()[:3] == ["strong.csv:2", "strong.csv:3", "strong.csv:4"]
    assert result.skipped["reason"].tolist()[:3] == [
        "unreadable Date 'yesterday' (expected YYYY-MM-DD HH:MM:SS)", "unknown Set Order 'X'",
        "Reps/Seconds: 'eight' is not a number"]
