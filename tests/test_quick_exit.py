"""The command and its workers end without tearing the interpreter down, and lose nothing by it:
same exit codes, same output, every file written; another program calling ``main`` ends as usual."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backanalytics.cli import app
from tests.conftest import sitecustomize_env

ROOT = Path(__file__).resolve().parents[1]
COMMAND = Path(sys.executable).with_name("backanalytics")
needs_command = pytest.mark.skipif(not COMMAND.exists() or not Path("/proc/self/cmdline").exists(),
                                   reason="needs the installed backanalytics command and Linux /proc")

# Loaded by every Python process started with this folder on PYTHONPATH (workers included): an object
# whose __del__ runs only when the interpreter is torn down, and then appends a line to a file.
WITNESS = '''
import os
class _Witness:
    def __del__(self, _open=open, _path=os.environ.get("TEARDOWN_WITNESS")):
        if _path:
            with _open("/proc/self/cmdline", "rb") as cmd, _open(_path, "a") as f:
                f.write(cmd.read().replace(b"\\0", b" ").decode() + "\\n")
_witness = _Witness()
'''
CRASH = '''
import backanalytics.validation
def _crash(*args, **kwargs):
    raise RuntimeError("boom")
backanalytics.validation.validate = _crash
'''


@pytest.fixture
def witness(tmp_path: Path) -> tuple[dict[str, str], Path]:
    log = tmp_path / "teardowns.txt"
    return sitecustomize_env(tmp_path, WITNESS, str(ROOT), TEARDOWN_WITNESS=str(log), BACKANALYTICS_DEBUG=""), log


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def teardowns(log: Path) -> list[str]:
    """The processes torn down, by command line; not multiprocessing's resource tracker (a small
    process of its own that nothing waits for)."""
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [line for line in lines if "resource_tracker" not in line]


@needs_command
def test_the_witness_sees_an_ordinary_teardown(witness, tmp_path):
    # The probe works: a program importing the package (and calling nothing) is torn down as usual.
    env, log = witness
    done = subprocess.run([sys.executable, "-c", "import backanalytics.cli"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and len(teardowns(log)) == 1


#: A child whose stdout holds text that cannot be written (a full disk), then exits with a code.
FULL_DISK = """
import io, sys
class Full(io.RawIOBase):
    def writable(self):
        return True
    def write(self, b):
        raise OSError(28, "No space left on device")
sys.stdout = io.TextIOWrapper(io.BufferedWriter(Full()))
sys.stdout.write("x" * 100)  # buffered: written (and lost) at exit
if {quick}:
    import atexit
    from backanalytics.quick_exit import QuickExit
    atexit.register(QuickExit({code}).leave)
