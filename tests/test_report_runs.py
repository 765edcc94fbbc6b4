"""Runs of the command as processes: one run per output folder (a lock a crash does not leave stuck),
Ctrl-C at any moment (one line, exit 130, nothing half-written), and what the command says it wrote."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backanalytics import columns as C
from backanalytics.cli import app
from backanalytics.report import html
from backanalytics.report.figures import EmbeddedFigure
from backanalytics.report.lock import LOCK_NAME, FolderBusyError, folder_lock
from tests.conftest import sitecustomize_env

ROOT = Path(__file__).resolve().parents[1]
COMMAND = Path(sys.executable).with_name("backanalytics")
INTERRUPTED = "interrupted; nothing half-written was left"
TINY_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4"
            "AAAAAElFTkSuQmCC")
needs_proc = pytest.mark.skipif(not Path("/proc/self/maps").exists() or not COMMAND.exists(),
                                reason="needs Linux /proc and the installed backanalytics command")


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "BACKANALYTICS_DEBUG": ""}


@pytest.fixture
def small_csv(sample_log, tmp_path) -> Path:
    log = sample_log[sample_log[C.CLIENT_ID].isin(["anna", "grace", "hugo"])]
    path = tmp_path / "log.csv"
    log.assign(**{C.DATE: log[C.DATE].dt.strftime("%Y-%m-%d")}).to_csv(path, index=False)
    return path


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """The installed command in a session of its own (so a signal can go to its whole group, as Ctrl-C does)."""
    return subprocess.Popen([str(COMMAND), *args], cwd=cwd, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(proc: subprocess.Popen[str], condition: Callable[[], bool]) -> None:
    """Poll until ``condition`` holds; fail if the process ends first (no time limit of our own)."""
    while not condition():
        assert proc.poll() is None, f"the run ended before the moment came: {proc.communicate()}"
        time.sleep(0.02)


def written(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


# -- one run per output folder --------------------------------------------------------------------


def test_a_second_lock_on_a_held_folder_is_refused(tmp_path):
    with folder_lock(tmp_path / "out"):
        with pytest.raises(FolderBusyError, match=rf"process {os.getpid()}\).*choose another output folder"):
            with folder_lock(tmp_path / "out"):
                pass
    with folder_lock(tmp_path / "out"):  # released at the end of the first run
        pass
    assert written(tmp_path / "out") == set()


@pytest.mark.slow
@needs_proc
def test_a_second_report_into_the_same_folder_refuses_while_the_first_runs(small_csv, tmp_path):
    args = ["report", str(small_csv), "--all", "--format", "html", "--export", "csv", "--jobs", "1", "--out", "same"]
    first = start(args, tmp_path)
    out = tmp_path / "same"
    wait_for(first, lambda: (out / LOCK_NAME).exists())
    os.kill(first.pid, signal.SIGSTOP)  # hold the first run still while it holds the folder
    try:
        second = subprocess.run([str(COMMAND), *args], cwd=tmp_path, env=env(), capture_output=True, text=True,
                                timeout=600)
        before = written(out)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert second.returncode == 2, second
    errors = second.stderr.strip().splitlines()
    assert errors[-1] == (f"error: same is being written by another run (process {first.pid}): wait for it to "
                          "finish or choose another output folder (nothing was written)")
    assert "Traceback" not in second.stderr and "written" not in second.stdout
    assert first.wait(timeout=600) == 0, first.communicate()
    assert before - {LOCK_NAME} <= written(out) and not any(n.endswith(".part") for n in written(out))
    assert {"caseload.html", "client_anna.html", "metrics_clients.csv"} <= written(out)
    assert LOCK_NAME not in written(out)


@pytest.mark.slow
@needs_proc
def test_a_run_killed_while_holding_the_folder_does_not_leave_it_locked(small_csv, tmp_path):
    args = ["report", str(small_csv), "--all", "--format", "html", "--export", "none", "--jobs", "1", "--out", "o"]
    first = start(args, tmp_path)
    wait_for(first, lambda: (tmp_path / "o" / LOCK_NAME).exists())
    os.killpg(first.pid, signal.SIGKILL)  # a crash: no clean-up runs, the lock file stays behind
    first.wait(timeout=600)
    assert (tmp_path / "o" / LOCK_NAME).exists()
    again = subprocess.run([str(COMMAND), *args], cwd=tmp_path, env=env(), capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert {"caseload.html", "client_hugo.html"} <= written(tmp_path / "o")



@pytest.mark.slow
@needs_proc
def test_a_killed_runs_file_for_its_workers_is_removed_by_the_next_run(small_csv, tmp_path):
    # The workers read the metrics from a hidden file in the folder; a killed run cannot delete it.
    args = ["report", str(small_csv), "--all", "--format", "html", "--export", "none", "--jobs", "2", "--out", "o"]
    first = start(args, tmp_path)
    wait_for(first, lambda: any((tmp_path / "o").glob(".backanalytics-workers-*.pickle")))
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=600)
    assert any((tmp_path / "o").glob(".backanalytics-workers-*.pickle"))
    (tmp_path / "o" / "mine.pickle").write_bytes(b"not ours")
    again = subprocess.run([str(COMMAND), *args], cwd=tmp_path, env=env(), capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert not any((tmp_path / "o").glob(".backanalytics-workers-*"))
    assert (tmp_path / "o" / "mine.pickle").read_bytes() == b"not ours"  # only the command's own files

# -- Ctrl-C ---------------------------------------------------------------------------------------


def loaded(part: str) -> Callable[[subprocess.Popen[str]], Callable[[], bool]]:
    """The command has loaded a library whose path holds ``part`` (its ``/proc/<pid>/maps``)."""
    def when(proc: subprocess.Popen[str]) -> Callable[[], bool]:
        def check() -> bool:
            try:
                return part in Path(f"/proc/{proc.pid}/maps").read_text()
            except OSError:
                return False
        return check
    return when


#: The command has started: the package is importing pandas (its own modules come after).
importing_pandas = loaded("pandas/_libs")
#: One client's report draws its charts: this process has loaded matplotlib's renderer, which it
#: does only once the metrics are computed and its chart worker has been handed the first chart.
drawing = loaded("_backend_agg")


def has_workers(proc: subprocess.Popen[str]) -> Callable[[], bool]:
    """Worker processes are being started."""
    def check() -> bool:
        tasks = Path(f"/proc/{proc.pid}/task")
        try:
            return any((t / "children").read_text().strip() for t in tasks.iterdir())
        except OSError:
            return False
    return check


def file_exists(path: Path) -> Callable[[subprocess.Popen[str]], Callable[[], bool]]:
    return lambda proc: path.exists


@pytest.mark.slow
@needs_proc
@pytest.mark.parametrize("moment", ["importing", "workers starting", "first client written", "caseload written"])
def test_ctrl_c_at_any_moment_prints_one_line_exits_130_and_leaves_nothing_half_written(small_csv, tmp_path, moment):
    out = tmp_path / "reports"
    when = {"importing": importing_pandas, "workers starting": has_workers,
            "first client written": file_exists(out / "client_anna.html"),
            "caseload written": file_exists(out / "caseload.html")}[moment]
    proc = start(["report", str(small_csv), "--all", "--format", "both", "--jobs", "2", "--out", "reports"], tmp_path)
    wait_for(proc, when(proc))
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: to the command and its workers
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == INTERRUPTED
    assert stderr.count("interrupted") == 1 and "Traceback" not in stderr and "Exception ignored" not in stderr
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not [p.name for p in left if p.name.endswith((".part", ".pickle")) or p.name == LOCK_NAME]
    for path in left:  # whatever was written is whole
        if path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path.name
        if path.suffix == ".pdf":
            assert b"%%EOF" in path.read_bytes()[-32:], path.name
    assert "metrics.xlsx" not in written(out)  # the run stopped: it did not go on to the end


#: In the command's process only (not its workers): the system refuses to start its n-th worker
#: (``.format(nth=...)``), as it does when a user has too many processes or open files.
WORKER_REFUSED = """
import sys
if sys.argv and sys.argv[0].endswith("backanalytics"):
    import multiprocessing.popen_spawn_posix as spawn
    launch, started = spawn.Popen._launch, []

    def refuse_the_nth(self, process_obj):
        started.append(1)
        if len(started) == {nth}:
            raise OSError(11, "Resource temporarily unavailable")
        return launch(self, process_obj)

    spawn.Popen._launch = refuse_the_nth
