"""Loop Habit Tracker habit strength: hand-worked cases, upstream test vectors, app exports."""

from __future__ import annotations

import csv
import doctest
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backanalytics.metrics import habit, habit_kernels
from backanalytics.metrics.habit import (
    LEGACY_MAX_VALUE,
    SKIP,
    LoopEntry,
    from_loop_entries,
    habit_scores,
    habit_strength,
    habit_strength_series,
    legacy_habit_scores,
    loop_multiplier,
    numerical_habit_scores,
    sessions_per_week_to_frequency,
)
from tests.conftest import REALWORLD, needs_realworld

LOOP_DIR = REALWORLD / "loop-habit-tracker"
CSV_FIXTURES = ["csv-v2.3.1-fixture", "csv-v2.3.0-legacy-fixture"]
needs_loop = needs_realworld("loop-habit-tracker")

M_DAILY = 0.5 ** (1 / 13)


def newest_first(scores: np.ndarray) -> np.ndarray:
    return np.asarray(scores)[::-1]


# ---------------------------------------------------------------- hand-worked cases


def test_three_days_from_zero_is_one_minus_m_cubed():
    s = habit_scores([1, 1, 1])
    np.testing.assert_allclose(s, [1 - M_DAILY, 1 - M_DAILY**2, 1 - M_DAILY**3], rtol=0, atol=1e-12)


def test_missed_day_decays_and_skip_day_holds():
    s = habit_scores([1, 0, 1])
    assert s[1] == pytest.approx((1 - M_DAILY) * M_DAILY)
    s = habit_scores([1, SKIP, 1])
    assert s[1] == s[0]
    # Skipping is as if the day never existed: done, skip, done equals done, done.
    assert s[2] == pytest.approx(habit_scores([1, 1])[1])


def test_non_daily_uses_doubled_window():
    # 3 times a week -> 6 repetitions in 14 days; one repetition completes 1/6 of the target.
    m = 0.5 ** (np.sqrt(3 / 7) / 13)
    s = habit_scores([1, 0, 1], 3, 7)
    assert s[0] == pytest.approx((1 - m) / 6)
    assert s[1] == pytest.approx(m * s[0] + (1 - m) / 6)
    assert s[2] == pytest.approx(m * s[1] + (1 - m) * 2 / 6)
    # The repetition leaves the 14-day window after 14 days.
    done = np.zeros(16)
    done[0] = 1
    s = habit_scores(done, 3, 7)
    assert s[13] == pytest.approx(m * s[12] + (1 - m) / 6)
    assert s[14] == pytest.approx(m * s[13])


def test_n_in_n_days_is_daily():
    done = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1, 0])
    np.testing.assert_allclose(habit_scores(done, 7, 7), habit_scores(done))
    assert sessions_per_week_to_frequency(7) == (1, 1)
    assert loop_multiplier(7, 7) == pytest.approx(M_DAILY)


def test_vectorised_equals_per_client():
    rng = np.random.default_rng(7)
    done = rng.choice([0, 1, SKIP], size=(40, 120), p=[0.4, 0.5, 0.1])
    num = rng.integers(1, 8, size=40)
    den = np.full(40, 7)
    together = habit_scores(done, num, den)
    for i in range(40):
        np.testing.assert_allclose(together[i], habit_scores(done[i], num[i], den[i]))
    assert ((together >= 0) & (together <= 1)).all()


def test_from_loop_entries_reads_only_manual_yes_as_done():
    assert from_loop_entries([2, 1, 0, -1, 3]).tolist() == [1, 0, 0, 0, SKIP]
    assert int(LoopEntry.YES_AUTO) == 1


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="done values"):
        habit_scores([1, 2, 0])
    with pytest.raises(ValueError, match="positive"):
        habit_scores([1, 0], 0, 7)
    with pytest.raises(ValueError, match="one value per client"):
        habit_scores(np.ones((3, 4)), [1, 2], 7)
    with pytest.raises(ValueError, match="sessions_per_week"):
        sessions_per_week_to_frequency(8)


@pytest.mark.parametrize("module", [habit, habit_kernels])
def test_module_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------- upstream unit-test vectors (values only)
# Expected values published in uhabits-core ScoreListTest.kt / ScoreTest.kt (Loop's own tests,
# newest day first); the app is checked there to 1e-6, so we are too.

