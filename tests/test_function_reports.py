"""Function questionnaires where people see them: caseload metrics, reports, charts, exports, CLI, sample."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics.cli import app
from backanalytics.plots.function import function_chart
from backanalytics.report.content import client_summary, compute_metrics
from backanalytics.report.export import export_tables
from backanalytics.report.html import render_caseload_html
from backanalytics.sample import generate_log
from backanalytics.sample_assessments import generate_assessments

runner = CliRunner()


def small_log() -> pd.DataFrame:
    days = pd.date_range("2026-03-02", periods=43)
    return pd.DataFrame({"client_id": ["a"] * 43 + ["b"] * 43, "date": list(days) * 2, "stretch": "Cobra Stretch",
                         "hold_s": 20.0, "reps": pd.array([3] * 86, dtype="Int64"), "pain": 5.0,
                         "pain_after": float("nan"), "flexibility": float("nan"), "reach_cm": float("nan"),
                         "notes": None, "planned_rest": False, "time": None, "side": None})


def small_scores() -> pd.DataFrame:
    return pd.DataFrame({"client_id": ["a", "a", "b", "b"],
                         "date": pd.to_datetime(["2026-03-02", "2026-04-13", "2026-03-02", "2026-04-13"]),
                         "instrument": ["ODI", "ODI", "PSFS", "PSFS"], "score": [40.0, 28.0, 4.0, 5.0],
                         "items_answered": pd.array([10, 10, 3, 3], dtype="Int64"), "activities": None})


def test_caseload_metrics_gains_the_function_outcomes():
    tables = ba.caseload_metrics(small_log(), assessments=small_scores(), threads=1)
    pd.testing.assert_frame_equal(tables.function, ba.assessment_outcomes(small_scores(), as_of="2026-04-13"))
    assert ba.caseload_metrics(small_log(), threads=1).function is None


def test_client_summary_says_what_changed_in_plain_words():
    metrics = compute_metrics(small_log(), assessments=small_scores())
    a = client_summary(metrics, "a")["function"]
    # ODI 40 -> 28 %: -12 points (-30 %), at least the 10-point MCID (Ostelo 2008).
    assert a["rows"][0]["change"] == "-12 points, -30 %"
    assert a["rows"][0]["verdict"] == "a clinically important improvement (at least 10 points or 30 %)"
    b = client_summary(metrics, "b")["function"]
    # PSFS 4 -> 5: +1 point, below the 2-point MCID.
    assert b["rows"][0]["verdict"] == "better, but less than a clinically important change (2 points)"


def test_caseload_report_shows_the_report_card_with_n():
    metrics = compute_metrics(small_log(), assessments=small_scores())
    page = render_caseload_html(metrics, figures=[])
    assert "Oswestry Disability Index (ODI): 1 of 1 re-assessed client reached the MCID (100 %)." in page
    assert "Patient-Specific Functional Scale (PSFS): 0 of 1 re-assessed client reached the MCID (0 %)." in page
    assert "ODI -12 (MCID)" in page and "PSFS +1" in page


def test_function_chart_draws_the_band_around_the_first_score():
    ax = function_chart(small_scores(), "a", "ODI", ax=Figure().add_subplot())
    band = ax.patches[0]  # axhspan: first score 40 +/- the 10-point MCID
    assert (band.get_y(), band.get_y() + band.get_height()) == (30.0, 50.0)
    ax = function_chart(small_scores(), "a", "ODI", ax=Figure().add_subplot(), thresholds={"odi_mcid_points": 6})
    band = ax.patches[0]
    assert (band.get_y(), band.get_y() + band.get_height()) == (34.0, 46.0)
    empty = function_chart(small_scores(), "a", "RMDQ", ax=Figure().add_subplot())
    assert empty.texts[0].get_text() == "No RMDQ questionnaire"


def test_exports_gain_the_assessments_and_function_tables():
    tables = export_tables(compute_metrics(small_log(), assessments=small_scores()))
    assert len(tables["assessments"]) == 4
    assert tables["function"][["client_id", "instrument", "change"]].values.tolist() == [
        ["a", "ODI", -12.0], ["b", "PSFS", 1.0]]
    assert "assessments" not in export_tables(compute_metrics(small_log()))


def test_sample_questionnaires_are_valid_and_fit_the_stories():
    log = generate_log()
    report = ba.validate_assessments(generate_assessments(log), today="2026-12-01")
    assert report.ok and report.rows_read == 52
    out = ba.assessment_outcomes(report.valid).set_index(["client_id", "instrument"])
    assert bool(out.loc[("anna", "ODI"), "mcid_reached"])       # steady improver
    assert not bool(out.loc[("ben", "RMDQ"), "mcid_reached"])   # plateau
    assert not bool(out.loc[("grace", "RMDQ"), "improved"])     # pain creeps up
    assert out.loc[("dev", "ODI"), "latest_date"] < pd.Timestamp("2026-10-01")  # dropped out: no discharge


def write_sample(tmp_path) -> tuple[str, str]:
    log = generate_log(n_clients=9, days=98)
    log_path, scores_path = tmp_path / "log.csv", tmp_path / "scores.csv"
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).drop(columns="planned_rest").to_csv(log_path, index=False)
    generate_assessments(log).to_csv(scores_path, index=False)
    return str(log_path), str(scores_path)


def test_cli_summary_with_assessments_adds_the_function_columns(tmp_path):
    log_path, scores_path = write_sample(tmp_path)
    result = runner.invoke(app, ["summary", log_path, "--assessments", scores_path, "--format", "csv",
                                 "--client", "anna"])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split(",")
    assert {"odi_change", "odi_mcid_reached", "psfs_change"} <= set(header)


def test_cli_lists_rejected_questionnaires_and_fails_cleanly_on_unusable_ones(tmp_path):
    log_path, _ = write_sample(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("client_id,date,instrument,score\nanna,2026-09-01,ODI,120\nanna,2026-10-01,ODI,30\n")
    result = runner.invoke(app, ["summary", log_path, "--assessments", str(bad)])
    assert result.exit_code == 0
    assert "line 2: score '120.0': ODI score must be between 0 and 100" in result.stderr
    bad.write_text("client_id,date,instrument,score\nzoe,2026-09-01,ODI,40\n")
    result = runner.invoke(app, ["summary", log_path, "--assessments", str(bad)])
    assert "questionnaires of 1 client(s) not in the log are not reported: 'zoe'" in result.stderr
    (tmp_path / "none.csv").write_text("client_id,date\nanna,2026-09-01\n")
    result = runner.invoke(app, ["summary", log_path, "--assessments", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "missing column(s) instrument" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["csv"])
def test_cli_report_writes_the_function_section_and_exports(tmp_path, kind):
    log_path, scores_path = write_sample(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", log_path, "--client", "anna", "--format", "html", "--out", str(out),
                                 "--assessments", scores_path, "--export", kind])
    assert result.exit_code == 0, result.output
    page = (out / "client_anna.html").read_text()
    assert "What you can do" in page and "Oswestry Disability Index (ODI)" in page
    assert page.count('class="chart function-') == 2  # ODI and PSFS charts
    function = pd.read_csv(out / "metrics_function.csv")
    assert set(function["client_id"]) == {"anna"} and set(function["instrument"]) == {"ODI", "PSFS"}


def test_constant_baseline_smd_is_said_in_words_not_printed_as_a_number():
    from backanalytics.report.words import effect_summary

    es = ba.effect_sizes([4, 4, 4, 4], [2, 3, 4], "decrease")  # SMD = +Inf (SingleCaseES)
    table = es.reset_index(names="metric").assign(client_id="x", n_a=4, n_b=3)
    summary = effect_summary(table)
    smd = next(r for r in summary["rows"] if r["metric"] == "SMD")
    assert smd["est"] == "none: the baseline did not vary" and smd["ci"] == ""
    assert "Pain was the same on every baseline day" in summary["text"]
    assert "inf" not in " ".join(r["est"] for r in summary["rows"])


def test_committed_sample_questionnaires_are_what_the_sample_command_writes(sample_path, sample_log, tmp_path):
    from backanalytics.sample_assessments import assessments_path, write_sample_assessments

    committed = assessments_path(sample_path)
    assert committed.name == "sample_assessments.csv"
    write_sample_assessments(sample_log, tmp_path / "fresh.csv")
    assert (tmp_path / "fresh.csv").read_text() == committed.read_text()


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".json"])
def test_assessments_read_from_every_format_the_log_reader_takes(tmp_path, suffix):
    table = pd.DataFrame({"client_id": ["a", "a"], "date": ["2026-03-02", "2026-04-13"],
                          "instrument": ["Oswestry", "ODI"], "score": [40, 130]})
    path = tmp_path / f"scores{suffix}"
    {".xlsx": lambda: table.to_excel(path, index=False), ".parquet": lambda: table.to_parquet(path),
     ".json": lambda: table.to_json(path, orient="records")}[suffix]()
    report = ba.validate_assessments(path, today="2026-12-01")
    assert report.valid["score"].tolist() == [40.0] and report.rows_read == 2
    assert report.failures["rule"].tolist() == ["ODI score must be between 0 and 100"]


def test_cli_reads_questionnaire_totals_carried_in_the_log(tmp_path):
    path = tmp_path / "clinic.csv"
    path.write_text("client_id,date,stretch,pain,ODI\n"
                    "ana,2026-03-02,Cobra Stretch,6,40\n"
                    "ana,2026-04-13,Cobra Stretch,3,28\n", encoding="utf-8")
    result = runner.invoke(app, ["summary", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    row = dict(zip(*[line.split(",") for line in result.stdout.splitlines()[:2]], strict=True))
    # ODI 40 -> 28 %: -12 points, at least the 10-point MCID.
    assert (row["odi_baseline"], row["odi_latest"], row["odi_change"], row["odi_mcid_reached"]) == (
        "40.0", "28.0", "-12.0", "True")
    assert "(questionnaire totals in the log)" in result.stderr


def test_anonymised_exports_carry_pseudonyms_and_no_activity_texts(tmp_path):
    from backanalytics.report.anonymize import pseudonym
    from backanalytics.report.batch import build_reports

    scores = small_scores().assign(activities="walking the dog with Mrs Smith")
    secret = "a-long-enough-secret"
    result = build_reports(small_log(), tmp_path, formats=("html",), caseload=False, exports=("csv",),
                           secret=secret, assessments=scores, jobs=1, progress=False)
    exported = pd.read_csv(tmp_path / "metrics_assessments.csv")
    assert set(exported["client_id"]) == {pseudonym("a", secret), pseudonym("b", secret)}
    assert exported["activities"].isna().all()
    for path in result.files:
        text = path.read_text(encoding="utf-8")
        assert "Mrs Smith" not in text
