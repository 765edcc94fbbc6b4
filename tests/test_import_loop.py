"""Loop Habit Tracker importer: the app's CSV exports (both formats), SQLite backups, zip safety."""

from __future__ import annotations

import csv
import doctest
import hashlib
import shutil
import sqlite3
import time
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backanalytics.columns import CANONICAL
from backanalytics.importers import SKIPPED_COLUMNS, ImportResult
from backanalytics.importers import loop as loop_module
from backanalytics.importers.loop import AUTO_FILLED, LoopImportResult, import_loop
from backanalytics.metrics.habit import habit_strength, habit_strength_series
from tests.conftest import REALWORLD, needs_realworld

LOOP_DIR = REALWORLD / "loop-habit-tracker"
CURRENT = "csv-v2.3.1-fixture"
LEGACY = "csv-v2.3.0-legacy-fixture"
DBS = ["loop.db", "021.db", "022.db"]
needs_loop = needs_realworld("loop-habit-tracker")

ROUTINE = ["Cat-Cow", "Cobra Stretch"]
MAPPING = {"Wake up early": ROUTINE, "Meditate": "Supine Twist"}
LEGACY_CODES = {"2": "YES_MANUAL", "1": "YES_AUTO", "0": "NO", "3": "SKIP", "-1": "UNKNOWN"}


# ------------------------------------------------------------------ independent raw reading


