"""Function questionnaires: scoring by the published rules, validation, and outcomes against the MCID.

Every expected number is worked by hand in the test, from the rule cited beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backanalytics as ba
from backanalytics.instruments import MODIFIED_ODI, instrument_name, odi_band
from backanalytics.io import LogReadError

TODAY = "2026-12-01"


def odi_row(answers: list[object], client: str = "ana", date: str = "2026-03-02", **extra: object) -> dict:
    return {"client_id": client, "date": date, "instrument": "ODI",
            **{f"item_{k}": a for k, a in enumerate(answers, start=1)}, **extra}


def validate(rows: list[dict]) -> ba.ValidationReport:
    return ba.validate_assessments(pd.DataFrame(rows), today=TODAY)


# --- scoring: hand-worked published examples -------------------------------------------------

def test_odi_all_ten_sections_is_sum_over_fifty():
    # Fairbank & Pynsent 2000: 16 points of a possible 50 -> 16 / 50 x 100 = 32 %.
    report = validate([odi_row([5, 5, 5, 1, 0, 0, 0, 0, 0, 0])])
    assert report.valid["score"].tolist() == [32.0]
    assert report.valid["items_answered"].tolist() == [10]


def test_odi_one_missing_section_lowers_the_denominator_by_five():
    # 16 points of a possible 45 (one section unanswered) -> 16 / 45 x 100 = 35.555... %.
    report = validate([odi_row([5, 5, 5, 1, 0, 0, 0, 0, 0, ""])])
    assert report.valid["score"].iloc[0] == pytest.approx(35.5556, abs=1e-4)
    assert report.valid["items_answered"].tolist() == [9]


def test_odi_two_missing_sections_still_scored():
    # 16 of a possible 40 -> 40 %.
    report = validate([odi_row([5, 5, 5, 1, 0, 0, 0, 0, "", ""])])
    assert report.valid["score"].tolist() == [40.0]


def test_odi_more_than_two_missing_sections_is_not_scored_with_the_reason():
    report = validate([odi_row([5, 5, 5, 1, 0, 0, 0, "", "", ""])])
    assert report.valid.empty and len(report.rejected) == 1
    assert report.failures["rule"].tolist() == [
        "ODI not scored: 3 of 10 sections unanswered; more than 2 missing cannot be scored "
        "(Fairbank & Pynsent 2000)"]


def test_rmdq_is_the_number_of_yes_answers():
    # Yes to statements 1, 3, 5, 8, 13, 17 and 21, no to the other 17 -> 7; answers written as
    # yes / no, Y / N, 1 / 0 and true / false all count.
    yes = {1, 3, 5, 8, 13, 17, 21}
    spellings = ["yes", "Y", "1", "true"]
    answers = {f"item_{k}": (spellings[k % 4] if k in yes else ["no", "N", "0", "False"][k % 4])
               for k in range(1, 25)}
    report = validate([{"client_id": "ben", "date": "2026-03-02", "instrument": "Roland Morris", **answers}])
    assert report.valid[["instrument", "score", "items_answered"]].values.tolist() == [["RMDQ", 7.0, 24]]


def test_rmdq_with_an_unanswered_statement_is_not_scored():
    answers = {f"item_{k}": "no" for k in range(1, 24)}  # item_24 left empty
    report = validate([{"client_id": "ben", "date": "2026-03-02", "instrument": "RMDQ", **answers}])
    assert report.valid.empty
    assert report.failures["rule"].tolist() == ["RMDQ not scored: 23 of 24 statements answered; all 24 are needed"]


def test_psfs_is_the_mean_of_the_rated_activities():
    # Three activities rated 3, 5 and 4 -> 12 / 3 = 4.0; four rated 2, 7, 6, 4 -> 19 / 4 = 4.75.
    report = validate([
        {"client_id": "cat", "date": "2026-03-02", "instrument": "PSFS", "item_1": 3, "item_2": 5, "item_3": 4,
         "activity_1": "putting on socks", "activity_2": "gardening", "activity_3": "lifting my son"},
        {"client_id": "cat", "date": "2026-04-13", "instrument": "patient-specific functional scale",
         "item_1": 2, "item_2": 7, "item_3": 6, "item_4": 4}])
    assert report.valid["score"].tolist() == [4.0, 4.75]
    assert report.valid["activities"].iloc[0] == "putting on socks; gardening; lifting my son"


def test_psfs_with_two_activities_is_not_scored():
    report = validate([{"client_id": "cat", "date": "2026-03-02", "instrument": "PSFS", "item_1": 3, "item_2": 5}])
    assert report.failures["rule"].tolist() == [
        "PSFS not scored: 2 activities rated; 3 to 5 are needed (Stratford 1995)"]


def test_instrument_spellings():
    assert [instrument_name(s) for s in ["odi", "Oswestry", "Roland-Morris", "RMQ", "psfs", "SF-36"]] == [
        "ODI", "ODI", "RMDQ", "RMDQ", "PSFS", None]


def test_odi_bands_at_their_edges():
    # Fairbank & Pynsent 2000: 0-20 minimal, 21-40 moderate, 41-60 severe, 61-80 crippling, 81-100 bed-bound.
    assert [odi_band(s) for s in [0, 20, 21, 40, 41, 60, 61, 80, 81, 100]] == [
        "minimal", "minimal", "moderate", "moderate", "severe", "severe", "crippling", "crippling",
        "bed-bound", "bed-bound"]


# --- validation: problems named, rows never lost ---------------------------------------------

def test_a_total_agreeing_with_its_items_is_kept_and_one_disagreeing_is_rejected():
    rows = [odi_row([5, 5, 5, 1, 0, 0, 0, 0, 0, 0], score="32"),
            odi_row([5, 5, 5, 1, 0, 0, 0, 0, 0, ""], score="36"),  # 35.6 rounded to a whole percent
            odi_row([5, 5, 5, 1, 0, 0, 0, 0, 0, 0], score="40")]
    report = validate(rows)
    assert report.valid["score"].round(1).tolist() == [32.0, 35.6]
    assert report.failures[["source_line", "column", "value", "rule"]].values.tolist() == [
        [3, "score", "40", "score disagrees with its items (they give 32.0)"]]


def test_a_total_alone_is_scored_as_written():
    report = validate([{"client_id": "d", "date": "2026-03-02", "instrument": "RMDQ", "score": "9"}])
    assert report.valid[["score", "items_answered"]].values.tolist() == [[9.0, pd.NA]]


def test_out_of_range_items_and_totals_are_rejected_with_their_rule():
    rows = [odi_row([6, 5, 5, 1, 0, 0, 0, 0, 0, 0]),
            odi_row([2.5, 5, 5, 1, 0, 0, 0, 0, 0, 0]),
            {"client_id": "b", "date": "2026-03-02", "instrument": "RMDQ", "item_1": "maybe",
             **{f"item_{k}": "no" for k in range(2, 25)}},
            {"client_id": "c", "date": "2026-03-02", "instrument": "PSFS", "item_1": 11, "item_2": 5, "item_3": 4},
            {"client_id": "c", "date": "2026-03-02", "instrument": "PSFS", "score": "10.5"},
            {"client_id": "c", "date": "2026-03-02", "instrument": "RMDQ", "score": "25"},
            {"client_id": "c", "date": "2026-03-02", "instrument": "RMDQ", "score": "7.5"}]
    report = validate(rows)
    assert report.valid.empty and len(report.rejected) == 7
    assert report.failures[["source_line", "column", "rule"]].values.tolist() == [
        [1, "item_1", "ODI answers must be whole numbers from 0 to 5"],
        [2, "item_1", "ODI answers must be whole numbers from 0 to 5"],
        [3, "item_1", "RMDQ answers are yes / no (or 1 / 0)"],
        [4, "item_1", "PSFS ratings must be between 0 and 10"],
        [5, "score", "PSFS score must be between 0 and 10"],
        [6, "score", "RMDQ score must be between 0 and 24"],
        [7, "score", "RMDQ score must be a whole number (a count of yes answers)"]]


def test_unknown_instrument_extra_items_and_empty_rows_are_rejected():
    rows = [{"client_id": "a", "date": "2026-03-02", "instrument": "SF-36", "score": "50"},
            odi_row([1] * 10, item_11=3),
            {"client_id": "a", "date": "2026-03-02", "instrument": "ODI"}]
    report = validate(rows)
    assert report.failures[["source_line", "column", "rule"]].values.tolist() == [
        [1, "instrument", "unknown instrument: use ODI, RMDQ or PSFS"],
        [2, "item_11", "ODI has 10 items; item_11 must be empty"],
        [3, "score", "a questionnaire needs its item answers or a score"]]
    assert report.failures["value"].iloc[:2].tolist() == ["SF-36", 3] and pd.isna(report.failures["value"].iloc[2])


def test_missing_keys_bad_and_future_dates_are_rejected():
    rows = [{"client_id": "", "date": "2026-03-02", "instrument": "RMDQ", "score": 3},
            {"client_id": "a", "date": "2026-02-30", "instrument": "RMDQ", "score": 3},
            {"client_id": "a", "date": "2027-01-01", "instrument": "RMDQ", "score": 3},
            {"client_id": "x" * 65, "date": "2026-03-02", "instrument": "RMDQ", "score": 3}]
    report = validate(rows)
    assert report.failures[["source_line", "column", "rule"]].values.tolist() == [
        [1, "client_id", "client_id is required"],
        [2, "date", "date is not a date (write YYYY-MM-DD)"],
        [3, "date", "date must not be in the future (after 2026-12-01)"],
        [4, "client_id", "client_id must be 1 to 64 characters"]]


def test_file_lines_and_headers_as_people_write_them(tmp_path):
    path = tmp_path / "questionnaires.csv"
    path.write_text("Patient ID;Date;Questionnaire;Total;Colour\n"
                    "ana;02.03.2026;Oswestry;32;blue\n"
                    "ana;13.04.2026;ODI;101;red\n", encoding="utf-8")
    report = ba.validate_assessments(path, today=TODAY)
    assert report.valid[["client_id", "instrument", "score"]].values.tolist() == [["ana", "ODI", 32.0]]
    assert report.failures[["source_line", "column", "value", "rule"]].values.tolist() == [
        [3, "score", 101.0, "ODI score must be between 0 and 100"]]
    assert report.warnings[["column", "warning"]].values.tolist() == [
        ["Colour", "column not understood; ignored (use mapping= to name it)"]]
    assert report.rejected["problems"].tolist() == ["score: ODI score must be between 0 and 100"]


def test_two_columns_for_the_score_that_disagree_reject_the_row():
    report = validate([{"client_id": "a", "date": "2026-03-02", "instrument": "RMDQ", "score": 4, "total": 5},
                       {"client_id": "a", "date": "2026-03-09", "instrument": "RMDQ", "score": 4, "total": 4}])
    assert report.valid["score"].tolist() == [4.0]
    assert report.failures["rule"].tolist() == ["columns 'score' and 'total' both mean score and disagree"]


def test_a_log_with_odi_rmdq_psfs_columns_gives_one_questionnaire_per_filled_cell(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("client_id,date,stretch,pain,ODI,rmdq,psfs\n"
                    "ana,2026-03-02,Cobra Stretch,6,40,,\n"
                    "ana,2026-03-03,Cobra Stretch,5,,,\n"
                    "ana,2026-04-13,Cobra Stretch,3,28,9,12\n", encoding="utf-8")
    report = ba.validate_assessments(path, today=TODAY)
    assert report.rows_read == 4  # filled cells: 40; 28, 9, 12
    assert report.valid[["date", "instrument", "score"]].astype(str).values.tolist() == [
        ["2026-03-02", "ODI", "40.0"], ["2026-04-13", "ODI", "28.0"], ["2026-04-13", "RMDQ", "9.0"]]
    assert report.failures[["source_line", "column", "rule"]].values.tolist() == [
        [4, "score", "PSFS score must be between 0 and 10"]]
    assert report.warnings.empty  # stretch and pain belong to the log


def test_same_day_repeat_is_a_warning_not_a_rejection():
    report = validate([{"client_id": "a", "date": "2026-03-02", "instrument": "RMDQ", "score": 4},
                       {"client_id": "a", "date": "2026-03-02", "instrument": "rmdq", "score": 6}])
    assert len(report.valid) == 2 and report.warnings["source_line"].tolist() == [2]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"client_id,date,instrument,score\n", "no rows"),
    (b"client_id,date,score\na,2026-03-02,4\n", "missing column(s) instrument"),
    (b"client_id,date,instrument,notes\na,2026-03-02,ODI,x\n", "no item columns"),
])
def test_unusable_files_fail_with_one_readable_message(tmp_path, content, message):
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(LogReadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ba.validate_assessments(path, today=TODAY)


def test_hostile_cells_are_rejected_or_kept_as_text_never_lost(tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text('client_id,date,instrument,score\n'
                    '=HYPERLINK("http://x"),2026-03-02,ODI,30\n'
                    'a,2026-03-02,ODI,inf\n'
                    'a,2026-03-02,ODI,NaN\n'
                    'a,2026-03-02,"ODI\nRMDQ",3\n'
                    'a,2026-03-02,ODI,1e308\n'
                    'a,2026-03-02,ODI,-0\n'
                    'a,1800-01-01,PSFS,3,extra\n', encoding="utf-8")
    report = ba.validate_assessments(path, today=TODAY)
    assert report.rows_read == 7 and len(report.valid) + len(report.rejected) == 7
    assert report.valid["client_id"].tolist() == ['=HYPERLINK("http://x")', "a"]
    assert report.valid["score"].tolist() == [30.0, 0.0]
    # lines: inf 3, NaN (= no score) 4, a two-line instrument 5-6, 1e308 7, -0 8 (valid), 1800 and an
    # extra field 9
    assert sorted(report.failures["source_line"].unique()) == [3, 4, 5, 7, 9]


# --- outcomes: direction, MCID boundaries, not enough data ----------------------------------

def scores(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["client_id", "date", "instrument", "score"]).assign(
        date=lambda d: pd.to_datetime(d["date"]))


def outcome(rows: list[tuple[str, str, str, float]], **kw: object) -> dict:
    out = ba.assessment_outcomes(scores(rows), **kw)
    assert len(out) == 1
    return {c: out[c].iloc[0] for c in out}


@pytest.mark.parametrize(("first", "last", "mcid", "mdc"), [
    (40.0, 30.0, True, False),   # -10 points: exactly the MCID (Ostelo 2008); MDC 10.5 not reached
    (40.0, 31.0, False, False),  # -9 points, 22.5 %: neither 10 points nor 30 %
    (20.0, 14.0, True, False),   # -6 points = exactly 30 % of 20
    (40.0, 29.5, True, True),    # -10.5 points: exactly the MDC
    (30.0, 40.0, False, False),  # worse
])
def test_odi_mcid_and_mdc_on_their_boundaries(first, last, mcid, mdc):
    out = outcome([("a", "2026-03-02", "ODI", first), ("a", "2026-04-13", "ODI", last)])
    assert (out["mcid_reached"], out["mdc_reached"], out["improved"]) == (mcid, mdc, last < first)
    assert out["change"] == last - first
    assert out["pct_change"] == pytest.approx((last - first) / first * 100)


def test_modified_odi_mcid_is_six_points():
    rows = [("a", "2026-03-02", "ODI", 40.0), ("a", "2026-04-13", "ODI", 34.0)]  # -6 points, 15 %
    assert not outcome(rows)["mcid_reached"]
    assert outcome(rows, thresholds=MODIFIED_ODI)["mcid_reached"]


@pytest.mark.parametrize(("first", "last", "mcid", "recovered"), [
    (20.0, 15.0, True, False),  # -5 points: exactly the MCID
    (20.0, 16.0, False, False),  # -4 points, 20 %
    (10.0, 7.0, True, False),   # -3 points = exactly 30 %
    (6.0, 2.0, True, True),     # recovered at <= 2 (Kamper 2010)
    (6.0, 3.0, True, False),
])
def test_rmdq_mcid_and_recovery(first, last, mcid, recovered):
    out = outcome([("a", "2026-03-02", "RMDQ", first), ("a", "2026-04-13", "RMDQ", last)])
    assert (out["mcid_reached"], out["recovered"]) == (mcid, recovered)


@pytest.mark.parametrize(("first", "last", "improved", "mcid"), [
    (3.0, 5.0, True, True),    # +2 points: exactly the MCID for the mean (Stratford 1995)
    (3.0, 4.9, True, False),
    (5.0, 3.0, False, False),  # a lower PSFS is worse: higher is better
    (2.0, 2.5, True, False),   # +25 %: PSFS has no percentage rule
])
def test_psfs_direction_is_higher_is_better(first, last, improved, mcid):
    out = outcome([("a", "2026-03-02", "PSFS", first), ("a", "2026-04-13", "PSFS", last)])
    assert (out["improved"], out["mcid_reached"], out["band"], out["recovered"]) == (
        improved, mcid, None, pd.NA)


def test_one_questionnaire_has_a_baseline_but_no_verdict():
    out = outcome([("a", "2026-03-02", "ODI", 44.0)])
    assert (out["baseline"], out["latest"], out["change"], out["n_assessments"], out["days_between"]) == (
        44.0, 44.0, 0.0, 1, 0)
    assert out["improved"] is pd.NA and out["mcid_reached"] is pd.NA and out["band"] == "severe"


def test_as_of_ignores_later_questionnaires_and_same_day_scores_are_averaged():
    rows = [("a", "2026-03-02", "ODI", 40.0), ("a", "2026-03-02", "ODI", 44.0),
            ("a", "2026-04-13", "ODI", 30.0), ("a", "2026-05-25", "ODI", 10.0)]
    out = outcome(rows, as_of="2026-04-30")
    # baseline = (40 + 44) / 2 = 42; latest = 30 on 2026-04-13 (42 days later); 3 questionnaires.
    assert (out["baseline"], out["latest"], out["change"], out["days_between"], out["n_assessments"]) == (
        42.0, 30.0, -12.0, 42, 3)


def test_one_row_per_client_and_instrument_in_catalog_order():
    out = ba.assessment_outcomes(scores([("b", "2026-03-02", "PSFS", 3.0), ("b", "2026-03-02", "ODI", 30.0),
                                         ("a", "2026-03-02", "RMDQ", 5.0)]))
    assert out[["client_id", "instrument"]].values.tolist() == [["a", "RMDQ"], ["b", "ODI"], ["b", "PSFS"]]
    assert ba.assessment_outcomes(scores([])).empty


# --- properties ---------------------------------------------------------------------------

_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 60),
                           st.sampled_from(["ODI", "RMDQ", "PSFS"]), st.integers(0, 24)), min_size=1, max_size=25)


def _table(rows: list[tuple[str, int, str, int]]) -> pd.DataFrame:
    limit = {"ODI": 100, "RMDQ": 24, "PSFS": 10}
    return pd.DataFrame({"client_id": [r[0] for r in rows],
                         "date": pd.Timestamp("2026-03-02") + pd.to_timedelta([r[1] for r in rows], unit="D"),
                         "instrument": [r[2] for r in rows],
                         "score": [float(min(r[3] * 4 if r[2] == "ODI" else r[3], limit[r[2]])) for r in rows]})


@settings(max_examples=60, deadline=None)
@given(_rows, st.randoms(use_true_random=False))
def test_outcomes_do_not_depend_on_row_order(rows, rnd):
    table = _table(rows)
    order = list(range(len(table)))
    rnd.shuffle(order)
    as_of = table["date"].max()
    pd.testing.assert_frame_equal(ba.assessment_outcomes(table, as_of=as_of),
                                  ba.assessment_outcomes(table.iloc[order], as_of=as_of))


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_a_clients_outcomes_do_not_depend_on_other_clients(rows):
    table = _table(rows)
    as_of = table["date"].max()
    whole = ba.assessment_outcomes(table, as_of=as_of)
    alone = ba.assessment_outcomes(table[table["client_id"] == "a"], as_of=as_of)
    pd.testing.assert_frame_equal(whole[whole["client_id"] == "a"].reset_index(drop=True), alone)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ODI", "rmdq", "PSFS", "sf36", ""]),
                          st.sampled_from(["3", "7.5", "-1", "x", "", "30", "101"])), min_size=1, max_size=15))
def test_validation_conserves_rows_and_is_order_independent(cells):
    raw = pd.DataFrame({"client_id": "a", "date": "2026-03-02", "instrument": [c[0] for c in cells],
                        "score": [c[1] for c in cells]})
    report = ba.validate_assessments(raw, today=TODAY)
    assert len(report.valid) + len(report.rejected) == len(raw)
    reverse = ba.validate_assessments(raw.iloc[::-1], today=TODAY)
    assert sorted(report.valid["score"].tolist()) == sorted(reverse.valid["score"].tolist())
    assert np.isin(report.rejected["score"], raw["score"]).all()


def test_a_header_written_twice_is_one_column_and_a_disagreement_rejects_the_row(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("client_id,date,instrument,score,score\n"
                    "a,2026-03-02,ODI,30,30\n"
                    "a,2026-03-09,ODI,30,40\n"
                    "a,2026-03-16,ODI,,24\n", encoding="utf-8")
    report = ba.validate_assessments(path, today=TODAY)
    assert report.valid["score"].tolist() == [30.0, 24.0] and report.warnings.empty
    assert report.failures[["source_line", "rule"]].values.tolist() == [
        [3, "columns 'score' and 'score.1' both mean score and disagree"]]
