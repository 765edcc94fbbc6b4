"""Benchmark: what people wait for (command start, one report, a caseload's reports, charts).

Not part of the unit suite (``make bench`` runs it after the throughput benchmark). Each command
runs in a fresh process, as a user starts it in ``make demo``'s environment (:data:`NOT_IN_DEMO`;
notebook 02's kernel is the development environment's), and is compared with ``python -c "import
pandas"`` timed beside it: the two are interleaved (pandas, command, pandas, command, ...) and each
keeps the best of its runs, so a busy moment on a shared machine does not land on one side only. The charts
are timed in one process, each the best of several renders at report resolution (150 dpi PNG, as
embedded in the reports), after one untimed render of each (imports, font cache).

Rows and goals (ratio to ``import pandas``) are those of the performance issue:

==================================================  =======
``backanalytics --help``                             <= 0.5
``backanalytics validate data/sample_logs.csv``      <= 2
one client's HTML report                             <= 4
``report --all`` (HTML + PDF), 40 clients x 120 days <= 50
notebook 02 executed with nbclient                   <= 10
==================================================  =======

Usage::

    python benchmarks/bench_commands.py              # every row, best of 3 (the batch: of 1)
    python benchmarks/bench_commands.py --runs 5 --skip-batch --skip-notebook
"""

from __future__ import annotations

import argparse
import compileall
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_logs.csv"
OUT = Path(__file__).resolve().parent / "out"
GOALS = {"help": 0.5, "validate": 2.0, "report_client": 4.0, "report_all": 50.0, "notebook": 10.0}
CHART_GOAL_S, CASELOAD_GOAL_S = 0.25, 1.0


#: Packages of the development environment that a command imports when they are installed:
#: pandera loads hypothesis (its data synthesis, about 80 modules) whenever it can. ``make demo``'s
#: environment, where the issue measured the commands, has only the ``report`` extra; the commands
#: are timed as they run there, with these imports failing as they do there.
NOT_IN_DEMO = ("hypothesis",)


def cli(*args: str) -> list[str]:
    """``backanalytics *args`` as ``make demo``'s environment runs it (see :data:`NOT_IN_DEMO`).

    Started from a script named ``backanalytics``, as pip's is: only the command itself (that
    script, or ``python -m backanalytics.cli``) leaves without tearing the interpreter down
    (:mod:`backanalytics.quick_exit`); run by ``python -c``, one client's report took 1.13 times
    as long.
    """
    script = OUT / "as-in-demo" / "backanalytics"
    text = (f"import sys\nsys.modules.update(dict.fromkeys({NOT_IN_DEMO!r}))\n"
            "from backanalytics.cli import main\n\nif __name__ == \"__main__\":  # not in a spawned worker\n"
            "    sys.exit(main())\n")
    if not script.exists() or script.read_text() != text:
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(text)
    return [sys.executable, str(script), *args]


def run_notebook(name: str, work: Path) -> None:
    """Execute a notebook with nbclient (its exports go to ``work``)."""
    import nbclient
    import nbformat

    book = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    for cell in book.cells:  # the parameters cell: write the exports into the scratch folder
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source += f"\nEXPORT_DIR = {str(work / 'exports')!r}\nOUTPUT_DIR = {str(work / 'reports')!r}\n"
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()


def timed(command: list[str] | None, action: object = None) -> float:
    """Wall time of one fresh process (or of ``action()`` in this one)."""
    started = time.perf_counter()
    if command is not None:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    else:
        action()  # type: ignore[operator]
    return time.perf_counter() - started


def compare(name: str, command: list[str] | None, runs: int, action: object = None) -> dict[str, float]:
    """Best of ``runs`` of the command and of ``import pandas``, interleaved, after an untimed
    warm-up run of each (the command's only when it runs more than once: the 40-client batch
    takes half a minute). ``import pandas`` is timed at least 3 times, before and after each run
    of the command, so that a single run is not set against one slow ``import pandas`` (a batch
    run once came out at 50x against an ``import pandas`` of 0.71 s, 76x against the best of 0.46 s)."""
    pandas = [sys.executable, "-c", "import pandas"]
    timed(pandas)
    if runs > 1:
        timed(command, action)
    floor, best = float("inf"), float("inf")
    for _ in range(runs):
        floor = min(floor, timed(pandas))
        best = min(best, timed(command, action))
    for _ in range(max(1, 3 - runs)):  # after the last run too
        floor = min(floor, timed(pandas))
    return {"name": name, "seconds": best, "pandas": floor, "ratio": best / floor}