def raw_checkmarks(path: Path) -> list[tuple[str, str, str]]:
    """(date, value name, note) rows of a per-habit Checkmarks.csv, read with plain csv."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if rows and rows[0] == ["Date", "Value", "Notes"]:
        return [(r[0], r[1], r[2]) for r in rows[1:]]
    return [(r[0], LEGACY_CODES[r[1]], "") for r in rows]


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def copy_fixture(name: str, tmp_path: Path) -> Path:
    # A scratch copy under pytest's tmp_path, to edit; the shared samples stay untouched.
    return Path(shutil.copytree(LOOP_DIR / name, tmp_path / name))


def rewrite_habit_name(folder: Path, position: int, new_name: str, new_folder: str) -> None:
    habits = folder / "Habits.csv"
    with open(habits, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        if int(row[0]) == position:
            row[1] = new_name
    with open(habits, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    old = next(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(f"{position:03d}"))
    old.rename(folder / new_folder)


# -------------------------------------------------------------------------- CSV exports


@needs_loop
@pytest.mark.parametrize("fixture", [CURRENT, LEGACY])
@pytest.mark.parametrize("as_zip", [False, True])
def test_csv_fixture_rows_match_raw_counts(fixture, as_zip, tmp_path):
    folder = LOOP_DIR / fixture
    src = zip_folder(folder, tmp_path / "export.zip") if as_zip else folder
    result = import_loop(src, MAPPING, client_id="c1")
    assert isinstance(result, ImportResult)
    assert isinstance(result, LoopImportResult)
    assert list(result.log.columns) == CANONICAL
    assert list(result.skipped.columns) == SKIPPED_COLUMNS
    assert (result.log["client_id"] == "c1").all()

    raw = raw_checkmarks(folder / "002 Wake up early" / "Checkmarks.csv")
    counts = Counter(value for _, value, _ in raw)
    assert counts == {"YES_MANUAL": 6, "YES_AUTO": 3, "NO": 1}
    assert raw_checkmarks(folder / "001 Meditate" / "Checkmarks.csv") == []

    log = result.log
    assert len(log) == len(ROUTINE) * counts["YES_MANUAL"] + counts["SKIP"]
    manual_days = {d for d, v, _ in raw if v == "YES_MANUAL"}
    assert set(log["date"].dt.strftime("%Y-%m-%d")) == manual_days
    for _, day in log.groupby("date"):
        assert day["stretch"].tolist() == ROUTINE
    assert not log["planned_rest"].any()

    auto = result.skipped[result.skipped["reason"] == AUTO_FILLED]
    assert len(auto) == counts["YES_AUTO"]
    auto_days = {d for d, v, _ in raw if v == "YES_AUTO"}
    assert {r[:10] for r in auto["record"]} == auto_days
    assert not auto_days & set(log["date"].dt.strftime("%Y-%m-%d"))

    habits = result.habits.set_index("name")
    assert habits.loc["Wake up early", ["numerator", "denominator"]].tolist() == [2, 3]
    assert habits.loc["Meditate", ["numerator", "denominator"]].tolist() == [1, 1]
    assert habits.loc["Wake up early", "yes_manual"] == 6
    assert habits.loc["Wake up early", "yes_auto"] == 3
    assert habits.loc["Wake up early", "no"] == 1
    assert habits.loc["Wake up early", "rows"] == 12
    assert result.frequency is None  # the two mapped habits differ (2 in 3 days vs daily)
    assert import_loop(src, {"Wake up early": "Cat-Cow"}).frequency == (2, 3)
    summary = result.summary()
    assert "imported 12 rows" in summary and "3 YES_AUTO" in summary and "1 NO" in summary


@needs_loop
def test_current_format_keeps_notes_of_non_sessions_in_skipped():
    result = import_loop(LOOP_DIR / CURRENT, MAPPING)
    records = result.skipped["record"].tolist()
    # Quotes and commas inside notes survive the CSV round trip.
    assert "2015-01-23 (note: Forgot to do it, really)" in records
    assert '2015-01-19 (note: "Vacation")' in records
    sick = result.skipped[result.skipped["record"] == "2015-01-24 (note: Sick)"]
    assert sick["reason"].str.startswith("not a session (NO)").all() and len(sick) == 1
    # NO / UNKNOWN days without a note are only counted, not listed.
    assert len(result.skipped) == 3 + 1


@needs_loop
@pytest.mark.parametrize("fixture", [CURRENT, LEGACY])
def test_skip_becomes_planned_rest_and_notes_are_kept(fixture, tmp_path):
    folder = copy_fixture(fixture, tmp_path)
    checks = folder / "002 Wake up early" / "Checkmarks.csv"
    text = checks.read_text(encoding="utf-8")
    if fixture == CURRENT:
        text = text.replace("2015-01-24,NO,Sick", "2015-01-24,SKIP,Rest day")
        text = text.replace("2015-01-25,YES_MANUAL,", '2015-01-25,YES_MANUAL,"Felt good, 8/10"')
    else:
        text = text.replace("2015-01-24,0", "2015-01-24,3")
    checks.write_text(text, encoding="utf-8")
    result = import_loop(folder, MAPPING)
    rest = result.log[result.log["planned_rest"]]
    assert rest["date"].tolist() == [pd.Timestamp("2015-01-24")]
    assert rest["stretch"].isna().all()
    assert len(result.log) == 12 + 1
    assert result.habits.set_index("name").loc["Wake up early", "skip"] == 1
    if fixture == CURRENT:
        assert rest["notes"].tolist() == ["Rest day"]
        last = result.log[result.log["date"] == "2015-01-25"]
        assert last["notes"].tolist() == ["Felt good, 8/10"] * 2
    else:
        assert result.log["notes"].isna().all()  # legacy exports carry no notes


@needs_loop
@pytest.mark.parametrize("new_name, new_folder", [
    ("Étirement chat-vache", "002 tirement chat-vache"),
    ("猫牛式", "002"),
])
def test_non_ascii_habit_folder_is_matched_by_position(new_name, new_folder, tmp_path):
    folder = copy_fixture(CURRENT, tmp_path)
    rewrite_habit_name(folder, 2, new_name, new_folder)
    for src in (folder, zip_folder(folder, tmp_path / "export.zip")):
        result = import_loop(src, {new_name: "Cat-Cow"})
        assert len(result.log) == 6
        assert set(result.log["stretch"]) == {"Cat-Cow"}
        assert result.habits["name"].tolist() == ["Meditate", new_name]


@needs_loop
def test_habit_named_like_a_stretch_maps_itself_and_unmapped_are_reported(tmp_path):
    folder = copy_fixture(LEGACY, tmp_path)
    rewrite_habit_name(folder, 2, "cat cow", "002 cat cow")
    result = import_loop(folder)
    assert set(result.log["stretch"]) == {"Cat-Cow"}
    assert len(result.log) == 6
    unmapped = result.skipped[result.skipped["record"] == "Meditate"]
    assert unmapped["reason"].str.startswith("habit not mapped").all() and len(unmapped) == 1
    # An explicit None excludes even a catalog-named habit.
    excluded = import_loop(folder, {"cat cow": None})
    assert excluded.log.empty
    assert "excluded by the mapping" in excluded.skipped["reason"].iloc[-1]
    with pytest.warns(UserWarning, match="no habit"):
        import_loop(folder, {"Nonexistent habit": "Cat-Cow"})


@needs_loop
def test_mapping_matches_case_and_spacing_and_normalises_stretch_names():
    result = import_loop(LOOP_DIR / CURRENT, {"  wake UP   early ": ["cat cow", "cobra"]})
    assert result.log["stretch"].unique().tolist() == ROUTINE
    result = import_loop(LOOP_DIR / CURRENT, {"Wake up early": "My own stretch"})
    assert result.log["stretch"].unique().tolist() == ["My own stretch"]


@needs_loop
@pytest.mark.parametrize("fixture", [CURRENT, LEGACY])
def test_zip_with_top_folder_and_folder_forms_agree(fixture, tmp_path):
    folder = LOOP_DIR / fixture
    plain = import_loop(folder, MAPPING)
    nested = import_loop(zip_folder(folder, tmp_path / "n.zip", "Loop Habits CSV 2015-01-25/"),
                         MAPPING)
    pd.testing.assert_frame_equal(plain.log, nested.log)
    assert plain.source_format == ("csv" if fixture == CURRENT else "csv-legacy")


@needs_loop
@pytest.mark.parametrize("fixture", [CURRENT, LEGACY])
def test_imported_log_reproduces_loop_scores(fixture):
    # End to end: Loop's Scores.csv from the log we imported, with the habit's own frequency.
    result = import_loop(LOOP_DIR / fixture, {"Wake up early": "Cat-Cow"})
    series = habit_strength_series(result.log, frequency=result.frequency, as_of="2015-01-25")
    with open(LOOP_DIR / fixture / "002 Wake up early" / "Scores.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r and r[0] != "Date"]
    expected = pd.Series({pd.Timestamp(d): float(s) for d, s in rows}).sort_index()
    got = series.set_index("date")["habit_strength"]
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-4)
    final = habit_strength(result.log, frequency=result.frequency, as_of="2015-01-25")
    assert final["me"] == pytest.approx(0.2557, abs=1e-4)


def test_legacy_habits_csv_with_unquoted_comma_in_name(tmp_path):
    folder = tmp_path / "export"
    (folder / "001 Stretch then rest").mkdir(parents=True)
    (folder / "Habits.csv").write_text(
        "Position,Name,Question,Description,NumRepetitions,Interval,Color\n"
        "001,Stretch, then rest,Did you?,,3,7,#FF8F00\n", encoding="utf-8")
    (folder / "001 Stretch then rest" / "Checkmarks.csv").write_text(
        "2024-01-02,2\n2024-01-01,2\n", encoding="utf-8")
    result = import_loop(folder, {"Stretch, then rest": "Child's Pose"})
    assert result.habits.loc[0, "name"] == "Stretch, then rest"
    assert result.frequency == (3, 7)
    assert len(result.log) == 2


def test_numerical_legacy_habit_is_detected(tmp_path):
    folder = tmp_path / "export"
    (folder / "001 Stretch minutes").mkdir(parents=True)
    (folder / "Habits.csv").write_text(
        "Position,Name,Question,Description,NumRepetitions,Interval,Color\n"
        "001,Stretch minutes,,,1,1,#FF8F00\n", encoding="utf-8")
    (folder / "001 Stretch minutes" / "Checkmarks.csv").write_text(
        "2024-01-04,-1\n2024-01-03,3\n2024-01-02,0\n2024-01-01,15000\n", encoding="utf-8")
    result = import_loop(folder, {"Stretch minutes": "Forward Bend"})
    assert result.habits.loc[0, "type"] == "NUMERICAL"
    sessions = result.log[~result.log["planned_rest"]]
    assert sessions["notes"].tolist() == ["Loop: 15"]
    assert result.log["planned_rest"].sum() == 1
    assert result.habits.loc[0, ["yes_manual", "no", "skip", "unknown"]].tolist() == [1, 1, 1, 1]


CURRENT_HABITS_HEADER = ("Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,"
                         "Color,Unit,Target Type,Target Value,Archived?\n")


def make_current_numerical_export(folder: Path) -> Path:
    """A v2.3.1-format export (header, notes) of a NUMERICAL habit: amounts x1000, newest first."""
    (folder / "001 Stretch minutes").mkdir(parents=True)
    (folder / "Habits.csv").write_text(
        CURRENT_HABITS_HEADER + "001,Stretch minutes,NUMERICAL,How many minutes?,,1,1,#FF8F00,min,AT_LEAST,"
        "10.0,false\n", encoding="utf-8")
    (folder / "001 Stretch minutes" / "Checkmarks.csv").write_text(
        "Date,Value,Notes\n"
        "2024-01-05,-1,\n"
        "2024-01-04,12500,\"long one, felt \"\"good\"\"\"\n"
        "2024-01-03,3,travel\n"
        "2024-01-02,0,\n"
        "2024-01-01,15000,\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("as_zip", [False, True])
def test_current_format_numerical_habit_reads_raw_amounts_x1000(tmp_path, as_zip):
    folder = make_current_numerical_export(tmp_path / "export")
    src = zip_folder(folder, tmp_path / "Loop Habits CSV 2024-01-06.zip") if as_zip else folder
    result = import_loop(src, {"Stretch minutes": ["Cat-Cow", "Sphinx"]}, client_id="ann")
    assert result.source_format == "csv"
    habit = result.habits.iloc[0]
    assert (habit["type"], habit["unit"], habit["target_type"], habit["target_value"]) == (
        "NUMERICAL", "min", "AT_LEAST", 10.0)
    assert habit[["yes_manual", "no", "skip", "unknown"]].tolist() == [2, 1, 1, 1]
    log = result.log
    sessions = log[~log["planned_rest"]]
    # 15000 -> 15 min, 12500 -> 12.5 min: one row per mapped stretch, the amount kept in notes.
    assert sessions["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01"] * 2 + ["2024-01-04"] * 2
    assert sessions["stretch"].tolist() == ["Cat-Cow", "Sphinx Pose"] * 2
    assert sessions["notes"].tolist() == ["Loop: 15 min"] * 2 + ['Loop: 12.5 min; long one, felt "good"'] * 2
    rest = log[log["planned_rest"]]
    assert rest["date"].tolist() == [pd.Timestamp("2024-01-03")] and rest["notes"].tolist() == ["travel"]
    assert result.skipped.empty  # NO and UNKNOWN days carry no note: counted, not listed


def test_each_row_knows_the_loop_entry_it_came_from(tmp_path):
    result = import_loop(make_current_numerical_export(tmp_path / "export"), {"Stretch minutes": "Cat-Cow"})
    assert len(result.origins) == len(result.log)
    assert result.origins["record"].tolist() == ["2024-01-01,15000", "2024-01-03,3", "2024-01-04,12500"]
    assert result.origins["source"].str.endswith("001 Stretch minutes/Checkmarks.csv").all()


# ---------------------------------------------------------------------------- SQLite


def sql_rows(db: Path, query: str, *args: object) -> list[tuple]:
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


@needs_loop
@pytest.mark.parametrize("name", DBS)
def test_sqlite_backup_rows_match_raw_counts(name):
    db = LOOP_DIR / "sqlite-backup" / name
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    habits = sql_rows(db, "select id, name, freq_num, freq_den from Habits order by position")
    stretches = ["Cat-Cow", "Child's Pose", "Knee-to-Chest", "Pelvic Tilts"]
    mapping = {n: stretches[: 1 + i % 3] for i, (_, n, _, _) in enumerate(habits)}
    result = import_loop(db, mapping, client_id="db")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # opened read-only

    rep_cols = {r[1] for r in sql_rows(db, "pragma table_info(Repetitions)")}
    manual = "value = 2" if "value" in rep_cols else "1"
    skip = "value = 3" if "value" in rep_cols else "0"
    expected_rows = 0
    rest_days = set()
    for hid, hname, num, den in habits:
        (n_manual,) = sql_rows(db, f"select count(distinct timestamp) from Repetitions "
                                   f"where habit = ? and {manual}", hid)[0]
        expected_rows += n_manual * len(mapping[hname])
        rest_days |= {t for (t,) in sql_rows(
            db, f"select timestamp from Repetitions where habit = ? and {skip}", hid)}
        row = result.habits[result.habits["name"] == hname].iloc[0]
        assert (row["numerator"], row["denominator"]) == (num, den)
    assert len(result.log) == expected_rows + len(rest_days)
    assert result.log["planned_rest"].sum() == len(rest_days)
    assert result.source_format.startswith("sqlite-v")
    (n_reps,) = sql_rows(db, "select count(*) from Repetitions")[0]
    assert int(result.habits["yes_manual"].sum()) == n_reps  # every stored rep is a manual tick


@needs_loop
def test_loop_db_auto_filled_days_are_not_sessions():
    db = LOOP_DIR / "sqlite-backup" / "loop.db"
    result = import_loop(db, {"Wake up early": "Cat-Cow"})
    assert result.frequency == (3, 7)
    days = set(result.log["date"])
    reps = {pd.Timestamp(t, unit="ms") for (t,) in sql_rows(
        db, "select timestamp from Repetitions where habit = 15")}
    auto = {pd.Timestamp(t, unit="ms") for (t,) in sql_rows(
        db, "select timestamp from Checkmarks where habit = 15 and value = 1")}
    assert days == reps and len(auto) == 14
    assert not days & auto
    # Duplicate habit names ("Vegan" twice) each contribute their own days.
    both = import_loop(db, {"Vegan": "Bridge Pose"})
    assert len(both.log) == 15 + 43


def make_current_db(path: Path) -> Path:
    """A small backup in the current schema (v25 columns that matter: type, target, notes)."""
    con = sqlite3.connect(path)
    con.executescript("""
        create table Habits (id integer primary key autoincrement, archived integer,
            color integer, description text, freq_den integer, freq_num integer,
            highlight integer, name text, position integer, reminder_hour integer,
            reminder_min integer, reminder_days integer not null default 127,
            type integer not null default 0, target_type integer not null default 0,
            target_value real not null default 0, unit text not null default "",
            question text, uuid text);
        create table Repetitions (id integer primary key autoincrement,
            habit integer not null references habits(id), timestamp integer not null,
            value integer not null, notes text);
        pragma user_version = 25;
    """)
    day = 86_400_000
    t0 = 1_704_067_200_000  # 2024-01-01 UTC midnight
    con.execute("insert into Habits (id, archived, freq_den, freq_num, name, position) "
                "values (1, 0, 7, 3, 'Cobra', 0)")
    con.execute("insert into Habits (id, archived, freq_den, freq_num, name, position, type, "
                "target_type, target_value, unit) values (2, 1, 1, 1, 'Minutes', 1, 1, 0, 10, "
                "'min')")
    con.executemany("insert into Repetitions (habit, timestamp, value, notes) values (?,?,?,?)", [
        (1, t0, 2, "stiff morning"),
        (1, t0 + day, 3, "planned rest"),
        (1, t0 + 2 * day, 0, "skipped, sore"),
        (1, t0 + 3 * day, 2, None),
        (2, t0, 15000, ""),
        (2, t0 + day, 3, ""),
        (2, t0 + 2 * day, 0, ""),
    ])
    con.commit()
    con.close()
    return path


def test_current_schema_db_skip_notes_and_numerical(tmp_path):
    db = make_current_db(tmp_path / "Loop Habits Backup 2024-01-05 120000.db")
    result = import_loop(db, {"Minutes": ["Sphinx", "Supine Twist"]})
    log = result.log
    assert result.source_format == "sqlite-v25"
    sessions = log[~log["planned_rest"]]
    assert sessions["stretch"].tolist() == ["Cobra Stretch", "Sphinx Pose", "Supine Twist",
                                            "Cobra Stretch"]
    assert sessions["notes"].tolist()[:3] == ["stiff morning", "Loop: 15 min", "Loop: 15 min"]
    rest = log[log["planned_rest"]]
    # Both habits skipped 2024-01-02: one rest row, with the note.
    assert rest["date"].tolist() == [pd.Timestamp("2024-01-02")]
    assert rest["notes"].tolist() == ["planned rest"]
    sore = result.skipped[result.skipped["record"].str.contains("sore")]
    assert len(sore) == 1
    h = result.habits.set_index("name")
    assert h.loc["Minutes", "type"] == "NUMERICAL" and h.loc["Minutes", "unit"] == "min"
    assert bool(h.loc["Minutes", "archived"]) is True
    assert h.loc["Cobra", "sessions_per_week"] == pytest.approx(3.0)
    assert result.frequency is None  # the two mapped habits have different frequencies


# ------------------------------------------------------------------------ zip safety


def test_zip_member_paths_are_checked(tmp_path):
    for bad in ("../evil.csv", "/etc/evil.csv", "a/../../evil.csv", "C:\\evil.csv"):
        target = tmp_path / "bad.zip"
        with zipfile.ZipFile(target, "w") as z:
            z.writestr("Habits.csv", "Position,Name\n")
            z.writestr(bad, "x")
        with pytest.raises(ValueError, match="unsafe zip") as info:
            import_loop(target)
        assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """210 MB of zeros in a ~200 kB zip."""
    target = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("Habits.csv", "Position,Name\n001,x\n")
        with z.open("001 x/Checkmarks.csv", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(210):
                fh.write(block)
    return target


def test_zip_bomb_is_rejected_quickly(zip_bomb):
    assert zip_bomb.stat().st_size < 2 * 1024 * 1024
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"unsafe zip .*bytes uncompressed") as info:
        import_loop(zip_bomb)
    assert time.perf_counter() - start < 1.0
    assert "\n" not in str(info.value)


def test_too_many_zip_members_is_rejected(tmp_path):
    target = tmp_path / "many.zip"
    with zipfile.ZipFile(target, "w") as z:
        for i in range(loop_module.MAX_ZIP_MEMBERS + 1):
            z.writestr(f"f{i}", b"")
    with pytest.raises(ValueError, match="members"):
        import_loop(target)


def test_small_limits_apply(tmp_path):
    target = tmp_path / "ok.zip"
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("Habits.csv", "Position,Name\n001,x\n")
    with pytest.raises(ValueError, match="bytes uncompressed"):
        import_loop(target, max_bytes=5)
    with pytest.raises(ValueError, match="members"):
        import_loop(target, max_members=0)


# ------------------------------------------------------------------------------ errors


def test_not_a_loop_export(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(ValueError, match="not a Loop export"):
        import_loop(text)
    with pytest.raises(FileNotFoundError, match="not found"):
        import_loop(tmp_path / "missing.zip")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(ValueError, match=r"no Habits\.csv"):
        import_loop(empty_dir)
    other_db = tmp_path / "other.db"
    con = sqlite3.connect(other_db)
    con.execute("create table t (x)")
    con.close()
    with pytest.raises(ValueError, match="not a Loop backup"):
        import_loop(other_db)


def test_module_examples_run():
    result = doctest.testmod(loop_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@needs_loop
def test_imported_logs_pass_the_log_schema(tmp_path):
    from backanalytics.schema import validate

    db = make_current_db(tmp_path / "backup.db")
    for result in (import_loop(LOOP_DIR / CURRENT, MAPPING),
                   import_loop(LOOP_DIR / "sqlite-backup" / "loop.db", {"Vegan": "Cobra"}),
                   import_loop(db, {"Minutes": "Sphinx Pose"})):
        report = validate(result.log)
        assert report.rejected.empty, report.failures
        assert len(report.valid) == len(result.log)
