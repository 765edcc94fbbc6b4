"""Every command's ``--help`` shows an example, and the example is a command line that runs.

The quick commands (validate, summary, sample) run their examples for real, in a scratch folder
holding a copy of the sample log; for report and import (slow, or needing another app's export)
the example is parsed by the command itself, so an option that does not exist or a missing
argument fails the test.
"""

from __future__ import annotations

import re
import shlex
import shutil

import pytest
import typer
from typer.testing import CliRunner

from backanalytics.cli import app

runner = CliRunner()
COMMANDS = ["validate", "summary", "report", "import", "sample", "template"]
RUN_FOR_REAL = {"validate", "summary", "sample", "template"}


def examples(command: str) -> list[list[str]]:
    """The example command lines in ``backanalytics COMMAND --help``, as argument lists."""
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "240", "TERMINAL_WIDTH": "240"},
                           terminal_width=240)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, result.output
    lines = re.findall(rf"(?:^|\s)backanalytics {command}\b([^\n│]*)", result.output)
    return [shlex.split(line.strip()) for line in lines]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_an_example_command_line(command):
    found = examples(command)
    assert found, f"no 'backanalytics {command} ...' line in --help"
    assert all(args for args in found), found  # an example with arguments, not the bare command


@pytest.mark.parametrize("command", COMMANDS)
def test_help_examples_parse_as_valid_command_lines(command):
    sub = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    for args in examples(command):
        with sub.make_context(command, list(args), resilient_parsing=False) as ctx:
            assert ctx.params  # parsed: every option exists, every argument is there


@pytest.mark.parametrize("command", sorted(RUN_FOR_REAL))
def test_quick_help_examples_run(command, sample_path, tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    shutil.copy(sample_path, tmp_path / "data" / "sample_logs.csv")
    monkeypatch.chdir(tmp_path)
    for args in examples(command):
        result = runner.invoke(app, [command, *args])
        assert result.exit_code == 0, (args, result.output)
