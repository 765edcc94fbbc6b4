"""Every notebook runs top to bottom against the sample data, and is stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def run(name: str, tmp_path: Path, **parameters: object) -> dict:
    out = tmp_path / f"out-{name}"
    parameters.setdefault("OUTPUT_DIR", str(tmp_path / "reports")) if name.startswith("03") else None
    if name.startswith("02"):
        parameters.setdefault("EXPORT_DIR", str(tmp_path / "caseload"))
    papermill.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                               cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False)
    return json.loads(out.read_text())


def outputs_text(book: dict) -> str:
    parts = []
    for cell in book["cells"]:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def test_there_are_the_three_story_notebooks_and_the_ab_one():
    assert [p.name for p in ALL] == ["01-my-progress.ipynb", "02-caseload-review.ipynb",
                                     "03-client-report.ipynb", "04-single-case-ab.ipynb"]


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebooks_are_stored_without_outputs(path):
    book = json.loads(path.read_text())
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebooks_define_no_analysis_functions(path):
    book = json.loads(path.read_text())
    source = "\n".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    assert "def " not in source and "class " not in source


def test_my_progress_runs_and_shows_the_rejected_example(tmp_path):
    text = outputs_text(run("01-my-progress.ipynb", tmp_path))
    assert "3 rejected" in text  # the hand-typed example: pain 12, 30 February, a 0 s hold
    assert "anna" in text


def test_caseload_review_runs_and_exports(tmp_path):
    text = outputs_text(run("02-caseload-review.ipynb", tmp_path))
    assert "no_improvement" in text and "grace" in text
    assert any((tmp_path / "caseload").glob("*.xlsx"))


@pytest.mark.parametrize("client", ["anna", "hugo"])
def test_client_report_runs_for_several_clients(tmp_path, client):
    text = outputs_text(run("03-client-report.ipynb", tmp_path, CLIENT=client))
    assert client in text
    assert (tmp_path / "reports" / "metrics.csv").exists()


def test_client_report_numbers_agree_with_the_package(tmp_path, sample_log):
    import pandas as pd

    run("03-client-report.ipynb", tmp_path, CLIENT="carla")
    written = pd.read_csv(tmp_path / "reports" / "metrics.csv", index_col=0)["value"]
    from backanalytics.report.content import client_summary

    expected = client_summary(sample_log, "carla")["metrics"]
    for key in ["adherence", "pain_change"]:
        assert float(written[key]) == pytest.approx(float(expected[key]))


def test_single_case_notebook_reports_nap(tmp_path):
    text = outputs_text(run("04-single-case-ab.ipynb", tmp_path))
    assert "NAP" in text and "baseline and" in text
