"""``report --anonymize`` computes exactly the metrics of a plain run, for every option of ``report``,
and replaces unknown stretch names (free text) as it replaces notes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from backanalytics import columns as C
from backanalytics.cli import app
from backanalytics.report import html
from backanalytics.report.anonymize import anonymize_log, anonymize_prescription, pseudonym
from backanalytics.report.figures import EmbeddedFigure

runner = CliRunner()
SECRET = "clinic-secret-1"
TINY_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4"
            "AAAAAElFTkSuQmCC")
#: Unknown stretch names as the clients typed them, and what anonymising makes of them: numbered
#: in the order the log first uses them (anna's rows come before grace's in the file).
UNKNOWN = {"Quexley twist": "other stretch 1", "wall lean": "other stretch 2"}


@pytest.fixture
def fast_charts(monkeypatch):
    """A tiny PNG instead of the matplotlib charts (the chart code has its own tests)."""
    stub = EmbeddedFigure(key="progress", title="stub", caption="stub", src=TINY_PNG, alt="stub")
    monkeypatch.setattr(html, "client_figures", lambda *a, **k: [stub])
    monkeypatch.setattr(html, "caseload_figures", lambda *a, **k: [stub])


@pytest.fixture
def files(sample_log, tmp_path) -> tuple[Path, Path]:
    """Three sample clients with two unknown stretch names, and a prescription table for them."""
    log = sample_log[sample_log[C.CLIENT_ID].isin(["anna", "grace", "hugo"])].reset_index(drop=True)
    anna = log.index[(log[C.CLIENT_ID] == "anna") & (log[C.STRETCH] == "Pelvic Tilts")][:5]
    grace = log.index[(log[C.CLIENT_ID] == "grace") & (log[C.STRETCH] == "Bridge Pose")][:5]
    log[C.STRETCH] = log[C.STRETCH].astype(object)
    log.loc[anna, C.STRETCH] = "Quexley twist"
    log.loc[grace, C.STRETCH] = "wall lean"
    src = tmp_path / "log.csv"
    log.assign(**{C.DATE: log[C.DATE].dt.strftime("%Y-%m-%d")}).to_csv(src, index=False)
    rx = tmp_path / "rx.csv"
    pd.DataFrame({"client_id": ["anna", "grace", "hugo"], "sessions_per_week": [3, 5, None],
                  "start": ["2026-08-20", None, None],
                  "stretches": ["Sphinx Pose;Quexley twist;her own lunge", "wall lean", None]}).to_csv(rx, index=False)
    return src, rx


def exported(src: Path, out: Path, options: list[str], anonymize: bool) -> dict[str, pd.DataFrame]:
    """Run ``report`` with Parquet exports and read the metric tables back."""
    args = ["report", str(src), "--out", str(out), "--format", "html", "--export", "parquet", "--jobs", "1",
            *options, *(["--anonymize", "--secret", SECRET] if anonymize else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return {p.stem.removeprefix("metrics_"): pd.read_parquet(p) for p in sorted(out.glob("metrics_*.parquet"))}


@pytest.mark.parametrize("options", [
    ["--all"],
    ["--all", "--prescription", "3"],
    ["--all", "--prescription", "RX"],
    ["--all", "--as-of", "2026-10-15", "--prescription", "RX"],
    ["--all", "--phase-date", "2026-08-31"],
    ["--client", "anna", "--prescription", "RX"],
    ["--client", "hugo", "--as-of", "2026-10-01", "--phase-date", "2026-08-31", "--prescription", "4"],
], ids=lambda o: " ".join(o))
def test_anonymized_metrics_equal_plain_metrics(files, tmp_path, fast_charts, options):
    src, rx = files
    options = [str(rx) if o == "RX" else o for o in options]
    plain = exported(src, tmp_path / "plain", options, anonymize=False)
    anon = exported(src, tmp_path / "anon", options, anonymize=True)
    assert plain.keys() == anon.keys() and {"clients", "weekly", "flags", "dose"} <= plain.keys()
    for name, table in plain.items():
        expected = table.assign(client_id=table[C.CLIENT_ID].map(lambda c: pseudonym(c, SECRET)))
        if C.STRETCH in expected:
            expected[C.STRETCH] = expected[C.STRETCH].replace(UNKNOWN)
        key = [c for c in (C.CLIENT_ID, C.STRETCH, "week", "date", "flag") if c in expected]
        pd.testing.assert_frame_equal(
            anon[name].sort_values(key).reset_index(drop=True),
            expected.sort_values(key).reset_index(drop=True).astype(anon[name].dtypes.to_dict()),
            obj=name)


def test_anonymized_run_follows_the_prescription_file(files, tmp_path, fast_charts):
    src, rx = files
    clients = exported(src, tmp_path / "anon", ["--all", "--prescription", str(rx)], anonymize=True)["clients"]
    clients = clients.set_index(C.CLIENT_ID)
    anna, grace, hugo = (pseudonym(c, SECRET) for c in ["anna", "grace", "hugo"])
    # The table's targets, not 7 a week for everyone; hugo has a blank target (= 7).
    assert clients.loc[[anna, grace, hugo], "sessions_per_week_target"].tolist() == [3.0, 5.0, 7.0]
    assert clients.loc[anna, "start"] == pd.Timestamp("2026-08-20")
    # anna did Sphinx Pose and her "Quexley twist", never "her own lunge": 2 of 3; grace did her wall lean.
    assert clients.loc[anna, "prescribed_coverage"] == pytest.approx(2 / 3)
    assert clients.loc[grace, "prescribed_coverage"] == 1.0


def test_unknown_stretch_names_become_numbered_labels(sample_log):
    log = sample_log[sample_log[C.CLIENT_ID] == "anna"].head(6).reset_index(drop=True)
    log[C.STRETCH] = pd.Series(["Cobra Stretch", "Mrs Quexley's twist", "wall lean", "Mrs Quexley's twist",
                                None, "wall lean"], dtype=log[C.STRETCH].dtype)
    anon = anonymize_log(log, SECRET)
    assert anon[C.STRETCH].tolist()[:4] == ["Cobra Stretch", "other stretch 1", "other stretch 2", "other stretch 1"]
    assert pd.isna(anon.loc[4, C.STRETCH]) and anon.loc[5, C.STRETCH] == "other stretch 2"
    assert log.loc[1, C.STRETCH] == "Mrs Quexley's twist"  # the caller's log is left alone


def test_prescription_names_the_log_never_uses_get_labels_of_their_own(sample_log):
    log = pd.DataFrame({C.CLIENT_ID: ["anna", "anna"], C.STRETCH: ["her lunge", "Cobra Stretch"]})
    rx = pd.DataFrame({C.CLIENT_ID: ["anna", "ben"], "sessions_per_week": [3, 4],
                       "stretches": [["Cobra Stretch", "her lunge"], "the Quexley stretch;her lunge"]})
    out = anonymize_prescription(rx, log, SECRET)
    assert out[C.CLIENT_ID].tolist() == [pseudonym("anna", SECRET), pseudonym("ben", SECRET)]
    assert out.loc[0, "stretches"] == ["Cobra Stretch", "other stretch 1"]
    assert out.loc[1, "stretches"] == "other stretch 2;other stretch 1"
    assert rx.loc[0, C.CLIENT_ID] == "anna" and anonymize_prescription(3.0, log, SECRET) == 3.0
