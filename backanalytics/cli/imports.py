"""``backanalytics import``: another app's export -> the canonical log, validated."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backanalytics.cli import app, fail
from backanalytics.cli.outputs import hold_outputs, write_log_csv

if TYPE_CHECKING:  # pandas loads in the commands that use it: --help stays fast
    import pandas as pd

#: Skipped or rejected records ``import`` lists one by one before it only counts the rest.
IMPORT_LISTED = 50


def parse_habit_map(items: list[str] | None, kind: str) -> dict[str, list[str]]:
    """``--map HABIT=STRETCH[;STRETCH...]`` options -> {habit: [stretches]}; exit 2 when malformed."""
    habit_map: dict[str, list[str]] = {}
    for item in items or []:
        if "=" not in item:
            raise fail(f"--map {item!r}: write it as HABIT=STRETCH[;STRETCH...]")
        habit, stretches = item.split("=", 1)
        habit_map[habit.strip()] = [s.strip() for s in stretches.split(";") if s.strip()]
    from backanalytics.importers import MAPPABLE

    if habit_map and kind not in MAPPABLE:
        raise fail(f"--map is only for the {', '.join(MAPPABLE)} importers")
    return habit_map


def echo_listed(table: pd.DataFrame, verb: str) -> None:
    """One line per skipped / rejected record (source, record, reason), then a count of the rest."""
    for row in table.head(IMPORT_LISTED).itertuples(index=False):
        where = f"{row.source} {row.record}" if verb == "rejected" else row.record
        typer.echo(f"  {verb} {where}: {row.reason}")
    if len(table) > IMPORT_LISTED:
        typer.echo(f"  ... and {len(table) - IMPORT_LISTED} more {verb} records")


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="loop, apple-health, fhir, strong, hevy or bearable.")],
    src: Annotated[Path, typer.Argument(help="The export: a zip, folder, .db, export.xml, JSON/NDJSON, CSV.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the canonical log CSV here.")] = None,
    client: Annotated[str | None, typer.Option("--client", help="Client id for the imported rows.")] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="Loop: HABIT=STRETCH[;STRETCH...], e.g. --map 'Morning stretches=Cat-Cow;Cobra'; "
        "Strong, Hevy, Bearable: EXERCISE=STRETCH (EXERCISE= excludes). Repeat for several.")] = None,
    symptom: Annotated[list[str] | None, typer.Option(
        "--symptom", help="Bearable only: another symptom to read as pain, e.g. 'Neck pain'. Repeatable.")] = None,
    skipped: Annotated[Path | None, typer.Option(
        "--skipped", help="Write what was skipped or rejected, and why, here.")] = None,
) -> None:
    """Import another app's export into the canonical log (then validated like any other input).

    Rows that fail validation are listed with their reason, left out of OUT.csv and added to
    --skipped. Exit code 0: every imported row is valid (or there was nothing to import: OUT.csv
    then has the header only); 1: some imported rows were rejected; 2: the export is unusable.

    Examples:

      backanalytics import loop Loop-Habits-CSV.zip --map "Stretch=Cat-Cow;Child's Pose" -o log.csv

      backanalytics import apple-health export.zip --client anna -o anna.csv

      backanalytics import fhir observations.ndjson -o pain.csv --skipped pain-skipped.csv

      backanalytics import strong strong.csv --map "Thoracic Extension=Cat-Cow" -o log.csv

      backanalytics import bearable bearable-export.csv --symptom "Neck pain" -o pain.csv
    """
    import warnings

    import pandas as pd

    from backanalytics.importers import IMPORTERS, canonical_frame, run_importer
    from backanalytics.report.safety import atomic_path, safe_frame
    from backanalytics.validation import validate

    if kind not in IMPORTERS:
        raise fail(f"unknown importer {kind!r}; use one of {', '.join(IMPORTERS)}")
    if not src.exists():
        raise fail(f"{src}: no such file or folder")
    habit_map = parse_habit_map(mapping, kind)
    if symptom and kind != "bearable":
        raise fail("--symptom is only for the Bearable importer")
    hold_outputs(ctx, out, skipped)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            result = run_importer(kind, src, client_id=client, mapping=habit_map or None, symptoms=symptom or ())
        except (ValueError, OSError, KeyError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise fail(message if message.startswith(src.name) else f"{src.name}: {message}") from None
    for warning in caught:  # e.g. "mapping names no habit": one plain line, not a source line
        typer.echo(f"warning: {(str(warning.message).splitlines() or [''])[0]}", err=True)
    typer.echo(result.summary())
    echo_listed(result.skipped, "skipped")
    valid, rejected = canonical_frame([]), result.skipped.iloc[0:0]
    if result.log.empty:
        typer.echo("nothing to import")
    else:
        report = validate(result.log)
        typer.echo(report.summary().replace("log:", "validated:"))
        valid, rejected = report.valid, result.rejections(report.failures)
        echo_listed(rejected, "rejected")
    if out is not None:
        write_log_csv(valid, out)
        detail = " (header only: nothing to import)" if result.log.empty else (
            f" ({len(rejected)} rejected rows left out)" if len(rejected) else "")
        typer.echo(f"wrote {len(valid)} rows to {out}{detail}")
    if skipped is not None:
        table = pd.concat([result.skipped, rejected.assign(reason="rejected by validation: " + rejected["reason"])],
                          ignore_index=True)
        try:
            with atomic_path(skipped) as tmp:
                safe_frame(table).to_csv(tmp, index=False)
        except OSError as exc:
            raise fail(f"cannot write {skipped}: {exc.strerror or exc}") from None
        typer.echo(f"skipped and rejected records written to {skipped}")
    raise typer.Exit(1 if len(rejected) else 0)
