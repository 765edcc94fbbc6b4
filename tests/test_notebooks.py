"""The notebooks run top to bottom against the sample data, are stored without outputs, call the package for
every number, explain every metric they show with its reference, and agree with the CLI's reports.

Each notebook is executed once per parameter set (papermill) and shared by the tests below.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import papermill
import pytest
from typer.testing import CliRunner

from backanalytics.cli import app

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
PHASE = "2026-08-31"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # JupyterLab's: charts become image outputs
#: (client, phase date) runs of the parameterised client report.
CLIENT_RUNS = [("anna", None), ("hugo", PHASE)]

#: A metric a notebook shows -> what its markdown must say about it (the clinical reference, or the sign
#: convention where the reference alone would not tell which way is better).
REFERENCES: dict[str, list[str]] = {
    "adherence": ["80 %", "Haynes"],
    "adherence_28d": ["28 days", "60 %"],
    "habit_strength": ["Loop Habit Tracker"],
    "current_streak": ["in a row"],
    "dose_within_guidance": ["ACSM", "10-30 s"],
    "pain_mcid_reached": ["Farrar 2001", "Ostelo 2008", "2 points or 30 %"],
    "pain_band": ["IMMPACT", "Dworkin 2008"],
    "pain_rci": ["Jacobson & Truax 1991", "1.02", "Childs 2005"],
    "pain_slope_theil_sen": ["Theil-Sen", "Sen 1968"],
    "pain_mk_p": ["Mann-Kendall", "Kendall 1975"],
    "flexibility_change": ["no published MCID", "2-point rule"],
    "reach_cm_change": ["4 cm", "Lopez-Minarro 2009"],
    "within_session_relief": ["mild tension"],
    "NAP": ["Parker & Vannest 2009"],
    "Tau": ["2 NAP - 1"],
    "Tau_BC": ["Tarlow 2017"],
    "Tau_U": ["Parker et al. 2011"],
    "PND": ["Scruggs 1987"],
    "PEM": ["Ma 2006"],
    "PAND": ["Parker, Hagan-Burke & Vannest 2007"],
    "IRD": ["Parker, Vannest & Brown 2009"],
    "SMD": ["SMD", "positive = less pain"],
    "LRRd": ["negative = less pain"],
    "spearman_rho": ["Spearman 1904"],
    "share_mcid": ["MCID"],
    "pain_flare": ["pain_flare"],
    "no_improvement": ["no_improvement"],
}


@pytest.fixture(scope="module")
def execute(tmp_path_factory) -> Callable[..., tuple[dict, Path]]:
    """Run a notebook with parameters (once per set): the executed notebook as JSON and its work folder."""
    done: dict[tuple, tuple[dict, Path]] = {}

    def run(name: str, **parameters: object) -> tuple[dict, Path]:
        key = (name, tuple(sorted(parameters.items())))
        if key not in done:
            work = tmp_path_factory.mktemp(Path(name).stem)
            if name.startswith("02"):
                parameters.setdefault("EXPORT_DIR", str(work / "caseload"))
            if name.startswith("03"):
                parameters.setdefault("OUTPUT_DIR", str(work / "reports"))
            out = work / name
            with pytest.MonkeyPatch.context() as env:
                # conftest's MPLBACKEND=Agg would reach the kernel and keep the charts out of the outputs.
                env.setenv("MPLBACKEND", INLINE_BACKEND)
                papermill.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                                           cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False)
            done[key] = json.loads(out.read_text()), work
        return done[key]

    return run


def outputs_text(book: dict) -> str:
    parts = []
    for cell in book["cells"]:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def markdown_text(book: dict) -> str:
    """Every markdown cell, whitespace collapsed (a reference may wrap across lines)."""
    text = " ".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text)


def shown_metrics(book: dict) -> set[str]:
    """The metrics of :data:`REFERENCES` that appear in the notebook's outputs (tables and printed text)."""
    text = outputs_text(book)
    return {m for m in REFERENCES if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text)}


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
    assert "def " not in source and "class " not in source and "lambda" not in source
    # No hand-made ranking, grouping or de-duplication: the package's tables are shown as they are.
    for pandas_work in (".groupby(", ".drop_duplicates(", ".sort_values(", ".assign(", ".join(", ".merge("):
        assert pandas_work not in source, pandas_work