"""


@pytest.mark.slow
@needs_proc
def test_a_worker_the_system_will_not_start_ends_the_run_saying_what_to_do(small_csv, tmp_path):
    # It used to hang: the first worker waited for good for the metrics its parent sent only
    # once every worker had started.
    env = sitecustomize_env(tmp_path, WORKER_REFUSED.format(nth=2), str(ROOT), BACKANALYTICS_DEBUG="")
    out = tmp_path / "reports"
    proc = subprocess.Popen([str(COMMAND), "report", str(small_csv), "--all", "--format", "html", "--jobs", "3",
                             "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 2, stderr
    assert stderr.strip().splitlines()[-1] == ("error: could not start 3 worker processes (Resource temporarily "
                                               "unavailable); --jobs 1 writes the reports in this process")
    assert "Traceback" not in stderr and "leaked" not in stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no workers' setup file, no lock
    for path in out.iterdir():  # what the first worker wrote is whole
        assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path.name


@needs_proc
def test_one_clients_report_is_written_when_the_system_will_not_start_its_chart_worker(small_csv, tmp_path):
    # The chart worker only saves time: without it this process draws every chart.
    env = sitecustomize_env(tmp_path, WORKER_REFUSED.format(nth=1), str(ROOT), BACKANALYTICS_DEBUG="")
    out = tmp_path / "reports"
    done = subprocess.run([str(COMMAND), "report", str(small_csv), "--client", "anna", "--format", "html",
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr and "Traceback" not in done.stderr
    page = (out / "client_anna.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 5  # every chart, drawn here


@pytest.mark.slow
@needs_proc
def test_ctrl_c_while_validate_starts_prints_one_line(tmp_path):
    proc = start(["validate", str(ROOT / "data" / "sample_logs.csv"), "--valid", "dataset"], tmp_path)
    wait_for(proc, importing_pandas(proc))
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=600)
    assert (proc.returncode, stderr.strip()) == (130, INTERRUPTED)
    assert list(tmp_path.iterdir()) == []


# -- what the command says it wrote ---------------------------------------------------------------


def test_report_names_the_files_it_wrote_by_their_own_pattern(sample_path, tmp_path, monkeypatch):
    stub = EmbeddedFigure(key="progress", title="stub", caption="stub", src=TINY_PNG, alt="stub")
    monkeypatch.setattr(html, "client_figures", lambda *a, **k: [stub])
    monkeypatch.setattr(html, "caseload_figures", lambda *a, **k: [stub])
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["report", str(sample_path), "--all", "--format", "html", "--export", "all",
                                      "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"client reports: 9 files in {out} (client_*.html)" in result.output
    # 5 tables as CSV and Parquet, and one workbook
    assert f"metric tables: 11 files in {out} (metrics_*.csv, metrics_*.parquet, metrics.xlsx)" in result.output
    assert len(list(out.glob("metrics_*.csv"))) == 5 and len(list(out.glob("metrics_*.parquet"))) == 5


# -- the other commands' folders: validate --valid DIR ---------------------------------------------


def test_an_interrupted_dataset_write_leaves_no_half_dataset(sample_log, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from backanalytics import scale

    calls = []

    def write_then_interrupt(table, where, **kwargs):
        calls.append(where)
        if len(calls) == 2:  # Ctrl-C while the second bucket is being written
            raise KeyboardInterrupt
        pq.write_table(table, where, **kwargs)

    monkeypatch.setattr(scale.pq, "write_table", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        scale.write_partitioned(sample_log, tmp_path / "dataset", buckets=4)
    assert list(tmp_path.iterdir()) == []  # neither the dataset nor its temporary folder


def test_of_two_dataset_writes_into_one_folder_the_second_finds_it_taken(sample_log, tmp_path, monkeypatch):
    from backanalytics import scale

    root = tmp_path / "dataset"
    real = scale._write_buckets
    other = sample_log[sample_log[C.CLIENT_ID] == "anna"]

    def meanwhile_another_run_finishes(log, where, buckets):
        real(log, where, buckets)
        monkeypatch.setattr(scale, "_write_buckets", real)
        scale.write_partitioned(other, root, buckets=2)  # both runs found the folder empty

    monkeypatch.setattr(scale, "_write_buckets", meanwhile_another_run_finishes)
    with pytest.raises(FileExistsError, match="another run wrote it meanwhile"):
        scale.write_partitioned(sample_log, root, buckets=4)
    assert scale.read_partitioned(root).equals(other.reset_index(drop=True))  # the first dataset, whole
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


# -- the other commands' outputs: validate --valid / --rejected, import -o / --skipped ---------------


@pytest.mark.parametrize("held", ["valid.csv", "bad.csv"])
def test_validate_refuses_outputs_another_run_is_writing(sample_path, tmp_path, held):
    from backanalytics.report.lock import outputs_lock

    valid, bad = tmp_path / "valid.csv", tmp_path / "bad.csv"
    with outputs_lock(tmp_path / held):  # another run, as far as the lock can tell (a second open file)
        result = CliRunner().invoke(app, ["validate", str(sample_path), "--valid", str(valid), "--rejected", str(bad)])
    assert result.exit_code == 2, result.output
    assert f"error: {tmp_path / held} is being written by another run (process {os.getpid()})" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no lock left behind
    again = CliRunner().invoke(app, ["validate", str(sample_path), "--valid", str(valid), "--rejected", str(bad)])
    assert again.exit_code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "valid.csv"]


def test_import_refuses_an_output_another_run_is_writing(tmp_path):
    from backanalytics.report.lock import outputs_lock

    src = tmp_path / "pain.json"
    src.write_text('{"resourceType": "Observation", "id": "p1", "status": "final", "code": {"coding": [{"system": '
                   '"http://loinc.org", "code": "72514-3"}]}, "subject": {"reference": "Patient/anna"}, '
                   '"effectiveDateTime": "2026-11-01", "valueQuantity": {"value": 4}}')
    out = tmp_path / "out" / "pain.csv"
    with outputs_lock(out):
        result = CliRunner().invoke(app, ["import", "fhir", str(src), "-o", str(out)])
    assert result.exit_code == 2 and "is being written by another run" in result.output, result.output
    assert not out.exists()
    assert CliRunner().invoke(app, ["import", "fhir", str(src), "-o", str(out)]).exit_code == 0 and out.exists()


@pytest.mark.slow
@needs_proc
@pytest.mark.parametrize("moment", ["worker starting", "drawing in both processes"])
def test_ctrl_c_during_one_clients_report_prints_one_line(small_csv, tmp_path, moment):
    # The chart worker starts before the log is read; later it is handed each next chart from a
    # callback, which, once the pool is stopped, must neither print "exception calling callback"
    # nor hand out another chart.
    proc = start(["report", str(small_csv), "--client", "anna", "--format", "html", "--out", "reports"], tmp_path)
    wait_for(proc, {"worker starting": has_workers, "drawing in both processes": drawing}[moment](proc))
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == INTERRUPTED
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and "callback" not in stderr
    assert not [p.name for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".csv"]


@pytest.mark.slow
@needs_proc
def test_ctrl_c_while_one_clients_pdf_is_rendered_by_its_worker_leaves_nothing_half_written(small_csv, tmp_path):
    # The worker renders the PDF and sends its bytes back: this process writes the file, so the
    # file it removes on Ctrl-C cannot be written again by the worker afterwards.
    out = tmp_path / "reports"
    proc = start(["report", str(small_csv), "--client", "anna", "--format", "both", "--out", "reports"], tmp_path)
    wait_for(proc, lambda: (out / "client_anna.html").exists())
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=600)
    if proc.returncode == 0:  # the PDF was written before the signal came: it must be whole
        assert b"%%EOF" in (out / "client_anna.pdf").read_bytes()[-32:]
        return
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == INTERRUPTED and "Traceback" not in stderr
    assert written(out) == {"client_anna.html"}  # no PDF, no part of one, no lock


@pytest.mark.slow
@needs_proc
def test_a_chart_worker_killed_from_outside_ends_the_report_saying_so(small_csv, tmp_path):
    proc = start(["report", str(small_csv), "--client", "anna", "--format", "both", "--out", "reports"], tmp_path)
    wait_for(proc, drawing(proc))
    children = " ".join(t.joinpath("children").read_text() for t in Path(f"/proc/{proc.pid}/task").iterdir()).split()
    workers = [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(workers) == 1  # not the resource tracker
    with contextlib.suppress(ProcessLookupError):
        os.kill(workers[0], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=600)
    if proc.returncode == 0:  # it had finished first
        return
    assert proc.returncode == 2, stderr
    assert stderr.strip().splitlines()[-1] == (
        "error: a worker process stopped before it finished (it was killed, perhaps by the system for lack of "
        "memory); --jobs 1 writes the reports in this process")
    assert "Traceback" not in stderr and "unexpected" not in stderr
    assert not [p.name for p in (tmp_path / "reports").rglob("*") if p.suffix not in (".html",)]


NO_WEASYPRINT = """
import sys
sys.modules["weasyprint"] = None  # import weasyprint: ImportError, in this process and its workers
"""


@needs_proc
def test_one_clients_pdf_without_weasyprint_says_what_to_install(small_csv, tmp_path):
    # The chart worker renders the PDF: WeasyPrint missing there is the same one-line error.
    env = sitecustomize_env(tmp_path, NO_WEASYPRINT, str(ROOT), BACKANALYTICS_DEBUG="")
    out = tmp_path / "reports"
    done = subprocess.run([str(COMMAND), "report", str(small_csv), "--client", "anna", "--format", "both",
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(
        "error: PDF output needs WeasyPrint: pip install 'backanalytics[report]'")
    assert "Traceback" not in done.stderr
    assert written(out) == {"client_anna.html"}


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="signal masks are POSIX")
def test_a_worker_started_with_its_pool_inherits_sigint_blocked(tmp_path):
    # The pool's first queue starts multiprocessing's resource tracker, and starting it unblocks
    # SIGINT in this thread: the worker then started could print "Fatal Python error" under the
    # command's one line when Ctrl-C came while it started Python (one run in four of the test above).
    # In a fresh interpreter, where no tracker runs yet.
    code = ("import multiprocessing, signal\nfrom concurrent.futures import ProcessPoolExecutor\n"
            "from backanalytics.interrupt import starting_workers\n"
            "def child_blocks():\n    return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])\n"
            "if __name__ == '__main__':\n"
            "    with starting_workers():\n"
            "        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn'))\n"
            "        here = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])\n"
            "        done = pool.submit(child_blocks)\n"
            "    print(here, done.result())\n    pool.shutdown()\n")
    script = tmp_path / "probe.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env(), cwd=ROOT,
                         check=True)
    assert out.stdout.split() == ["True", "True"]  # blocked here while starting, and in the worker


def test_one_clients_report_is_the_same_with_and_without_its_chart_worker(sample_path, tmp_path):
    # With the worker, it draws part of the charts and renders the PDF.
    pdfium = pytest.importorskip("pypdfium2")
    pages, pdfs = {}, {}
    for label, jobs in (("worker", []), ("one process", ["--jobs", "1"])):
        out = tmp_path / label
        result = CliRunner().invoke(app, ["report", str(sample_path), "--client", "hugo", "--format", "both",
                                          *jobs, "--out", str(out)])
        assert result.exit_code == 0, result.output
        pages[label] = re.sub(r"Generated[^<·]*", "", (out / "client_hugo.html").read_text(encoding="utf-8"))
        pdf = pdfium.PdfDocument(out / "client_hugo.pdf")
        pdfs[label] = [re.sub(r"Generated[^\n]*", "", page.get_textpage().get_text_range()) for page in pdf]
    assert pages["worker"] == pages["one process"]
    assert pages["worker"].count("data:image/png;base64,") >= 6
    assert pdfs["worker"] == pdfs["one process"] and len(pdfs["worker"]) >= 3 and "hugo" in pdfs["worker"][0]