DAILY_20 = [0.655747, 0.636894, 0.617008, 0.596033, 0.573910, 0.550574, 0.525961, 0.500000,
            0.472617, 0.443734, 0.413270, 0.381137, 0.347244, 0.311495, 0.273788, 0.234017,
            0.192067, 0.147820, 0.101149, 0.051922]


def test_upstream_daily_vector():
    np.testing.assert_allclose(newest_first(habit_scores(np.ones(20))), DAILY_20, atol=1e-6)


def test_upstream_skip_vectors():
    done = np.ones(20)  # index 0 = oldest = 19 days ago
    for days_ago in (5, 10, 11):
        done[19 - days_ago] = SKIP
    expected = [0.596033, 0.573910, 0.550574, 0.525961, 0.500000, 0.472617, 0.472617, 0.443734,
                0.413270, 0.381137, 0.347244, 0.347244, 0.347244, 0.311495, 0.273788, 0.234017,
                0.192067, 0.147820, 0.101149, 0.051922]
    np.testing.assert_allclose(newest_first(habit_scores(done)), expected, atol=1e-6)
    # Done 5 days ago, skipped 4 days ago, nothing since.
    expected2 = [0.041949, 0.044247, 0.046670, 0.049226, 0.051922, 0.051922]
    np.testing.assert_allclose(newest_first(habit_scores([1, SKIP, 0, 0, 0, 0])), expected2,
                               atol=1e-6)


def test_upstream_non_daily_convergence():
    week = [1, 1, 0, 0, 0, 0, 0]  # newest first in Loop's test
    done = np.array(week * 100)[::-1]
    assert habit_scores(done, 3, 7)[-1] == pytest.approx(2 / 3, abs=1e-6)
    assert habit_scores(done, 4, 7)[-1] == pytest.approx(0.5, abs=1e-6)
    # Once a week but on different weekdays still converges to 1.
    two_weeks = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]  # weekday changes
    done = np.array(two_weeks * 100)[::-1]
    assert habit_scores(done, 1, 7)[-1] == pytest.approx(1.0, abs=1e-3)


def test_upstream_recompute_and_compute():
    assert habit_scores([1, 1])[-1] == pytest.approx(0.101149, abs=1e-6)
    assert habit_scores([1, 1], 1, 2)[-1] == pytest.approx(0.054816, abs=1e-6)
    # Score.compute(freq, previous, value) from ScoreTest.kt, via one step of the recurrence.
    for freq, prev, value, expected in [(1.0, 0.5, 1, 0.525961), (1.0, 0.75, 0, 0.711058),
                                        (1 / 3, 0.5, 1, 0.515157), (1 / 3, 0.75, 0, 0.727263)]:
        m = float(loop_multiplier(1, 1) if freq == 1.0 else loop_multiplier(1, 3))
        assert prev * m + value * (1 - m) == pytest.approx(expected, abs=1e-6)


def test_upstream_numerical_vectors():
    # Target 2 a day ("Run", 2.0 miles).
    s = numerical_habit_scores(np.full(20, 2.0), target=2.0)
    np.testing.assert_allclose(newest_first(s), DAILY_20, atol=1e-6)
    assert numerical_habit_scores([2.0, 2.0], 2.0, 1, 2)[-1] == pytest.approx(0.072631, abs=1e-6)
    assert numerical_habit_scores(np.full(500, 1.0), 2.0)[-1] == pytest.approx(0.5, abs=1e-6)
    assert numerical_habit_scores(np.full(500, 0.5), 2.0)[-1] == pytest.approx(0.25, abs=1e-6)
    assert numerical_habit_scores([10000.0], 2.0)[-1] == pytest.approx(0.051922, abs=1e-6)
    # With skipped days 10 and 15 days ago.
    values = np.full(20, 2.0)
    skip = np.zeros(20, dtype=bool)
    skip[[19 - 10, 19 - 15]] = True
    expected = [0.617008, 0.596033, 0.573910, 0.550574, 0.525961, 0.500000, 0.472617, 0.443734,
                0.413270, 0.381137, 0.347244, 0.347244, 0.311495, 0.273788, 0.234017, 0.192067,
                0.192067, 0.147820, 0.101149, 0.051922]
    s = numerical_habit_scores(np.where(skip, np.nan, values), 2.0, skip=skip)
    np.testing.assert_allclose(newest_first(s), expected, atol=1e-6)