def batch_log() -> Path:
    """The 40-client, 120-day sample (``backanalytics sample --clients 40 --days 120``), cached."""
    path = OUT / "sample_40c_120d.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(cli("sample", str(path), "--clients", "40", "--days", "120"), check=True,
                       stdout=subprocess.DEVNULL)
    return path


def chart_times(runs: int) -> dict[str, float]:
    """Best render time (figure + 150 dpi PNG) of every report chart: one client, the 9-client
    caseload, and each page of the 40-client caseload; each of the four with the text the report
    canvas remembers (:mod:`backanalytics.report.text_canvas`) forgotten first."""
    import backanalytics as ba
    from backanalytics.report import figures, text_canvas
    from backanalytics.report.content import compute_metrics

    times: dict[str, float] = {}
    last = [0.0]
    embed = figures._embed

    def timed_embed(key: str, title: str, caption: str, fig: object) -> object:
        made = embed(key, title, caption, fig)
        now = time.perf_counter()
        times[key] = now - last[0]  # since the previous chart was saved: drawing + PNG
        last[0] = now
        return made

    figures._embed = timed_embed
    try:
        nine = compute_metrics(ba.validate(SAMPLE).valid)
        forty = compute_metrics(ba.validate(batch_log()).valid)
        # As the report workers do (quick_exit.freeze_long_lived): what is loaded stays out of later
        # collections. Without it, a full collection over everything this process holds (0.07-0.22 s)
        # landed inside the same chart in every round (hugo's stretch mix: 0.40 s instead of 0.23 s).
        gc.collect()
        gc.freeze()
        charts = [("anna", lambda: figures.client_figures(nine, "anna")),
                  ("hugo", lambda: figures.client_figures(nine, "hugo")),
                  ("9 clients", lambda: figures.caseload_figures(nine)),
                  ("40 clients", lambda: figures.caseload_figures(forty))]
        rounds: list[dict[str, float]] = []
        for _ in range(runs + 1):  # the first round warms up (imports, font cache) and is dropped
            one: dict[str, float] = {}
            for label, make in charts:
                text_canvas.clear()  # each as the first charts of a process: nothing drawn before
                times.clear()
                last[0] = time.perf_counter()
                make()
                one.update({f"{label}: {key}": seconds for key, seconds in times.items()})
            rounds.append(one)
    finally:
        figures._embed = embed
        gc.unfreeze()
    return {key: min(r[key] for r in rounds[1:]) for key in rounds[0]}


def notebook_chart_times(runs: int) -> dict[str, float]:
    """Best time of each chart the notebooks draw, as Jupyter shows it: a pyplot figure made by the
    plot function, then the inline backend's PNG (``bbox_inches="tight"``, the figure's 100 dpi)."""
    import matplotlib

    matplotlib.use("module://matplotlib_inline.backend_inline")
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    import backanalytics as ba
    from backanalytics import plots
    from backanalytics.report.content import compute_metrics

    log = ba.validate(SAMPLE).valid
    scores = ba.validate_assessments(ROOT / "data" / "sample_assessments.csv").valid
    metrics = compute_metrics(log, prescription=7)
    charts = {  # as the notebooks call them (02 passes the metrics it computed)
        "caseload chart (02)": lambda: plots.caseload_chart(log, tables=metrics),
        "progress (01-03)": lambda: plots.progress_chart(log, "grace", flags=metrics.flags,
                                                         outcomes_table=metrics.outcomes),
        "relief (01, 02)": lambda: plots.relief_chart(log, "grace"),
        "function, RMDQ (02, 03)": lambda: plots.function_chart(scores, "grace", "RMDQ"),
        "weekly sessions (01, 03)": lambda: plots.weekly_adherence(log, "anna", prescription=7),
        "calendar (01, 03)": lambda: plots.calendar_heatmap(log, "anna", ax=plt.subplots(figsize=(10, 2.6))[1]),
        "stretch mix (03)": lambda: plots.stretch_mix_chart(log, "anna"),
        "A/B phases (04)": lambda: plots.phase_chart(log, "hugo"),
    }
    best: dict[str, float] = {}
    for key, draw in charts.items():
        for run in range(runs + 1):  # the first run warms up and is dropped
            started = time.perf_counter()
            made = draw()
            print_figure(getattr(made, "figure", made), "png", bbox_inches="tight")
            seconds = time.perf_counter() - started
            plt.close("all")
            if run:
                best[key] = min(best.get(key, seconds), seconds)
    return best


