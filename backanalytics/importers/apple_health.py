"""Import stretching sessions from an Apple Health export ("Export All Health Data").

The Health app writes ``export.zip`` holding ``apple_health_export/export.xml``: one
``<HealthData>`` root with millions of ``<Record>`` elements and a few ``<Workout>`` ones. Only
workouts whose ``workoutActivityType`` is a stretching-like type (:data:`STRETCH_WORKOUTS`)
become log rows; every other workout type is counted and reported in ``skipped`` (one row per
type). Records, activity summaries, routes and so on are not workouts and are ignored.

Real exports are several GB, so the XML is parsed as a stream straight from the zip member,
and each top-level element is discarded as soon as it has been looked at: memory stays flat
whatever the file size (see ``benchmarks/bench_apple_health.py``).
"""

from __future__ import annotations

import math
import os
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from backanalytics import columns as col
from backanalytics.importers import ORIGIN, SKIPPED_COLUMNS, ImportResult, canonical_frame, origin_frame

#: HealthKit workout types that count as a stretching session -> the ``stretch`` label used.
#: Labels are deliberately not catalog names: a "Yoga workout" is not one catalog stretch.
STRETCH_WORKOUTS: dict[str, str] = {
    "HKWorkoutActivityTypeFlexibility": "Flexibility workout",
    "HKWorkoutActivityTypeYoga": "Yoga workout",
    "HKWorkoutActivityTypePilates": "Pilates workout",
    "HKWorkoutActivityTypeMindAndBody": "Mind and body workout",
    "HKWorkoutActivityTypeCooldown": "Cooldown workout",
    "HKWorkoutActivityTypePreparationAndRecovery": "Preparation and recovery workout",
}

#: The data contract's upper limit for one hold. Longer workouts keep their duration in
#: ``notes`` and leave ``hold_s`` empty: splitting a 40-minute class into 600 s "holds" would
#: invent stretches nobody did.
MAX_HOLD_S = 600.0

#: Zip safety limits. A real export has export.xml, export_cda.xml and a few thousand route /
#: ECG files; deflate on Apple's repetitive XML reaches about 10-30x (the synthetic benchmark
#: file ~25x). Deflate's ceiling is ~1000x, so 200x stops bombs without refusing real files.
MAX_ZIP_MEMBERS = 100_000
MAX_COMPRESSION_RATIO = 200.0

_DURATION_SECONDS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_APPLE_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"  # "2019-02-11 06:58:05 -0800"
_DRIVE = re.compile(r"^[A-Za-z]:")


