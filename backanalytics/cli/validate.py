"""``backanalytics validate``: check a log, list its problems, write the valid and rejected rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backanalytics.cli import ClientOpt, ColumnMap, DateOrder, Files, app, fail
from backanalytics.cli.inputs import echo_how_read, read_or_exit
from backanalytics.cli.outputs import hold_outputs, write_log_csv

if TYPE_CHECKING:  # pandas loads in the commands that use it: --help stays fast
    import pandas as pd


@app.command("validate")
def validate_cmd(
    ctx: typer.Context,
    files: Files,
    rejected: Annotated[Path | None, typer.Option(
        "--rejected", help="Write the rejected rows, with their problems, to this CSV.")] = None,
    valid: Annotated[Path | None, typer.Option(
        "--valid", help="Write the valid rows as the canonical log: a .csv, a .parquet file, or a folder "
        "(a Parquet dataset partitioned by client bucket, for big logs and Dask).")] = None,
    buckets: Annotated[int, typer.Option(help="Client buckets of a --valid dataset folder.")] = 64,
    max_lines: Annotated[int, typer.Option(help="Show at most this many problem lines.")] = 200,
    client: ClientOpt = None,
    date_order: DateOrder = None,
    mapping: ColumnMap = None,
) -> None:
    """Check a log against the data contract and list every problem with its line number.

    Examples:

      backanalytics validate data/sample_logs.csv --rejected bad_rows.csv

      backanalytics validate data/sample_logs.csv --valid clinic_dataset/ --buckets 8
    """
    import pandas as pd

    from backanalytics.problems import describe_failure

    if buckets < 1:
        raise fail("--buckets must be at least 1")
    outputs = [(name, path) for name, path in (("--rejected", rejected), ("--valid", valid)) if path is not None]
    for i, (name, path) in enumerate(outputs):
        for other, taken in [*(("the input", f) for f in files), *outputs[:i]]:
            if path.resolve() == taken.resolve():
                raise fail(f"{name} {path} is also {other}: write it somewhere else (nothing was written)")
    hold_outputs(ctx, rejected, valid)
    report = read_or_exit(files, client, date_order, mapping)
    max_lines = max(max_lines, 0)
    typer.echo(report.summary())
    echo_how_read(report)
    for row in report.failures.head(max_lines).itertuples(index=False):
        typer.echo(describe_failure(row))
    if len(report.failures) > max_lines:
        typer.echo(f"  ... and {len(report.failures) - max_lines} more problems")
    for row in report.warnings[report.warnings["column"].ne("file")].head(max_lines).itertuples(index=False):
        where = f"line {row[0]}" if pd.notna(row[0]) else "header"
        where = f"{row[4]} {where}" if len(row) > 4 and pd.notna(row[4]) else where
        typer.echo(f"  warning {where}: {row[1]} {'' if pd.isna(row[2]) else repr(str(row[2])[:60])}: {row[3]}")
    if rejected is not None:
        from backanalytics.report.safety import atomic_path, safe_frame

        try:
            with atomic_path(rejected) as tmp:
                safe_frame(report.rejected).to_csv(tmp, index=False)
        except OSError as exc:
            raise fail(f"cannot write {rejected}: {exc.strerror or exc}") from None
        typer.echo(f"rejected rows written to {rejected}")
    if valid is not None:
        write_valid(report.valid, valid, buckets)
    raise typer.Exit(0 if report.ok and not report.warnings["column"].eq("file").any() else 1)


def write_valid(log: pd.DataFrame, out: Path, buckets: int) -> None:
    """``validate --valid``: the canonical log as CSV, one Parquet file or a bucketed dataset folder."""
    from backanalytics.report.safety import atomic_path
    from backanalytics.scale import write_partitioned

    suffix = out.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            with atomic_path(out) as tmp:
                log.to_parquet(tmp, index=False)
            typer.echo(f"{len(log)} valid rows written to {out}")
        elif suffix == ".csv":
            write_log_csv(log, out)
            typer.echo(f"{len(log)} valid rows written to {out}")
        elif suffix:
            raise fail(f"--valid {out}: use a .csv or .parquet file, or a folder (no extension) for a dataset")
        else:
            write_partitioned(log, out, buckets=buckets)
            typer.echo(f"{len(log)} valid rows written to {out}/ (Parquet dataset, {buckets} client buckets)")
    except FileExistsError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
