"""Reports: the words equal the metrics, untrusted text is escaped or neutralised, paths stay inside
the output folder, writes are atomic, anonymised outputs carry no ids or notes, and the CLI."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import backanalytics as ba
from backanalytics import columns as C
from backanalytics.cli import app
from backanalytics.report import batch, figures, html
from backanalytics.report.anonymize import MissingSecretError, anonymize_log, pseudonym, resolve_secret
from backanalytics.report.batch import build_reports, client_file_name
from backanalytics.report.content import caseload_rows, client_summary, compute_metrics, num
from backanalytics.report.export import export_tables, write_exports
from backanalytics.report.figures import EmbeddedFigure
from backanalytics.report.safety import atomic_path

runner = CliRunner()
XSS = "<script>alert(1)</script>"
# 1x1 white PNG: a stand-in chart, so most tests do not spend seconds drawing.
TINY_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4"
            "AAAAAElFTkSuQmCC")


@pytest.fixture(scope="module")
def metrics(sample_log):
    return compute_metrics(sample_log)


@pytest.fixture
def fast_charts(monkeypatch):
    """Replace the matplotlib charts by a tiny PNG (the chart code has its own tests)."""
    stub = EmbeddedFigure(key="progress", title="stub", caption="stub", src=TINY_PNG, alt="stub")
    monkeypatch.setattr(html, "client_figures", lambda *a, **k: [stub])
    monkeypatch.setattr(html, "caseload_figures", lambda *a, **k: [stub])


def small_log(sample_log, ids: dict[str, str] | None = None) -> pd.DataFrame:
    """Three sample clients (an improver, a client in pain, one with a baseline phase), renamed."""
    ids = ids or {"anna": "anna", "grace": "grace", "hugo": "hugo"}
    log = sample_log[sample_log[C.CLIENT_ID].isin(list(ids))].copy()
    log[C.CLIENT_ID] = log[C.CLIENT_ID].map(ids).astype(sample_log[C.CLIENT_ID].dtype)
    return log.reset_index(drop=True)


# -- content: the numbers in the words are the numbers in the tables ---------------------------------


def test_pain_sentence_states_baseline_current_and_percent_from_outcomes(metrics):
    for client in metrics.clients:
        row = metrics.outcomes.loc[client]
        text = client_summary(metrics, client)["outcomes"][0]
        assert f"from {num(row['pain_baseline'])} to {num(row['pain_current'])}" in text
        assert f"{num(abs(row['pain_pct_change']), 0)} %" in text
        assert ("clinically important improvement" in text) == bool(row["pain_mcid_reached"])


def test_pain_sentence_hand_worked_example():
    # 7 days at 6, then 7 days at 3: -3 points, -50 % >= 2 points / 30 % (Farrar 2001).
    days = pd.date_range("2026-01-01", periods=14)
    log = pd.DataFrame({"client_id": "a", "date": days, "time": None, "stretch": "Cobra Stretch",
                        "hold_s": 20.0, "reps": pd.array([3] * 14, dtype="Int64"), "side": None,
                        "pain": [6.0] * 7 + [3.0] * 7, "pain_after": float("nan"),
                        "flexibility": float("nan"), "reach_cm": float("nan"), "notes": None,
                        "planned_rest": False})
    text = client_summary(compute_metrics(log), "a")["outcomes"][0]
    assert text == ("Your pain fell from 6.0 to 3.0 (-3.0 points, -50 %), a clinically important improvement "
                    "(≥ 2 points or ≥ 30 %, Farrar 2001).")


def test_adherence_sentences_equal_the_consistency_table(metrics):
    row = metrics.consistency.loc["anna"]
    lines = client_summary(metrics, "anna")["adherence"]
    assert lines[0].startswith(f"You stretched on {row['active_days']} of {row['days']} days")
    assert f"That is {round(100 * row['adherence'])} % of the planned sessions" in lines[1]
    assert f"Longest run: {row['longest_streak']} days in a row" in lines[3]


def test_effect_size_sentence_quotes_nap_and_ci_of_phase_effect_sizes(metrics):
    nap = metrics.effects.query("client_id == 'hugo' and metric == 'NAP'").iloc[0]
    text = client_summary(metrics, "hugo")["effects"]["text"]
    assert f"NAP {nap['est']:.2f}, 95 % CI {nap['ci_lower']:.2f} to {nap['ci_upper']:.2f}" in text
    assert f"your {nap['n_a']} days" in text and f"the {nap['n_b']} days since" in text
    assert client_summary(metrics, "anna")["effects"] is None  # no baseline phase


def test_pain_while_stretching_alert_advises_seeing_a_professional(metrics):
    items = client_summary(metrics, "grace")["flags"]
    pain = next(i for i in items if i["flag"] == "pain_during_stretching")
    assert pain["severity"] == "alert"
    assert "mild tension, not pain" in pain["advice"] and "see a professional" in pain["advice"]
    assert items[0]["severity"] == "alert"  # worst first


def test_caseload_lists_alerts_then_warnings_then_the_rest(metrics):
    rows = caseload_rows(metrics)
    rank = rows["severity"].map({"alert": 0, "warning": 1, "none": 2})
    assert rank.is_monotonic_increasing
    assert sorted(rows["client_id"]) == metrics.clients
    assert rows.iloc[0]["client_id"] == "grace"  # most alerts


def test_flags_table_of_the_caseload_is_what_each_client_report_lists(metrics):
    from backanalytics.report import flags_by_client

    table = flags_by_client(metrics)
    assert table["severity"].map({"alert": 0, "warning": 1}).is_monotonic_increasing  # worst first, no info
    for client in ["grace", "dev", "anna"]:
        items = client_summary(metrics, client)["flags"]
        rows = table[table["client_id"] == client]
        assert rows["flag"].tolist() == [i["flag"] for i in items]
        assert rows["count"].tolist() == [i["count"] for i in items]
        assert rows["advice"].tolist() == [i["advice"] for i in items]


def test_one_client_report_uses_the_whole_logs_analysis_date(sample_log, tmp_path, fast_charts):
    # dev stopped logging weeks before the others: reported alone, dev is still "silent" up to the last
    # date anyone logged, exactly as in the caseload run.
    alone = build_reports(sample_log, tmp_path / "alone", clients=["dev"], formats=("html",), progress=False)
    everyone = build_reports(sample_log, tmp_path / "all", formats=("html",), progress=False)
    page = alone.clients[0].read_text()
    assert "No recent entries" in page and "Your last session was" in page
    same = next(p for p in everyone.clients if p.name == "client_dev.html").read_text()
    strip = re.compile(r"Generated [^<]*")
    assert strip.sub("", page) == strip.sub("", same)


# -- HTML: escaped, self-contained ---------------------------------------------------------------------


def test_note_and_client_id_markup_is_escaped(sample_log, fast_charts):
    log = small_log(sample_log, {"anna": "<b>x</b>"})
    log.loc[log.index[-1], C.NOTES] = XSS
    page = html.render_client_html(compute_metrics(log), "<b>x</b>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_html_report_is_self_contained(metrics, fast_charts):
    for page in (html.render_client_html(metrics, "hugo"), html.render_caseload_html(metrics)):
        assert "http://" not in page and "https://" not in page
        assert "<link" not in page and "@import" not in page
        srcs = re.findall(r'src="([^"]*)"', page)
        assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
        assert f"backanalytics {ba.__version__}" in page


def png_inches(src: str) -> tuple[float, float]:
    import base64
    import struct

    png = base64.b64decode(src.split(",", 1)[1])
    width, height = struct.unpack(">II", png[16:24])
    return width / figures.DPI, height / figures.DPI


def test_caseload_chart_fits_an_a4_landscape_page_at_true_size(metrics):
    (overview,) = figures.caseload_figures(metrics)  # nine clients: one chart
    width, height = png_inches(overview.src)
    assert width <= 273 / 25.4 + 0.2 and height <= 150 / 25.4  # leaves room for the heading and caption


def test_a_long_caseload_gets_the_scatter_and_pages_of_small_multiples(sample_log):
    twice = pd.concat([sample_log, sample_log.assign(**{C.CLIENT_ID: sample_log[C.CLIENT_ID].astype(str) + "-b"})])
    charts = figures.caseload_figures(compute_metrics(twice.reset_index(drop=True)))
    assert [c.key for c in charts] == ["caseload", "caseload-trends-1", "caseload-trends-13"]
    assert charts[2].title == "Pain by client, 13 to 18 of 18"
    for chart in charts:
        width, height = png_inches(chart.src)
        assert width <= 273 / 25.4 + 0.2 and height <= 160 / 25.4, (chart.key, width, height)


def test_charts_are_embedded_pngs_without_metadata(metrics):
    fig = figures.caseload_figure(metrics)
    assert fig.src.startswith("data:image/png;base64,")
    import base64

    png = base64.b64decode(fig.src.split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and b"matplotlib.org" not in png


# -- exports: formula-safe, negative numbers stay numbers ----------------------------------------------


def test_exports_neutralise_formulas_but_keep_negative_numbers(sample_log, tmp_path):
    evil = {"anna": "=HYPERLINK(\"x\")", "grace": "@SUM(A1)", "hugo": "-2+3"}
    paths = write_exports(compute_metrics(small_log(sample_log, evil)), tmp_path)
    for path in (p for p in paths if p.suffix == ".csv"):
        for row in csv.reader(io.StringIO(path.read_text())):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                if cell.startswith("-"):
                    float(cell)  # only numbers may start with a minus
    clients = pd.read_csv(tmp_path / "metrics_clients.csv")
    assert set(clients["client_id"]) == {"'" + v for v in evil.values()}
    assert (clients["pain_change"] < 0).any()  # negative numbers are still numbers
    book = openpyxl.load_workbook(tmp_path / "metrics.xlsx")
    assert book.sheetnames[:3] == ["clients", "weekly", "flags"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    numbers = [c.value for c in book["clients"]["A"]][1:]
    assert sorted(numbers) == sorted("'" + v for v in evil.values())


def test_caseload_table_export_is_the_caseload_rows_formula_safe(sample_log, tmp_path):
    from backanalytics.report.export import write_caseload_table

    evil = {"anna": "=1+1", "grace": "grace", "hugo": "hugo"}
    m = compute_metrics(small_log(sample_log, evil))
    paths = write_caseload_table(m, tmp_path)
    assert sorted(p.name for p in paths) == ["caseload.csv", "caseload.xlsx", "caseload_flags.csv"]
    table = pd.read_csv(tmp_path / "caseload.csv")
    expected = caseload_rows(m)
    assert table["client_id"].tolist() == ["'=1+1" if c == "=1+1" else c for c in expected["client_id"]]
    assert table["adherence"].tolist() == pytest.approx(expected["adherence"].tolist())
    assert openpyxl.load_workbook(tmp_path / "caseload.xlsx").sheetnames == ["caseload", "flags"]


def test_clients_table_is_consistency_joined_with_outcomes(metrics):
    table = export_tables(metrics)["clients"].set_index("client_id")
    assert len(table) == 9
    assert table.loc["anna", "adherence"] == metrics.consistency.loc["anna", "adherence"]
    assert table.loc["anna", "pain_change"] == metrics.outcomes.loc["anna", "pain_change"]


# -- paths and atomic writes ---------------------------------------------------------------------------


@pytest.mark.parametrize("evil", ["../../etc/x", "/etc/passwd", "..", "a/../../b", "C:\\x", ""])
def test_client_id_cannot_write_outside_the_output_folder(sample_log, tmp_path, fast_charts, evil):
    out = tmp_path / "out"
    log = small_log(sample_log, {"anna": evil or " "})
    result = build_reports(log, out, formats=("html",), progress=False)
    assert {p.parent for p in result.files} == {out.resolve()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert client_file_name(evil, "html").startswith("client_")


def test_failing_writer_leaves_no_partial_file(sample_log, tmp_path, fast_charts, monkeypatch):
    calls = []

    def half_then_fail(page: str, target: Path) -> None:
        calls.append(target)
        target.write_bytes(b"%PDF-1.7 half a file")
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C while the second PDF was being written

    monkeypatch.setattr(batch, "write_pdf", half_then_fail)
    out = tmp_path / "out"
    out.mkdir()
    (out / "client_grace.pdf").write_bytes(b"previous complete report")
    with pytest.raises(KeyboardInterrupt):
        build_reports(small_log(sample_log), out, formats=("pdf",), progress=False)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["client_anna.pdf", "client_grace.pdf"]  # no .part file, no half-written report
    assert (out / "client_grace.pdf").read_bytes() == b"previous complete report"


@pytest.fixture
def umask():
    """Set the process umask for one test (restored afterwards)."""
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_write_gives_the_permissions_of_a_plain_open(tmp_path, umask, mask, mode):
    # open(path, "w") creates 0666 & ~umask; mkstemp alone would leave every report at 0600.
    umask(mask)
    with atomic_path(tmp_path / "report.html") as tmp:
        tmp.write_text("done")
    plain = tmp_path / "plain.html"
    plain.write_text("done")
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == mode == stat.S_IMODE(plain.stat().st_mode)


def test_atomic_write_over_a_file_keeps_its_permissions(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "caseload.html"
    target.write_text("old")
    target.chmod(0o640)  # e.g. a clinic's shared folder with group read
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_reports_and_exports_are_created_with_normal_permissions(sample_log, tmp_path, fast_charts, umask):
    umask(0o022)
    result = build_reports(small_log(sample_log), tmp_path / "out", formats=("html",), exports=("csv", "xlsx"),
                           progress=False)
    assert result.clients and result.caseload and result.exports
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in result.files} == {oct(0o644)}


# -- progress bar -----------------------------------------------------------------------------------------


def test_progress_bar_on_stderr_counts_the_clients(sample_log, tmp_path, fast_charts, capsys):
    metrics = compute_metrics(small_log(sample_log))
    batch.write_client_reports(metrics, tmp_path / "on", formats=("html",), progress=True)
    err = capsys.readouterr().err
    assert re.search(r"client reports:\s+\d+%.*\b[0-3]/3 ", err), err  # tqdm: "client reports:  0%| | 0/3 [..."
    batch.write_client_reports(metrics, tmp_path / "off", formats=("html",), progress=False)
    batch.write_client_reports(metrics, tmp_path / "auto", formats=("html",))  # None: only on a terminal
    assert capsys.readouterr().err == ""


# -- anonymisation ---------------------------------------------------------------------------------------


def test_pseudonyms_are_stable_keyed_and_need_a_secret(monkeypatch):
    assert pseudonym("anna", "key-one-123") == pseudonym("anna", "key-one-123")
    assert pseudonym("anna", "key-one-123") != pseudonym("anna", "key-two-123")
    assert re.fullmatch(r"client-[0-9a-f]{12}", pseudonym("anna", "key-one-123"))
    monkeypatch.delenv("BACKANALYTICS_SECRET", raising=False)
    with pytest.raises(MissingSecretError):
        resolve_secret(None)
    with pytest.raises(MissingSecretError):
        resolve_secret("short")
    monkeypatch.setenv("BACKANALYTICS_SECRET", "from-the-environment")
    assert resolve_secret(None) == "from-the-environment"


def test_anonymize_log_drops_notes_and_leaves_the_input_alone(sample_log):
    log = small_log(sample_log)
    anon = anonymize_log(log, "a-long-secret")
    assert anon[C.NOTES].isna().all() and log[C.NOTES].notna().any()
    assert set(anon[C.CLIENT_ID]) == {pseudonym(c, "a-long-secret") for c in ["anna", "grace", "hugo"]}


def _output_bytes(path: Path) -> list[bytes]:
    """The file's bytes, plus every member of a zip (xlsx) and the extracted text of a PDF."""
    data = [path.read_bytes()]
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            data += [z.read(name) for name in z.namelist()]
    if path.suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        data += [pdf[i].get_textpage().get_text_range().encode("utf-8") for i in range(len(pdf))]
    return data


