"""Properties that hold for every log, checked on random logs (hypothesis).

* conservation: every input row ends up exactly once, valid or rejected, whatever its cells;
* metrics (consistency, outcomes, flags, phase effect sizes) do not depend on row order, nor on
  whether clients are analysed together or apart;
* bounds: adherence (overall and over 28 days) >= 0, habit strength in [0, 1] on every day of
  the daily series, streaks no longer than the active days (daily) or the weeks with a session
  (weekly prescriptions);
* effect sizes are symmetric: "higher is better" on x equals "lower is better" on -x.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backanalytics import columns as C
from backanalytics.catalog import STRETCHES
from backanalytics.metrics.consistency import consistency, weekly_consistency
from backanalytics.metrics.effect_sizes import effect_sizes, phase_effect_sizes
from backanalytics.metrics.flags import flags
from backanalytics.metrics.habit import habit_strength_series
from backanalytics.metrics.outcomes import outcomes
from backanalytics.schema import validate

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Metric calls cost ~0.1 s each (pandas overhead), so these properties get fewer examples.
METRIC_SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = pd.Timestamp("2026-12-31")
AS_OF = "2026-12-31"
CLIENTS = ["anna", "ben", "carla", "dev", "José"]
NAMES = [s.name for s in STRETCHES]

# ------------------------------------------------------------------ strategies

scores = st.none() | st.integers(0, 100).map(lambda x: x / 10)


@st.composite
def canonical_rows(draw) -> dict:
    """One valid row of the data contract (as text, the way a file holds it)."""
    row = {
        C.CLIENT_ID: draw(st.sampled_from(CLIENTS)),
        C.DATE: draw(st.dates(pd.Timestamp("2024-01-01").date(), pd.Timestamp("2026-12-31").date())).isoformat(),
        C.STRETCH: draw(st.none() | st.sampled_from(NAMES)),
        C.HOLD_S: draw(st.none() | st.integers(5, 120)),
        C.REPS: draw(st.none() | st.integers(1, 10)),
        C.SIDE: draw(st.none() | st.sampled_from(C.SIDES)),
        C.PAIN: draw(scores),
        C.PAIN_AFTER: draw(scores),
        C.FLEXIBILITY: draw(scores),
        C.PLANNED_REST: draw(st.sampled_from([False] * 9 + [True])),
    }
    if row[C.STRETCH] is None and not row[C.PLANNED_REST] and all(
            row[k] is None for k in (C.PAIN, C.PAIN_AFTER, C.FLEXIBILITY)):
        row[C.STRETCH] = draw(st.sampled_from(NAMES))
    return {k: "" if v is None else str(v) for k, v in row.items()}


canonical_tables = st.lists(canonical_rows(), min_size=1, max_size=60)


@st.composite
def phased_tables(draw) -> list[dict]:
    """Rows of clients with a score-only baseline (phase A) before they start stretching (B)."""
    rows = []
    for client in draw(st.lists(st.sampled_from(CLIENTS), min_size=1, max_size=4, unique=True)):
        start = draw(st.dates(pd.Timestamp("2025-01-01").date(), pd.Timestamp("2026-10-01").date()))
        n_a, n_b = draw(st.integers(2, 6)), draw(st.integers(1, 6))
        for day in range(n_a + n_b):
            row = {C.CLIENT_ID: client, C.DATE: (start + pd.Timedelta(days=day)).isoformat(),
                   C.STRETCH: draw(st.sampled_from(NAMES)) if day >= n_a else "",
                   C.PAIN: str(draw(st.integers(0, 10))), C.PLANNED_REST: "False"}
            rows.append({**dict.fromkeys([C.HOLD_S, C.REPS, C.SIDE, C.PAIN_AFTER, C.FLEXIBILITY], ""), **row})
    return rows


def as_log(rows: list[dict]) -> pd.DataFrame:
    """The typed canonical log, built directly (``test_valid_canonical_logs_pass_whole`` checks
    that validation accepts these rows unchanged)."""
    raw = pd.DataFrame(rows).replace("", None)

    def number(col: str) -> pd.Series:
        return pd.to_numeric(raw[col]).astype(float)

    return pd.DataFrame({
        C.CLIENT_ID: raw[C.CLIENT_ID].astype(str),
        C.DATE: pd.to_datetime(raw[C.DATE]).astype("datetime64[ns]"),
        C.TIME: None,
        C.STRETCH: raw[C.STRETCH].astype(object),
        C.HOLD_S: number(C.HOLD_S),
        C.REPS: number(C.REPS).astype("Int64"),
        C.SIDE: pd.Categorical(raw[C.SIDE], categories=C.SIDES),
        C.PAIN: number(C.PAIN),
        C.PAIN_AFTER: number(C.PAIN_AFTER),
        C.FLEXIBILITY: number(C.FLEXIBILITY),
        C.REACH_CM: np.nan,
        C.NOTES: None,
        C.PLANNED_REST: raw[C.PLANNED_REST].eq("True"),
    })


# Cells of every column, good and bad, the way people type them.
GOOD_AND_BAD = {
    C.CLIENT_ID: ["anna", "ben", "José", "", "  ", "x" * 70, "=cmd"],
    C.DATE: ["2026-01-05", "2025-12-31T23:59:00+02:00", "5 Jan 2026", "05.01.2026", "2026-02-30",
             "yesterday", "", "2999-01-01", "1989-12-31", "9999-12-31", "2026-01-05T25:00"],
    C.STRETCH: ["Cobra", "childs pose", "Cat-Cow", "", "Headstand", "n/a"],
    C.HOLD_S: ["30", "7,5", "", "0", "601", "inf", "-", "abc"],
    C.REPS: ["3", "2.5", "0", "", "1e20", "n/a"],
    C.SIDE: ["L", "right", "both", "", "up"],
    C.PAIN: ["5", "7,5", "11", "-1", "NaN", "n/a", "-", "", "inf", "five"],
    C.NOTES: ["", "fine", "a, b", 'say "hi"', "two\nlines", "=1+1"],
}


@st.composite
def raw_tables(draw) -> list[dict]:
    """A table of text cells, some of them broken, each row tagged by its position in notes."""
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        row = {col: draw(st.sampled_from(cells)) for col, cells in GOOD_AND_BAD.items()}
        row[C.NOTES] = f"row{i} {row[C.NOTES]}"
        rows.append(row)
    return rows


def row_ids(notes: pd.Series) -> list[int]:
    return [int(str(n).split()[0][3:]) for n in notes]


# ------------------------------------------------------------------ conservation


@SETTINGS
@given(raw_tables())
def test_every_row_is_valid_or_rejected_exactly_once(rows):
    report = validate(pd.DataFrame(rows), today=TODAY)
    assert len(report.valid) + len(report.rejected) == report.rows_read == len(rows)
    ids = row_ids(report.valid[C.NOTES]) + row_ids(report.rejected[C.NOTES])
    assert sorted(ids) == list(range(len(rows)))
    assert (report.rejected[C.SOURCE_LINE] == [i + 1 for i in row_ids(report.rejected[C.NOTES])]).all()
    assert set(report.failures[C.SOURCE_LINE]) == set(report.rejected[C.SOURCE_LINE])


@SETTINGS
@given(raw_tables(), st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n"]))
def test_every_csv_record_is_valid_or_rejected_at_its_own_line(rows, sep, newline):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(GOOD_AND_BAD), delimiter=sep, lineterminator=newline)
    writer.writeheader()
    first_line = {}
    line = 2
    for i, row in enumerate(rows):
        first_line[i] = line
        writer.writerow(row)
        line += row[C.NOTES].count("\n") + 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.csv"
        path.write_text(buffer.getvalue(), newline="")
        report = validate(path, today=TODAY)
    assert len(report.valid) + len(report.rejected) == report.rows_read == len(rows)
    ids = row_ids(report.valid[C.NOTES]) + row_ids(report.rejected[C.NOTES])
    assert sorted(ids) == list(range(len(rows)))
    expected_lines = [first_line[i] for i in row_ids(report.rejected[C.NOTES])]
    assert report.rejected[C.SOURCE_LINE].tolist() == expected_lines


@SETTINGS
@given(canonical_tables)
def test_valid_canonical_logs_pass_whole(rows):
    report = validate(pd.DataFrame(rows), today=TODAY)
    assert report.ok and len(report.valid) == len(rows)
    built = as_log(rows)
    for col in [C.CLIENT_ID, C.DATE, C.STRETCH, C.HOLD_S, C.REPS, C.SIDE, C.PAIN, C.PLANNED_REST]:
        pd.testing.assert_series_equal(report.valid[col], built[col], check_dtype=False)


# ------------------------------------------------------------------ invariance of the metrics


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), check_exact=False, rtol=1e-9, atol=1e-12,
                                  check_index_type=False)


def flag_table(log: pd.DataFrame, per_week: int | None) -> pd.DataFrame:
    return flags(log, as_of=AS_OF, prescription=per_week)


def effect_table(log: pd.DataFrame) -> pd.DataFrame:
    return phase_effect_sizes(log, C.PAIN, metrics=["NAP", "Tau", "PND", "SMD"])


def same_rows(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    """Equal tables, whatever order their rows come in (sorted by ``keys``, ties kept in order)."""
    def order(t: pd.DataFrame) -> pd.DataFrame:
        return t.sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(order(a), order(b), check_exact=False, rtol=1e-9, atol=1e-12,
                                  check_index_type=False)


@METRIC_SETTINGS
@given(canonical_tables, st.sampled_from([None, 3]), st.randoms(use_true_random=False))
def test_metrics_do_not_depend_on_row_order(rows, per_week, rnd):
    log = as_log(rows)
    shuffled = log.sample(frac=1, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    same(consistency(log, prescription=per_week, as_of=AS_OF),
         consistency(shuffled, prescription=per_week, as_of=AS_OF))
    same(outcomes(log, as_of=AS_OF), outcomes(shuffled, as_of=AS_OF))
    # flags come sorted: the very same table, row for row
    pd.testing.assert_frame_equal(flag_table(log, per_week), flag_table(shuffled, per_week))


@METRIC_SETTINGS
@given(canonical_tables, st.sampled_from([None, 3]), st.sets(st.sampled_from(CLIENTS), min_size=1))
def test_metrics_do_not_depend_on_the_other_clients(rows, per_week, group):
    log = as_log(rows)
    mine = log[C.CLIENT_ID].isin(group)
    parts = [p.reset_index(drop=True) for p in (log[mine], log[~mine]) if len(p)]
    same(consistency(log, prescription=per_week, as_of=AS_OF),
         pd.concat([consistency(p, prescription=per_week, as_of=AS_OF) for p in parts]))
    same(outcomes(log, as_of=AS_OF), pd.concat([outcomes(p, as_of=AS_OF) for p in parts]))
    same_rows(flag_table(log, per_week), pd.concat([flag_table(p, per_week) for p in parts]),
              [C.CLIENT_ID, C.DATE, "flag"])


@METRIC_SETTINGS
@given(phased_tables(), st.randoms(use_true_random=False), st.sets(st.sampled_from(CLIENTS), min_size=1))
def test_phase_effect_sizes_do_not_depend_on_row_order_or_other_clients(rows, rnd, group):
    log = as_log(rows)
    table = effect_table(log)
    assert set(table[C.CLIENT_ID]) == set(log[C.CLIENT_ID])  # every client has phases A and B
    shuffled = log.sample(frac=1, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    pd.testing.assert_frame_equal(table, effect_table(shuffled), check_exact=False, rtol=1e-9)
    mine = log[C.CLIENT_ID].isin(group)
    parts = [p.reset_index(drop=True) for p in (log[mine], log[~mine]) if len(p)]
    same_rows(table, pd.concat([effect_table(p) for p in parts]), [C.CLIENT_ID])


# ------------------------------------------------------------------ bounds


@METRIC_SETTINGS
@given(canonical_tables, st.sampled_from([None, 1, 3, 5, 7]))
def test_adherence_habit_strength_and_streaks_stay_in_bounds(rows, per_week):
    log = as_log(rows)
    table = consistency(log, prescription=per_week, as_of=AS_OF)
    assert (table["adherence"].dropna() >= 0).all()
    assert (table["adherence_28d"].dropna() >= 0).all()
    assert table["habit_strength"].between(0, 1).all()
    assert (table["current_streak"] <= table["longest_streak"]).all()
    assert (table["longest_streak"] >= 0).all()
    if per_week in (None, 7):  # daily: a streak counts session days
        assert (table["streak_unit"] == "days").all()
        assert (table["longest_streak"] <= table["active_days"]).all()
    else:  # weekly: a streak counts weeks that met the target, so weeks with a session
        weekly = weekly_consistency(log, prescription=per_week, as_of=AS_OF)
        weeks = weekly[weekly["sessions"] > 0].groupby(C.CLIENT_ID).size().reindex(table.index, fill_value=0)
        assert (table["streak_unit"] == "weeks").all()
        assert (table["longest_streak"] <= weeks).all()
    assert (table["active_days"] <= table["days"]).all()
    series = habit_strength_series(log, per_week or 7, as_of=AS_OF)
    assert series["habit_strength"].between(0, 1).all()
    assert series["habit_strength"].notna().all()


# ------------------------------------------------------------------ effect sizes

SYMMETRIC = ["NAP", "Tau", "Tau_U", "Tau_BC", "PND", "PEM", "PAND", "IRD", "SMD"]
phase = st.lists(st.integers(0, 10).map(float), min_size=1, max_size=12)


@SETTINGS
@given(phase, phase)
def test_effect_sizes_are_symmetric_under_a_sign_flip(a, b):
    up = effect_sizes(a, b, "increase", metrics=SYMMETRIC)
    down = effect_sizes(-np.array(a), -np.array(b), "decrease", metrics=SYMMETRIC)
    pd.testing.assert_frame_equal(up, down, check_exact=False, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(phase, phase)
def test_non_overlap_indices_stay_in_their_ranges(a, b):
    es = effect_sizes(a, b, "increase", metrics=["NAP", "Tau", "PND", "PEM", "PAND"])["est"]
    assert 0 <= es["NAP"] <= 1 and -1 <= es["Tau"] <= 1
    assert 0 <= es["PND"] <= 1 and 0 <= es["PEM"] <= 1 and 0 <= es["PAND"] <= 1
    assert es["Tau"] == pytest.approx(2 * es["NAP"] - 1)