sys.exit({code})
"""


@pytest.mark.parametrize("code", [0, 2])
@pytest.mark.parametrize("quick", [False, True], ids=["python's exit", "quick exit"])
def test_output_that_cannot_be_written_at_exit_is_never_a_success(code, quick):
    # Python's own exit reports 120; the quick exit too, or the error's own code when there is one.
    done = subprocess.run([sys.executable, "-c", FULL_DISK.format(quick=quick, code=code)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == ((code or 120) if quick else 120), done.stderr


@needs_command
@pytest.mark.parametrize("args, code", [(["validate", "{sample}"], 0), (["validate", "{bad}"], 1),
                                        (["validate", "{missing}"], 2),
                                        (["summary", "{sample}", "--client", "anna"], 0)])
def test_the_command_skips_teardown_and_keeps_its_exit_code_and_output(witness, sample_path, tmp_path, args, code):
    env, log = witness
    bad = tmp_path / "bad.csv"
    bad.write_text("client_id,date,stretch\nx,not a date,Cat-Cow\nx,2026-03-02,Cat-Cow\n", encoding="utf-8")
    args = [a.format(sample=sample_path, bad=bad, missing=tmp_path / "none.csv") for a in args]
    done = run(args, env, tmp_path)
    assert done.returncode == code, done.stderr
    assert teardowns(log) == []
    expected = CliRunner().invoke(app, args)  # the same command in this process: the whole output
    assert expected.exit_code == code
    assert done.stdout == expected.stdout


@needs_command
def test_a_crash_still_exits_2_in_one_line_and_1_with_its_traceback_when_debugging(witness, tmp_path, sample_path):
    env, _ = witness
    (Path(env["PYTHONPATH"].split(os.pathsep)[0]) / "sitecustomize.py").write_text(WITNESS + CRASH, encoding="utf-8")
    done = run(["validate", str(sample_path)], env, tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: unexpected RuntimeError: boom")
    debugging = run(["validate", str(sample_path)], {**env, "BACKANALYTICS_DEBUG": "1"}, tmp_path)
    assert debugging.returncode == 1 and "Traceback" in debugging.stderr and "RuntimeError: boom" in debugging.stderr


@needs_command
@pytest.mark.slow
def test_report_workers_skip_teardown_and_every_file_is_written(witness, sample_path, tmp_path):
    env, log = witness
    done = run(["report", str(sample_path), "--all", "--jobs", "2", "--format", "html", "--export", "csv",
                "--out", "out"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert teardowns(log) == []  # neither the command nor its two workers
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {f"client_{c}.html" for c in ("anna", "hugo", "ines")} <= names and "caseload.html" in names
    assert len([n for n in names if n.startswith("client_")]) == 9
    for page in (tmp_path / "out").glob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")


@needs_command
def test_one_clients_chart_worker_skips_teardown(witness, sample_path, tmp_path):
    env, log = witness
    done = run(["report", str(sample_path), "--client", "anna", "--format", "html", "--out", "out"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert teardowns(log) == [] and (tmp_path / "out" / "client_anna.html").exists()


# Loaded by every child Python (workers included): gc.freeze records the process that calls it and
# the collection thresholds it runs with.
FREEZE_WITNESS = '''
import gc, os
def _recorded(_freeze=gc.freeze, _path=os.environ["FREEZE_WITNESS"]):
    with open(_path, "a") as f:
        f.write(f"{os.getpid()} {gc.get_threshold()}\\n")
    _freeze()
gc.freeze = _recorded
'''


def frozen(log: Path) -> list[tuple[str, str]]:
    """(pid, thresholds) of each gc.freeze call."""
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [tuple(line.split(" ", 1)) for line in lines]  # type: ignore[misc]


@needs_command
@pytest.mark.parametrize(("args", "processes"), [
    (["--client", "anna", "--format", "html"], 2),  # the command and one client's chart worker
    (["--all", "--jobs", "2", "--format", "html", "--export", "none"], 3),  # the command and two workers
])
def test_the_command_and_its_workers_freeze_what_they_keep_and_collect_less_often(sample_path, tmp_path, args,
                                                                                  processes):
    from backanalytics.quick_exit import THRESHOLDS

    log = tmp_path / "frozen.txt"
    env = sitecustomize_env(tmp_path, FREEZE_WITNESS, str(ROOT), FREEZE_WITNESS=str(log))
    done = run(["report", str(sample_path), *args, "--out", "out"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    calls = frozen(log)
    assert len(calls) == len({pid for pid, _ in calls}) == processes  # once each, in every process
    assert {thresholds for _, thresholds in calls} == {str(THRESHOLDS)}


def test_a_program_calling_the_command_keeps_its_garbage_collection(sample_path, tmp_path):
    # Another program (here CliRunner) calling main: nothing frozen, thresholds as they were.
    import gc

    from backanalytics import quick_exit

    before = gc.get_freeze_count(), gc.get_threshold()
    quick_exit.freeze_long_lived()
    done = CliRunner().invoke(app, ["report", str(sample_path), "--client", "anna", "--format", "html",
                                    "--jobs", "1", "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert (gc.get_freeze_count(), gc.get_threshold()) == before
    assert gc.get_threshold() != quick_exit.THRESHOLDS


def test_python_thresholds_come_back_when_a_worker_freezes():
    code = ("import gc; from backanalytics import quick_exit as q; print(gc.get_threshold()); q.in_worker(); "
            "print(gc.get_threshold()); q.freeze_long_lived(); print(gc.get_threshold())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["(700, 10, 10)", "(20000, 20, 20)", "(700, 10, 10)"]
