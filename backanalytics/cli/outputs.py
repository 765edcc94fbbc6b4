"""What the commands write: output files held for one run at a time, the canonical log as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from backanalytics import columns as C
from backanalytics.cli import fail

if TYPE_CHECKING:  # pandas loads in the commands that use it: --help stays fast
    import pandas as pd


def hold_outputs(ctx: typer.Context, *paths: Path | None) -> None:
    """Hold the command's output files until it ends (one run per output); exit 2 if another run has them."""
    from backanalytics.report.lock import FolderBusyError, outputs_lock

    try:
        ctx.with_resource(outputs_lock(*paths))
    except FolderBusyError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write to {Path(exc.filename or '.').parent}: {exc.strerror or exc}") from None


def write_log_csv(table: pd.DataFrame, out: Path) -> None:
    """Write a canonical log as CSV (dates as YYYY-MM-DD, formulas neutralised); exit 2 on failure."""
    from backanalytics.report.safety import atomic_path, safe_frame

    table = table.assign(**{C.DATE: table[C.DATE].dt.strftime("%Y-%m-%d")})
    try:
        with atomic_path(out) as tmp:
            safe_frame(table).to_csv(tmp, index=False)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