@pytest.mark.parametrize("name", [p.name for p in ALL])
def test_markdown_explains_every_metric_shown_with_its_reference(execute, name):
    params = {"CLIENT": "hugo", "PHASE_DATE": PHASE} if name.startswith("03") else {}
    book, _ = execute(name, **params)
    shown = shown_metrics(book)
    assert len(shown) >= 3, shown  # the check looks at real outputs
    words = markdown_text(book)
    missing = {m: [ref for ref in REFERENCES[m] if ref not in words] for m in sorted(shown)}
    assert not {m: refs for m, refs in missing.items() if refs}, missing


@pytest.mark.parametrize("name", [p.name for p in ALL])
def test_every_chart_cell_shows_its_chart(execute, name):
    params = {"CLIENT": "hugo", "PHASE_DATE": PHASE} if name.startswith("03") else {}
    book, _ = execute(name, **params)
    for cell in book["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "plots." in source and "import" not in source:
            kinds = [k for o in cell["outputs"] for k in o.get("data", {})]
            assert "image/png" in kinds, source


def test_client_report_explains_the_effect_sizes_it_shows(execute):
    book, _ = execute("03-client-report.ipynb", CLIENT="hugo", PHASE_DATE=PHASE)
    assert {"NAP", "Tau", "Tau_BC", "PND", "SMD", "LRRd", "pain_rci", "adherence"} <= shown_metrics(book)


def test_my_progress_runs_and_shows_the_rejected_example(execute):
    text = outputs_text(execute("01-my-progress.ipynb")[0])
    assert "3 rejected" in text  # the hand-typed example: pain 12, 30 February, a 0 s hold
    assert "anna" in text


def test_caseload_review_exports_the_caseload_reports_table(execute, sample_log):
    from backanalytics.report import caseload_rows, compute_metrics
    from backanalytics.report.export import _for_csv

    book, work = execute("02-caseload-review.ipynb")
    text = outputs_text(book)
    assert "no_improvement" in text and "grace" in text
    exported = pd.read_csv(work / "caseload" / "caseload.csv")
    expected = caseload_rows(compute_metrics(sample_log, prescription=7), recent_days=14)
    assert exported["client_id"].tolist() == expected["client_id"].tolist()
    as_csv = pd.read_csv(pd.io.common.StringIO(_for_csv(expected).to_csv(index=False)))
    pd.testing.assert_frame_equal(exported, as_csv)
    assert (work / "caseload" / "caseload.xlsx").exists() and (work / "caseload" / "metrics.xlsx").exists()


# -- the parameterised client report agrees with the CLI's report ----------------------------------------


def page_text(path: Path) -> str:
    """The visible text of an HTML report: tags stripped, entities decoded, whitespace collapsed."""
    source = re.sub(r"<(style|script)\b.*?</\1>", " ", path.read_text(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", source))).strip()


def printed_sentences(book: dict) -> list[str]:
    """The report sentences the notebook prints ("- ..." lines)."""
    lines = outputs_text(book).splitlines()
    return [line[2:].strip() for line in lines if line.startswith("- ")]


@pytest.fixture(scope="module")
def cli_reports(sample_path, tmp_path_factory) -> dict[tuple[str, str | None], Path]:
    """``backanalytics report --client X [--phase-date D] --format html`` for each client run."""
    runner = CliRunner()
    pages = {}
    for client, phase in CLIENT_RUNS:
        out = tmp_path_factory.mktemp(f"cli-{client}")
        args = ["report", str(sample_path), "--client", client, "--format", "html", "--out", str(out),
                "--prescription", "7", *(["--phase-date", phase] if phase else [])]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        pages[(client, phase)] = out / f"client_{client}.html"
    return pages


@pytest.mark.parametrize(("client", "phase"), CLIENT_RUNS, ids=[f"{c}-{p or 'first-stretch'}" for c, p in CLIENT_RUNS])
def test_client_report_sentences_are_the_cli_reports(execute, cli_reports, client, phase):
    book, _ = execute("03-client-report.ipynb", CLIENT=client, PHASE_DATE=phase)
    page = page_text(cli_reports[(client, phase)])
    flag_lines = re.compile(r"[^:]+ \((alert|warning)\): ")  # shown as a label and advice, not one sentence
    sentences = [s for s in printed_sentences(book) if not s.startswith("Period:") and not flag_lines.match(s)]
    assert len(sentences) >= 8
    for sentence in sentences:
        assert sentence in page, sentence
    if phase:
        assert "before 31 Aug 2026" in page and "Before and after 31 Aug 2026" in page


@pytest.mark.parametrize(("client", "phase"), CLIENT_RUNS, ids=[f"{c}-{p or 'first-stretch'}" for c, p in CLIENT_RUNS])
def test_client_report_numbers_are_the_cli_reports(execute, cli_reports, client, phase):
    _, work = execute("03-client-report.ipynb", CLIENT=client, PHASE_DATE=phase)
    key = pd.read_csv(work / "reports" / "metrics.csv", index_col="metric")["shown"]
    page = page_text(cli_reports[(client, phase)])
    # Numbers read from the CLI's HTML, next to the notebook's table of headline numbers.
    adherence = re.search(r"That is (\d+ %) of the planned sessions", page).group(1)
    base, cur, change, share = re.search(r"Your pain (?:fell|rose) from (\S+) to (\S+) \((\S+) points, (\S+ %)\)",
                                         page).groups()
    glance = re.search(r"Adherence (\d+ %)", page).group(1)
    assert (key["adherence"], key["adherence"]) == (adherence, glance)
    assert (key["pain_baseline"], key["pain_current"]) == (base, cur)
    assert (key["pain_change"], key["pain_pct_change"]) == (f"{change} points", share)
    assert key["habit_strength"] == re.search(r"Habit strength (\d+/100)", page).group(1)
    if phase:
        nap = re.search(r"\(NAP (\d\.\d\d), 95 % CI", page).group(1)
        assert f"(NAP {nap}, 95 % CI" in outputs_text(execute("03-client-report.ipynb", CLIENT=client,
                                                             PHASE_DATE=phase)[0])


def test_client_report_converts_to_html_without_code(execute, tmp_path):
    _, work = execute("03-client-report.ipynb", CLIENT="hugo", PHASE_DATE=PHASE)
    executed = work / "03-client-report.ipynb"
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--no-input", "--output-dir", str(tmp_path),
                    str(executed)], check=True, timeout=300, capture_output=True)
    page = (tmp_path / "03-client-report.html").read_text()
    # No code: the editor areas and highlighted Python of code cells are gone (markdown and outputs stay).
    assert not re.search(r'class="[^"]*(jp-InputArea-editor|hl-ipython3)', page)
    for code in ("import backanalytics", "client_summary(", "key_metrics(", "PHASE_DATE ="):
        assert code not in page, code
    text = html.unescape(page)
    key = pd.read_csv(work / "reports" / "metrics.csv", index_col="metric")["shown"]
    for number in (key["adherence"], key["pain_change"], key["habit_strength"], "NAP 0.90"):
        assert number in text, number
    assert "Stretching progress report: hugo" in text
    assert page.count('<img alt="No description has been provided for this image"') >= 5  # the charts too


def test_single_case_notebook_reports_nap(execute):
    text = outputs_text(execute("04-single-case-ab.ipynb")[0])
    assert "NAP" in text and "baseline and" in text