def test_anonymized_outputs_contain_no_client_id_or_note(sample_log, tmp_path, fast_charts):
    ids = {"anna": "Patricia-Quexley", "grace": "Wilhelmina-Zorn", "hugo": "Bartholomew-Ox"}
    log = small_log(sample_log, ids)
    notes = ["lives at 12 Quexley Lane", "call her mobile 0777-123456"]
    log.loc[log.index[:2], C.NOTES] = notes
    # Unknown stretch names are free text too: one names the client, one holds an ampersand (HTML-escaped).
    stretches = ["Patricia's own twist", "Zorn & Ox lunge"]
    log[C.STRETCH] = log[C.STRETCH].astype(object)
    log.loc[log.index[2:6], C.STRETCH] = stretches * 2
    out = tmp_path / "anon"
    result = build_reports(log, out, formats=("html", "pdf"), exports=("csv", "xlsx"), secret="clinic-secret-1",
                           source="Patricia-Quexley.csv", progress=False)
    assert len(result.files) == 2 + 6 + 6  # caseload x2, 3 clients x2, 5 csv + xlsx
    secrets = [*ids.values(), *notes, "hamstrings tight", *stretches, "Patricia", "Zorn &amp;"]  # + sample notes
    for path in out.iterdir():
        assert not any(s in path.name for s in secrets)
        for blob in _output_bytes(path):
            for s in secrets:
                assert s.encode("utf-8") not in blob, (path.name, s)
    assert (out / f"client_{pseudonym('Bartholomew-Ox', 'clinic-secret-1')}.html").exists()
    dose = pd.read_csv(out / "metrics_dose.csv")
    assert {"other stretch 1", "other stretch 2"} <= set(dose["stretch"])