def test_upstream_at_most_vectors():
    s = numerical_habit_scores([1.0] + [5.0] * 20, target=2.0, at_most=True)
    expected = [0.344253, 0.363106, 0.382992, 0.403967, 0.426090, 0.449426, 0.474039, 0.500000,
                0.527383, 0.556266, 0.586730, 0.618863, 0.652756, 0.688505, 0.726212, 0.765983,
                0.807933, 0.852180, 0.898851, 0.948078, 1.0]
    np.testing.assert_allclose(newest_first(s), expected, atol=1e-6)
    assert numerical_habit_scores([5.0, 5.0], 2.0, 1, 2, at_most=True)[-1] == pytest.approx(
        0.927369, abs=1e-6)
    assert numerical_habit_scores(np.full(500, 3.0), 2.0, at_most=True)[-1] == pytest.approx(
        0.5, abs=1e-6)
    assert numerical_habit_scores([10000.0, np.nan], 2.0, at_most=True)[-1] == pytest.approx(
        0.950773, abs=1e-6)
    assert numerical_habit_scores([0.0, 5.0], 2.0, at_most=True)[-1] == pytest.approx(
        0.948077, abs=1e-6)
    # Zero targets stay finite.
    assert np.isfinite(numerical_habit_scores([1.0, 0.0], 0.0, at_most=True)).all()
    assert np.isfinite(numerical_habit_scores([1.0, 0.0], 0.0)).all()


# ------------------------------------------------------------------- the app's own exports


def read_habits_csv(folder: Path) -> dict[int, dict[str, str]]:
    with open(folder / "Habits.csv", newline="", encoding="utf-8") as fh:
        return {int(row["Position"]): row for row in csv.DictReader(fh)}


def frequency_of(row: dict[str, str]) -> tuple[int, int]:
    if "FrequencyNumerator" in row:
        return int(row["FrequencyNumerator"]), int(row["FrequencyDenominator"])
    return int(row["NumRepetitions"]), int(row["Interval"])