def bare_overview(fig: object) -> None:
    """Into ``fig``: what the 9-client overview holds, drawn by matplotlib with nothing more.

    A scatter of 9 dots beside 3 x 3 panels of 120 daily points and their line, each titled,
    with as many ticks as the overview's: no labels, legend, layout, style or text fitting. It is the
    floor under the overview's time: matplotlib's cost for ten axes at that size.
    """
    rng = np.random.default_rng(0)
    days = np.arange("2026-07-18", "2026-11-15", dtype="datetime64[D]")
    ax = fig.add_axes((0.06, 0.12, 0.33, 0.78))
    ax.scatter(rng.random(9) * 100, rng.random(9) * 6 - 4)
    ax.set_title("scatter")
    for i in range(9):
        ax = fig.add_axes((0.45 + 0.18 * (i % 3), 0.07 + 0.31 * (i // 3), 0.15, 0.22))
        pain = rng.random(len(days)) * 10
        ax.plot(days, pain, "o", markersize=2)
        ax.plot(days, pain)
        ax.set_title(f"{i + 1}. client")
        ax.set_xticks(days[::40], [str(d)[5:] for d in days[::40]])  # as few as the overview's
        ax.set_yticks(range(0, 11, 2))


def overview_floor(runs: int) -> dict[str, float]:
    """Best time of :func:`bare_overview` as a report chart (150 dpi PNG, at the report's size), by
    matplotlib alone and on the report's canvas and PNG writer (the text it remembers emptied
    first, as in :func:`chart_times`), and as Jupyter shows it (a pyplot figure and the inline
    backend's PNG): the floors under the 9-client overview in :func:`chart_times` and the caseload
    chart in :func:`notebook_chart_times`."""
    import io

    import matplotlib

    matplotlib.use("module://matplotlib_inline.backend_inline")
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from backanalytics.plots.caseload_layout import caseload_size
    from backanalytics.report import text_canvas
    from backanalytics.report.figures import DPI, to_data_uri

    size = caseload_size(9)

    def report() -> None:
        fig = Figure(figsize=size, dpi=DPI)
        FigureCanvasAgg(fig)
        bare_overview(fig)
        fig.savefig(io.BytesIO(), format="png")

    def report_canvas() -> None:
        text_canvas.clear()
        fig = Figure(figsize=size, dpi=DPI)
        text_canvas.chart_canvas(fig)
        bare_overview(fig)
        to_data_uri(fig)

    def notebook() -> None:
        fig = plt.figure(figsize=size)
        bare_overview(fig)
        print_figure(fig, "png", bbox_inches="tight")
        plt.close(fig)

    best = {}
    for key, draw in (("report", report), ("report canvas", report_canvas), ("notebook", notebook)):
        times = []
        for _ in range(runs + 1):  # the first run warms up and is dropped
            started = time.perf_counter()
            draw()
            times.append(time.perf_counter() - started)
        best[key] = min(times[1:])
    return best


def pdf_share() -> dict[str, float]:
    """One client's report and the 9-client caseload report: HTML (with charts) vs WeasyPrint."""
    import backanalytics as ba
    from backanalytics.report.content import compute_metrics
    from backanalytics.report.html import render_caseload_html, render_client_html
    from backanalytics.report.pdf import pdf_bytes

    metrics = compute_metrics(ba.validate(SAMPLE).valid)
    pdf_bytes(render_client_html(metrics, "anna"))  # warm-up: WeasyPrint's fonts and imports
    html_s = pdf_s = 0.0
    for render in (lambda: render_client_html(metrics, "hugo"), lambda: render_caseload_html(metrics)):
        started = time.perf_counter()
        html = render()
        html_s += time.perf_counter() - started
        started = time.perf_counter()
        pdf_bytes(html)
        pdf_s += time.perf_counter() - started
    return {"html_s": html_s, "pdf_s": pdf_s, "share": pdf_s / (html_s + pdf_s)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per command; the best counts (default 3)")
    parser.add_argument("--batch-runs", type=int, default=1, help="runs of the 40-client batch (default 1)")
    parser.add_argument("--skip-batch", action="store_true", help="leave out the 40-client report --all")
    parser.add_argument("--skip-notebook", action="store_true", help="leave out notebook 02")
    args = parser.parse_args(argv)

    # Compile the package first (as ``pip install`` does): with PYTHONDONTWRITEBYTECODE set, an
    # editable checkout would otherwise be compiled again in every timed process.
    compileall.compile_dir(ROOT / "backanalytics", quiet=1)
    scratch = Path(tempfile.mkdtemp(prefix="bench-commands-"))
    try:
        rows = [
            compare("backanalytics --help", cli("--help"), args.runs),
            compare("backanalytics validate data/sample_logs.csv", cli("validate", str(SAMPLE)), args.runs),
            compare("report data/sample_logs.csv --client anna --format html",
                    cli("report", str(SAMPLE), "--client", "anna", "--format", "html", "--out",
                        str(scratch / "one")), args.runs),
        ]
        keys = ["help", "validate", "report_client"]
        if not args.skip_batch:
            rows.append(compare("report --all (HTML + PDF), 40 clients x 120 days",
                                cli("report", str(batch_log()), "--all", "--out", str(scratch / "all")),
                                args.batch_runs))
            keys.append("report_all")
        if not args.skip_notebook:
            rows.append(compare("notebooks/02-caseload-review.ipynb (nbclient)", None, min(args.runs, 2),
                                action=lambda: run_notebook("02-caseload-review.ipynb", scratch)))
            keys.append("notebook")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; best of {args.runs} "
              "fresh processes, interleaved with `python -c \"import pandas\"`")
        print(f"{'what a user does':<58} {'seconds':>8} {'ratio':>7} {'goal':>6}")
        for key, row in zip(keys, rows, strict=True):
            met = "ok" if row["ratio"] <= GOALS[key] else "MISSED"
            print(f"{row['name']:<58} {row['seconds']:>8.2f} {row['ratio']:>6.1f}x {GOALS[key]:>5g}x {met}")
        label = 'python -c "import pandas" (best of all runs)'
        print(f"{label:<58} {min(r['pandas'] for r in rows):>8.2f}")

        charts = chart_times(args.runs)
        print(f"charts (best of {args.runs}, figure + 150 dpi PNG; goal {CHART_GOAL_S} s, 40-client caseload "
              f"{CASELOAD_GOAL_S} s):")
        for key, seconds in charts.items():
            goal = CASELOAD_GOAL_S if key.startswith("40 clients") else CHART_GOAL_S
            print(f"  {key:<40} {seconds:>6.2f} s {'ok' if seconds <= goal else 'MISSED'}")
        notebook = notebook_chart_times(args.runs)
        print(f"notebook charts (best of {args.runs}, as Jupyter shows them: pyplot figure + inline PNG; "
              f"goal {CHART_GOAL_S} s):")
        for key, seconds in notebook.items():
            print(f"  {key:<40} {seconds:>6.2f} s {'ok' if seconds <= CHART_GOAL_S else 'MISSED'}")
        floor = overview_floor(args.runs)
        print(f"matplotlib alone, the 9-client overview's ten axes with nothing more (best of {args.runs}): "
              f"{floor['report']:.2f} s as a report chart ({floor['report canvas']:.2f} s on the report's canvas and "
              f"PNG writer), {floor['notebook']:.2f} s as Jupyter shows it")
        share = pdf_share()
        print(f"WeasyPrint: {share['pdf_s']:.2f} s of {share['html_s'] + share['pdf_s']:.2f} s for one client's "
              f"and the caseload's report ({share['share']:.0%}; the rest is charts and HTML)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