# -- CLI ------------------------------------------------------------------------------------------------


def write_csv_log(log: pd.DataFrame, path: Path) -> Path:
    log.assign(**{C.DATE: log[C.DATE].dt.strftime("%Y-%m-%d")}).to_csv(path, index=False)
    return path


def test_report_cli_all_writes_caseload_clients_and_exports(sample_log, tmp_path, fast_charts):
    src = write_csv_log(small_log(sample_log), tmp_path / "log.csv")
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", str(src), "--all", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"caseload.html", "client_anna.html", "client_grace.html", "client_hugo.html", "metrics.xlsx",
            "metrics_clients.csv", "metrics_weekly.csv", "metrics_flags.csv"} <= names
    assert str(out) in result.output


def test_report_cli_single_client_with_phase_date(sample_log, tmp_path, fast_charts):
    src = write_csv_log(small_log(sample_log), tmp_path / "log.csv")
    out = tmp_path / "r"
    result = runner.invoke(app, ["report", str(src), "--client", "hugo", "--format", "html", "--out", str(out),
                                 "--phase-date", "2026-08-31", "--export", "csv"])
    assert result.exit_code == 0, result.output
    assert (out / "client_hugo.html").exists() and not (out / "caseload.html").exists()
    assert "before 31 Aug 2026" in (out / "client_hugo.html").read_text()