def read_per_habit(path: Path) -> dict[str, str]:
    """Date -> raw value of a per-habit Checkmarks.csv / Scores.csv (either format)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if rows and rows[0][0] == "Date":
        rows = rows[1:]
    return {r[0]: r[1] for r in rows if r}


def done_from_checkmarks(checks: dict[str, str], days: pd.DatetimeIndex) -> np.ndarray:
    codes = {"YES_MANUAL": 2, "YES_AUTO": 1, "NO": 0, "SKIP": 3, "UNKNOWN": -1}
    values = [checks.get(d.strftime("%Y-%m-%d"), "UNKNOWN") for d in days]
    return from_loop_entries([codes[v] if v in codes else int(v) for v in values])


@needs_loop
@pytest.mark.parametrize("fixture", CSV_FIXTURES)
def test_reproduces_per_habit_scores_csv(fixture):
    folder = LOOP_DIR / fixture
    habits = read_habits_csv(folder)
    compared = 0
    for habit_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        row = habits[int(habit_dir.name.split(" ")[0])]
        num, den = frequency_of(row)
        expected = read_per_habit(habit_dir / "Scores.csv")
        checks = read_per_habit(habit_dir / "Checkmarks.csv")
        days = pd.date_range(min(expected), max(expected), freq="D")
        scores = habit_scores(done_from_checkmarks(checks, days), num, den)
        want = np.array([float(expected[d.strftime("%Y-%m-%d")]) for d in days])
        # The export rounds to 4 decimals, so agreement is within half a unit of the 4th.
        np.testing.assert_allclose(scores, want, rtol=0, atol=5e-5 + 1e-12)
        compared += len(days)
    assert compared == 11  # 1 day for the empty daily habit, 10 for "Wake up early" (2 in 3)


@needs_loop
@pytest.mark.parametrize("fixture", CSV_FIXTURES)
def test_reproduces_root_scores_csv(fixture):
    folder = LOOP_DIR / fixture
    habits = read_habits_csv(folder)
    scores_table = pd.read_csv(folder / "Scores.csv", index_col="Date", parse_dates=True)
    scores_table = scores_table.loc[:, ~scores_table.columns.str.startswith("Unnamed")]
    days = pd.date_range(scores_table.index.min(), scores_table.index.max(), freq="D")
    by_name = {row["Name"]: pos for pos, row in habits.items()}
    for name in scores_table.columns:
        pos = by_name[name]
        habit_dir = next(p for p in folder.iterdir() if p.name.startswith(f"{pos:03d}"))
        checks = read_per_habit(habit_dir / "Checkmarks.csv")
        num, den = frequency_of(habits[pos])
        got = habit_scores(done_from_checkmarks(checks, days), num, den)
        want = scores_table[name].reindex(days).to_numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


@needs_loop
def test_reproduces_legacy_sqlite_score_table_exactly():
    db = LOOP_DIR / "sqlite-backup" / "loop.db"
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        habits = con.execute("select id, freq_num, freq_den from Habits order by position")
        habits = habits.fetchall()
        assert len(habits) == 9
        frequencies = {(n, d) for _, n, d in habits}
        assert {(1, 1), (3, 7), (1, 5)} <= frequencies  # daily and non-daily habits
        for hid, num, den in habits:
            reps = pd.to_datetime([r[0] for r in con.execute(
                "select timestamp from Repetitions where habit = ?", (hid,))], unit="ms")
            explicit = pd.to_datetime([r[0] for r in con.execute(
                "select timestamp from Checkmarks where habit = ? and value = 2", (hid,))],
                unit="ms")
            stored = con.execute("select timestamp, score from Score where habit = ? "
                                 "order by timestamp", (hid,)).fetchall()
            days = pd.to_datetime([t for t, _ in stored], unit="ms")
            assert (days == pd.date_range(days[0], days[-1], freq="D")).all()
            assert days[0] == reps.min()
            for ticks in (reps, explicit):  # Repetitions and the cached Checkmarks agree
                done = days.isin(ticks).astype(int)
                got = legacy_habit_scores(done, num, den)
                want = np.array([s for _, s in stored])
                np.testing.assert_array_equal(np.round(got * LEGACY_MAX_VALUE), want)
                np.testing.assert_allclose(got, want / LEGACY_MAX_VALUE, rtol=0, atol=1e-4)
    finally:
        con.close()


def test_legacy_rule_vs_current_rule():
    # Daily habits: same half-life (13 days) and step (1e6 / MAX_VALUE = 1 - m), so the two
    # rules agree up to the integer truncation of 1.x ...
    rng = np.random.default_rng(3)
    done = rng.integers(0, 2, 200)
    np.testing.assert_allclose(legacy_habit_scores(done), habit_scores(done), atol=1e-5)
    # ... but non-daily habits decay differently and had no rolling window in 1.x.
    done = np.array([1, 0, 0, 0, 0, 0, 0] * 40)  # once a week, every week
    assert habit_scores(done, 1, 7)[-1] > 0.99
    assert legacy_habit_scores(done, 1, 7)[-1] < 0.9
    assert legacy_habit_scores(np.ones(400), 3, 7)[-1] == 1.0  # capped at the daily maximum


# ------------------------------------------------------------------------ the log level


def make_log(rows):
    return pd.DataFrame(rows, columns=["client_id", "date", "stretch", "planned_rest"])


def test_habit_strength_from_log_matches_array_rule():
    log = make_log([
        ("a", "2024-03-01", "Cat-Cow", False),
        ("a", "2024-03-01", "Cobra Stretch", False),  # two stretches, one session day
        ("a", "2024-03-02", None, True),               # planned rest = SKIP
        ("a", "2024-03-04", "Cat-Cow", False),
        ("b", "2024-03-03", "Bridge Pose", False),
        ("b", "2024-03-05", "  ", False),              # blank stretch is not a session
        ("c", "2024-03-02", None, True),               # never a session
    ])
    got = habit_strength(log)
    assert got.name == "habit_strength"
    assert got.index.name == "client_id"
    assert list(got.index) == ["a", "b", "c"]
    a = habit_scores([1, SKIP, 0, 1, 0])
    b = habit_scores([1, 0, 0])
    np.testing.assert_allclose(got.to_numpy(), [a[-1], b[-1], 0.0])


def test_habit_strength_frequency_and_as_of():
    log = make_log([("a", d, "Cat-Cow", False) for d in
                    ["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-08"]])
    done = [1, 0, 1, 0, 1, 0, 0, 1]
    assert habit_strength(log, sessions_per_week=3)["a"] == pytest.approx(
        habit_scores(done, 3, 7)[-1])
    assert habit_strength(log, frequency=(2, 3))["a"] == pytest.approx(
        habit_scores(done, 2, 3)[-1])
    later = habit_strength(log, as_of="2024-01-20")["a"]
    assert later == pytest.approx(habit_scores(done + [0] * 12)[-1])
    assert habit_strength(log, as_of="2023-12-31")["a"] == 0.0
    # Rows after as_of are ignored.
    assert habit_strength(log, as_of="2024-01-05")["a"] == pytest.approx(
        habit_scores(done[:5])[-1])


def test_habit_strength_per_client_targets():
    log = make_log([("a", "2024-01-01", "Cat-Cow", False), ("b", "2024-01-01", "Cat-Cow", False)])
    got = habit_strength(log, sessions_per_week={"a": 7, "b": 3})
    assert got["a"] == pytest.approx(1 - M_DAILY)
    assert got["b"] == pytest.approx(habit_scores([1], 3, 7)[0])
    with pytest.raises(ValueError, match="no value for clients"):
        habit_strength(log, sessions_per_week={"a": 7})


def test_habit_strength_series_is_tidy_and_consistent():
    log = make_log([
        ("a", "2024-01-01", "Cat-Cow", False),
        ("a", "2024-01-03", "Cat-Cow", False),
        ("b", "2024-01-02", "Cobra Stretch", False),
    ])
    series = habit_strength_series(log, as_of="2024-01-04")
    assert list(series.columns) == ["client_id", "date", "habit_strength"]
    assert series.groupby("client_id").size().to_dict() == {"a": 4, "b": 3}
    last = series.groupby("client_id")["habit_strength"].last()
    pd.testing.assert_series_equal(last, habit_strength(log, as_of="2024-01-04"),
                                   check_names=False)
    assert series["date"].min() == pd.Timestamp("2024-01-01")


def test_empty_and_sessionless_logs():
    empty = make_log([])
    assert habit_strength(empty).empty
    assert habit_strength_series(empty).empty
    rest_only = make_log([("a", "2024-01-01", None, True)])
    assert habit_strength(rest_only).to_dict() == {"a": 0.0}
    assert habit_strength_series(rest_only).empty
    no_rest_column = pd.DataFrame({"client_id": ["a"], "date": ["2024-01-01"],
                                   "stretch": ["Cat-Cow"]})
    assert habit_strength(no_rest_column)["a"] == pytest.approx(1 - M_DAILY)


def test_many_clients_is_fast():
    rng = np.random.default_rng(1)
    n_clients, n_days = 2000, 730
    done = (rng.random((n_clients, n_days)) < 0.5).astype(np.int8)
    import time

    start = time.perf_counter()
    out = habit_scores(done, rng.integers(1, 8, n_clients), 7)
    assert out.shape == (n_clients, n_days)
    assert time.perf_counter() - start < 10


# ------------------------------------------------------------ per-client targets, tolerant input


def test_per_client_targets_are_converted_once_per_distinct_value(monkeypatch):
    calls = []
    convert = habit.sessions_per_week_to_frequency

    def counting(value):
        calls.append(value)
        return convert(value)

    monkeypatch.setattr(habit, "sessions_per_week_to_frequency", counting)
    clients = [f"c{i:03d}" for i in range(300)]
    log = pd.DataFrame({"client_id": clients, "date": "2024-01-01", "stretch": "Cat-Cow"})
    targets = pd.Series([3.0 if i % 2 else 7.0 for i in range(300)], index=clients)
    got = habit_strength(log, targets)
    assert sorted(calls) == [3.0, 7.0]  # one conversion per distinct target, not one per client
    # one session from scratch: 1 - m with m = 0.5 ** (sqrt(f) / 13); 3 a week scores 1/6 of the
    # doubled window (6 in 14 days) on day one
    m3 = 0.5 ** (np.sqrt(3 / 7) / 13)
    assert got["c000"] == pytest.approx(1 - M_DAILY)
    assert got["c001"] == pytest.approx((1 - m3) / 6)
    assert habit.frequencies_of(np.array([3.0, 7.0, 3.0, 2.5]))[1].tolist() == [7, 1, 7, 14]


def test_impossible_targets_get_a_plain_message():
    log = make_log([("a", "2024-01-01", "Cat-Cow", False)])
    for target in (14, pd.Series({"a": 14.0})):
        with pytest.raises(ValueError, match="at most 7") as err:
            habit_strength(log, target)
        assert "np.float64" not in str(err.value) and "got 14" in str(err.value)


def test_log_without_stretch_or_rest_columns():
    only_dates = pd.DataFrame({"client_id": ["a", "b"], "date": ["2024-01-01", "2024-01-02"]})
    assert habit_strength(only_dates).to_dict() == {"a": 0.0, "b": 0.0}  # no stretch column: no session
    assert habit_strength_series(only_dates).empty
    with pytest.raises(KeyError, match="client_id"):
        habit_strength(pd.DataFrame({"date": ["2024-01-01"], "stretch": ["Cat-Cow"]}))
