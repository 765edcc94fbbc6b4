"""``backanalytics sample``: a seeded sample log and its questionnaires."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backanalytics import columns as C
from backanalytics.cli import app, fail


@app.command("sample")
def sample_cmd(
    out: Annotated[Path, typer.Argument(help="Where to write the CSV.")] = Path("data/sample_logs.csv"),
    clients: Annotated[int, typer.Option(help="Number of clients.")] = 9,
    days: Annotated[int, typer.Option(help="Days of logging per client.")] = 98,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    end: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD).")] = "2026-11-15",
) -> None:
    """Generate a realistic, seeded sample log (each client follows a story; see README).

    Example: backanalytics sample data/sample_logs.csv --clients 9 --days 98
    """
    from backanalytics.report.safety import atomic_path
    from backanalytics.sample import write_sample

    if clients < 1 or days < 1:
        raise fail("--clients and --days must be at least 1")
    with atomic_path(out) as tmp:  # never a half-written sample (Ctrl-C, full disk)
        log = write_sample(str(tmp), n_clients=clients, days=days, seed=seed, end=end)
    typer.echo(f"wrote {len(log)} rows for {log[C.CLIENT_ID].nunique()} clients to {out}")
    from backanalytics.sample_assessments import assessments_path, write_sample_assessments

    questionnaires = write_sample_assessments(log, assessments_path(out), seed=seed)
    typer.echo(f"wrote {len(questionnaires)} questionnaires (ODI, RMDQ, PSFS) to {assessments_path(out)}")