def import_apple_health(
    src: str | os.PathLike[str],
    client_id: str = "me",
    *,
    use_workout_timezone: bool = True,
) -> ImportResult:
    """Read stretching workouts from an Apple Health export.

    Parameters
    ----------
    src
        ``export.zip``, an ``export.xml`` file (bare or inside ``apple_health_export/``), or a
        folder holding ``export.xml`` or ``apple_health_export/export.xml``.
    client_id
        Written to every row; an export belongs to one person.
    use_workout_timezone
        Apple writes every date with the UTC offset of the *exporting* phone, not of the place
        the workout happened. When a workout carries ``HKTimeZone`` metadata (the Workout app
        and many third-party apps write it) the local date and time are taken in that zone;
        otherwise, or when this is ``False``, the wall-clock time as written is used.

    Returns
    -------
    ImportResult
        ``log``: one row per stretching workout with ``stretch`` (a readable label such as
        "Yoga workout"), ``hold_s`` (the workout duration in seconds, empty when over
        :data:`MAX_HOLD_S`, the duration then being in ``notes``), ``reps`` = 1 and the local
        ``date`` / ``time``. ``skipped``: one row per non-stretching workout type with its
        count, plus one row per unusable stretching workout (bad date or duration).

    Raises
    ------
    ValueError
        One line, for a missing or unsafe input: no export.xml, a zip with ``..`` or absolute
        member paths, too many members, a compression ratio over
        :data:`MAX_COMPRESSION_RATIO`, an encrypted member, entity declarations in the XML
        (entity-expansion attacks such as "billion laughs"), malformed XML.

    Examples
    --------
    >>> import tempfile
    >>> xml = ('<HealthData locale="en_US"><Workout workoutActivityType='
    ...        '"HKWorkoutActivityTypeYoga" duration="5" durationUnit="min" sourceName="Watch" '
    ...        'startDate="2024-03-10 23:30:00 -0700" endDate="2024-03-10 23:35:00 -0700"/>'
    ...        '<Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="20" '
    ...        'durationUnit="min" sourceName="Watch" startDate="2024-03-11 07:00:00 -0700" '
    ...        'endDate="2024-03-11 07:20:00 -0700"/></HealthData>')
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "export.xml"
    ...     _ = path.write_text(xml, encoding="utf-8")
    ...     result = import_apple_health(path)
    >>> row = result.log.iloc[0]
    >>> str(row["date"].date()), row["time"], row["stretch"], float(row["hold_s"]), int(row["reps"])
    ('2024-03-10', '23:30:00', 'Yoga workout', 300.0, 1)
    >>> result.skipped["record"].tolist(), result.skipped["reason"].tolist()
    (['Workout HKWorkoutActivityTypeRunning'], ['1 workout(s) of a non-stretching type'])
    """
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    other_types: Counter[str] = Counter()
    with _open_export(Path(src)) as (stream, source):
        for workout in _iter_workouts(stream, source):
            kind = workout.get("workoutActivityType", "")
            if kind not in STRETCH_WORKOUTS:
                other_types[kind or "(no workoutActivityType)"] += 1
                continue
            row = _workout_row(workout, client_id, use_workout_timezone)
            record = f"Workout {kind} startDate={workout.get('startDate')!r}"
            if isinstance(row, str):
                skipped.append({"source": source, "record": record, "reason": row})
            else:
                rows.append({**row, ORIGIN: (source, record)})
    for kind, count in sorted(other_types.items()):
        reason = f"{count} workout(s) of a non-stretching type"
        skipped.append({"source": source, "record": f"Workout {kind}", "reason": reason})
    skipped_frame = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    return ImportResult(log=canonical_frame(rows), skipped=skipped_frame, origins=origin_frame(rows))


# --------------------------------------------------------------------------- input files


@contextmanager
def _open_export(path: Path) -> Iterator[tuple[IO[bytes], str]]:
    """Yield a binary stream of export.xml and a short name for ``skipped.source``."""
    if path.is_dir():
        for candidate in (path / "export.xml", path / "apple_health_export" / "export.xml"):
            if candidate.is_file():
                path = candidate
                break
        else:
            raise ValueError(f"{path}: no export.xml or apple_health_export/export.xml in it")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            info = _export_member(archive, path.name)
            with archive.open(info) as stream:  # decompresses as it is read; nothing extracted
                yield stream, f"{path.name}:{info.filename}"
    else:
        with path.open("rb") as stream:
            yield stream, path.name