def test_report_cli_anonymize_with_secret_from_environment(sample_log, tmp_path, fast_charts):
    src = write_csv_log(small_log(sample_log), tmp_path / "log.csv")
    out = tmp_path / "r"
    result = runner.invoke(app, ["report", str(src), "--all", "--format", "html", "--out", str(out), "--anonymize",
                                 "--export", "none"], env={"BACKANALYTICS_SECRET": "environment-secret"})
    assert result.exit_code == 0, result.output
    assert (out / f"client_{pseudonym('anna', 'environment-secret')}.html").exists()
    assert "anna" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    ([], "--client ID or --all"),
    (["--all", "--client", "anna"], "--client ID or --all"),
    (["--all", "--format", "docx"], "--format must be html, pdf or both"),
    (["--all", "--export", "ods"], "--export must be csv, xlsx, parquet, both, all or none"),
    (["--all", "--phase-date", "soon"], "--phase-date 'soon' is not a date"),
    (["--client", "zoe"], "no client 'zoe'"),
    (["--all", "--anonymize"], "needs a secret"),
    (["--all", "--prescription", "nope"], "neither a number"),
])
def test_report_cli_bad_options_exit_2_with_one_line(sample_path, tmp_path, args, message):
    result = runner.invoke(app, ["report", str(sample_path), "--out", str(tmp_path / "r"), *args],
                           env={"BACKANALYTICS_SECRET": ""})
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.output


def test_report_cli_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path / "nope.csv"), "--all"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_report_help_has_examples():
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    assert "--anonymize" in result.output and "backanalytics report data/sample_logs.csv --all" in result.output


def test_parallel_batch_writes_the_same_reports(sample_log, tmp_path):
    log = small_log(sample_log)
    stamp = pd.Timestamp("2026-11-16 09:00").to_pydatetime()
    serial = build_reports(log, tmp_path / "one", formats=("html",), caseload=False, progress=False, generated=stamp)
    parallel = build_reports(log, tmp_path / "two", formats=("html",), caseload=False, progress=False,
                             generated=stamp, jobs=2)
    assert [p.name for p in serial.files] == [p.name for p in parallel.files]
    for a, b in zip(serial.files, parallel.files, strict=True):
        assert a.read_text() == b.read_text()


def test_report_package_exports_its_public_functions():
    import backanalytics.report as report

    assert report.build_reports is build_reports and callable(report.render_client_html)
