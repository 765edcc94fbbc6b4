"""The ``backanalytics`` command: validate, summary, report, import, sample, template.

Exit codes: 0 success; 1 the input was read but rows were rejected; 2 the input is unusable
(missing file, unknown format, missing required column, bad option). Errors are one readable line,
never a traceback.

One module per command (``validate``, ``summary``, ``report``, ``imports``, ``sample``,
``template``), the inputs they read in ``inputs``, the files they write in ``outputs``; here the
Typer ``app``, :func:`fail`, the options the commands share, and :func:`main`, the console entry point.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Turn back-stretching logs into evidence of progress.\n\n"
    "Examples:\n\n  backanalytics validate data/sample_logs.csv\n\n"
    "  backanalytics summary data/sample_logs.csv --client anna",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


Files = Annotated[list[Path], typer.Argument(
    help="Log files (CSV, Excel, Parquet, JSON), a folder of log files, or a Parquet dataset folder.")]
ClientOpt = Annotated[str | None, typer.Option(
    "--client", help="The client of a log without client column (default: the file name); with a "
    "client column, only this client.")]
DateOrder = Annotated[str | None, typer.Option(
    "--date-order", help="How to read dates like 03/11/2026: dmy, mdy or ymd (default: told by the file).")]
ColumnMap = Annotated[list[str] | None, typer.Option(
    "--map", help="Columns: \"Col=target;...\" with a contract column, 'ignore' or 'stretch' "
    "(a grid column), e.g. --map \"Walked dog=ignore\".")]

ASSESSMENTS_HELP = ("Questionnaires (ODI, RMDQ, PSFS): a table with client_id, date, instrument and the item "
                    "answers or a score, or a log with odi / rmdq / psfs columns.")


def main() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that never shows a traceback for expected failures; Ctrl-C is one line, exit 130.

    Run as the ``backanalytics`` command, the process then ends without tearing its interpreter
    down (:mod:`backanalytics.quick_exit`), with the same exit code.
    """
    from backanalytics import quick_exit

    leaving = quick_exit.for_command()
    try:
        _run()
    except SystemExit as exc:
        if leaving is not None:
            leaving.code = exc.code
        raise
    except BaseException:  # BACKANALYTICS_DEBUG: Python prints the traceback and exits 1
        if leaving is not None:
            leaving.code = 1
        raise


def _run() -> None:
    from backanalytics import interrupt

    try:
        interrupt.install()
        app()
    except KeyboardInterrupt:
        interrupt.exit_interrupted()
    except SystemExit as exc:  # typer turns Ctrl-C into Exit(130); a swallowed one is only recorded
        if interrupt.requested() or exc.code == interrupt.EXIT_CODE:
            interrupt.exit_interrupted()
        raise
    except Exception as exc:  # a bug, not a bad input: still one line, the traceback on request
        if os.environ.get("BACKANALYTICS_DEBUG"):
            raise
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        typer.echo(f"error: unexpected {type(exc).__name__}: {detail} (please report it; set "
                   "BACKANALYTICS_DEBUG=1 to see the traceback)", err=True)
        sys.exit(2)


# The commands register themselves on ``app`` when imported, in the order --help lists them;
# after ``app``, ``fail`` and the options above, which they import from here.
from backanalytics.cli import validate, sample, template, summary, imports, report  # noqa: E402, F401, I001
