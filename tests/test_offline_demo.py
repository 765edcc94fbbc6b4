"""Privacy: the whole main job (``make demo``'s three commands) runs with the network cut off.

The commands run as real processes, as a user runs them, with a ``sitecustomize`` module first on
``PYTHONPATH`` that refuses every Internet connection and name lookup and writes each attempt to a
file. Every Python process started below loads it, including the report batch's worker processes
(started with ``spawn``, each a fresh interpreter) and whatever WeasyPrint does while rendering.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import sitecustomize_env

BLOCKER = textwrap.dedent('''
    import os, socket

    _LOG = os.environ["BACKANALYTICS_NETLOG"]

    def _refuse(what):
        def refuse(*args, **kwargs):
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {what} {args[1:] if what == 'connect' else args!r}\\n")
            raise OSError(f"network access is blocked ({what})")
        return refuse

    _connect = socket.socket.connect

    def connect(self, address, *rest):
        if self.family in (socket.AF_INET, socket.AF_INET6):  # local pipes and Unix sockets stay open
            _refuse("connect")(self, address)
        return _connect(self, address, *rest)

    socket.socket.connect = connect
    socket.socket.connect_ex = lambda self, address: connect(self, address) or 0
    socket.getaddrinfo = _refuse("getaddrinfo")
    socket.gethostbyname = _refuse("gethostbyname")
''')


@pytest.fixture
def offline_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    netlog = tmp_path / "network-attempts.log"
    env = sitecustomize_env(tmp_path, BLOCKER, os.environ.get("PYTHONPATH", ""), BACKANALYTICS_NETLOG=str(netlog))
    return env, netlog


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("backanalytics")
    return subprocess.run([str(script), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("attempt, logged", [
    ("socket.create_connection(('example.org', 80), 1)", "getaddrinfo"),
    ("socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(('127.0.0.1', 9))", "connect"),
])
def test_the_blocker_catches_a_connection_attempt(offline_env, attempt, logged):
    env, netlog = offline_env
    done = subprocess.run([sys.executable, "-c", f"import socket; {attempt}"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "network access is blocked" in done.stderr
    assert f" {logged} " in netlog.read_text(encoding="utf-8")


@pytest.mark.slow
def test_make_demo_commands_run_without_the_network(offline_env, sample_path, tmp_path):
    env, netlog = offline_env
    assert run(["validate", str(sample_path)], env, tmp_path).returncode == 0
    assessments = str(sample_path.with_name("sample_assessments.csv"))  # as make demo runs them
    summary = run(["summary", str(sample_path), "--assessments", assessments], env, tmp_path)
    assert summary.returncode == 0 and "anna" in summary.stdout and "odi_change" in summary.stdout
    report = run(["report", str(sample_path), "--all", "--out", "reports", "--jobs", "2", "--assessments",
                  assessments], env, tmp_path)
    assert report.returncode == 0, report.stderr

    written = {p.name for p in (tmp_path / "reports").iterdir()}
    assert {"caseload.html", "caseload.pdf", "client_anna.html", "client_hugo.pdf", "metrics.xlsx"} <= written
    assert not netlog.exists(), netlog.read_text(encoding="utf-8")