def _export_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """Check the archive is safe to read and pick its export.xml member."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ValueError(
            f"{name}: {len(infos)} zip members (limit {MAX_ZIP_MEMBERS}); "
            "not an Apple Health export"
        )
    for info in infos:
        member = info.filename.replace("\\", "/")
        if member.startswith("/") or _DRIVE.match(member) or ".." in PurePosixPath(member).parts:
            raise ValueError(
                f"{name}: unsafe zip member path {info.filename!r}; refusing to read the archive"
            )
    # Apple names the file export.xml (the CDA document next to it is export_cda.xml); fall back
    # to the only other top-level XML file in case a localised iOS names it differently.
    xml = [i for i in infos if not i.is_dir() and i.filename.lower().endswith(".xml")]
    xml = [i for i in xml if len(PurePosixPath(i.filename).parts) <= 2]
    exact = [i for i in xml if PurePosixPath(i.filename).name.lower() == "export.xml"]
    others = [i for i in xml if not i.filename.lower().endswith("_cda.xml")]
    chosen = exact or (others if len(others) == 1 else [])
    if not chosen:
        raise ValueError(f"{name}: no apple_health_export/export.xml inside the zip")
    info = min(chosen, key=lambda i: len(i.filename))
    if info.flag_bits & 0x1:
        raise ValueError(f"{name}: {info.filename} is encrypted")
    # ZipExtFile never returns more than the declared file_size, so bounding the declared
    # ratio bounds the work a crafted archive can cause.
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > MAX_COMPRESSION_RATIO and info.file_size > 2**20:
        raise ValueError(
            f"{name}: {info.filename} expands {ratio:.0f}x (limit {MAX_COMPRESSION_RATIO:.0f}x); "
            "refusing a possible zip bomb"
        )
    return info


def _iter_workouts(stream: IO[bytes], source: str) -> Iterator[Element]:
    """Yield each top-level ``<Workout>`` (with its children) while streaming the XML.

    defusedxml's parser refuses entity declarations and external references, which is what
    makes entity-expansion attacks impossible; Apple's own DTD declares only elements and
    attributes, so real exports are unaffected.
    """
    depth = 0
    root: Element | None = None
    try:
        for event, elem in iterparse(stream, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                    if elem.tag != "HealthData":
                        raise ValueError(
                            f"{source}: root element is <{elem.tag}>, not <HealthData>; "
                            "not an Apple Health export"
                        )
                continue
            depth -= 1
            if depth == 1:  # a direct child of <HealthData> is complete
                if elem.tag == "Workout":
                    yield elem
                # Drop finished children so memory does not grow with the file.
                assert root is not None
                root.clear()
    except DefusedXmlException as exc:
        raise ValueError(
            f"{source}: the XML declares entities or external references ({type(exc).__name__}); "
            "refusing to parse (possible entity-expansion attack)"
        ) from None
    except ParseError as exc:
        raise ValueError(f"{source}: not well-formed XML ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{source}: damaged zip member ({exc})") from None


# --------------------------------------------------------------------------- one workout


def _workout_row(workout: Element, client_id: str, use_zone: bool) -> dict[str, Any] | str:
    """Turn one stretching ``<Workout>`` into a log row, or return why it cannot be used."""
    try:
        start = datetime.strptime(workout.get("startDate", "").strip(), _APPLE_DATE_FORMAT)
    except ValueError:
        return f"unreadable startDate {workout.get('startDate')!r}"
    zone = _workout_zone(workout) if use_zone else None
    local = start.astimezone(zone) if zone is not None else start  # as written otherwise
    seconds = _duration_seconds(workout, start)
    if seconds is None:
        return "no usable duration (duration/durationUnit or endDate)"
    if seconds <= 0:
        return f"duration {seconds:g} s is not positive"
    label = STRETCH_WORKOUTS[workout.get("workoutActivityType", "")]
    too_long = seconds > MAX_HOLD_S
    note = (
        f"{label} of {seconds / 60:.1f} min from Apple Health; hold_s left empty because it "
        f"exceeds {MAX_HOLD_S:.0f} s"
        if too_long
        else None
    )
    return {
        col.CLIENT_ID: client_id,
        col.DATE: local.date(),
        col.TIME: local.strftime("%H:%M:%S"),
        col.STRETCH: label,
        col.HOLD_S: math.nan if too_long else round(seconds, 1),
        col.REPS: 1,
        col.NOTES: note,
        col.PLANNED_REST: False,  # a recorded workout is by definition not a rest day
    }


def _duration_seconds(workout: Element, start: datetime) -> float | None:
    """``duration`` x ``durationUnit``; else endDate - startDate (newer exports may omit it)."""
    factor = _DURATION_SECONDS.get(workout.get("durationUnit", "min").strip().lower())
    try:
        value = float(workout.get("duration", "nan"))
    except ValueError:
        value = math.nan
    if factor is not None and math.isfinite(value):
        return value * factor
    try:
        end = datetime.strptime(workout.get("endDate", "").strip(), _APPLE_DATE_FORMAT)
    except ValueError:
        return None
    return (end - start) / timedelta(seconds=1)


def _workout_zone(workout: Element) -> tzinfo | None:
    """The IANA zone from the workout's ``HKTimeZone`` metadata, if present and known."""
    for entry in workout.findall("MetadataEntry"):  # the workout's own, not its routes'
        if entry.get("key") == "HKTimeZone":
            return _zone(entry.get("value", "").strip())
    return None


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # unknown zone name: fall back to the offset written in the date
