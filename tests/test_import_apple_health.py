"""Apple Health importer: real exports, a generated export across DST and zones, XML/zip safety."""

from __future__ import annotations

import re
import time
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from backanalytics.columns import CANONICAL
from backanalytics.importers.apple_health import import_apple_health
from tests.conftest import REALWORLD, needs_realworld

APPLE = REALWORLD / "apple-health"
SAMPLES = {
    "v3-2016": APPLE / "tdda-export-v3-2016" / "export6s3sample.xml",
    "unversioned-2019": APPLE / "dogsheep-export-2019" / "export.xml",
    "unversioned-2019-zip-layout": APPLE / "dogsheep-export-2019" / "apple_health_export" / "export.xml",
    "v14-2025": APPLE / "grll-export-v14-2025" / "export.xml",
}
# The brief's list of stretching-like types, restated here so the test does not trust the module.
STRETCH_TYPES = {
    f"HKWorkoutActivityType{name}"
    for name in ("Flexibility", "Yoga", "Pilates", "MindAndBody", "Cooldown", "PreparationAndRecovery")
}
# Independent of the parser: a regex over the raw bytes (a DTD line is "<!ATTLIST Workout", so it
# never matches "<Workout ").
WORKOUT_TAG = re.compile(rb"<Workout\s[^>]*>", re.S)
ACTIVITY = re.compile(rb'workoutActivityType="([^"]*)"')
START = re.compile(rb'startDate="(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) [+-]\d{4}"')

needs_samples = needs_realworld("apple-health")


def raw_workouts(path: Path) -> list[tuple[str, str, str]]:
    """(activity type, written date, written time) of every <Workout> start tag."""
    found = []
    for tag in WORKOUT_TAG.findall(path.read_bytes()):
        day, clock = START.search(tag).groups()
        found.append((ACTIVITY.search(tag).group(1).decode(), day.decode(), clock.decode()))
    return found


def reported_counts(skipped: pd.DataFrame) -> dict[str, int]:
    """{activity type: count} from the aggregated skipped rows."""
    rows = skipped[skipped["record"].str.startswith("Workout ")]
    return {
        record.removeprefix("Workout "): int(reason.split()[0])
        for record, reason in zip(rows["record"], rows["reason"], strict=True)
        if "non-stretching" in reason
    }


# --------------------------------------------------------------------------- real exports


@needs_samples
@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_real_export_every_workout_is_imported_or_counted_by_type(sample: Path) -> None:
    workouts = raw_workouts(sample)
    assert workouts, "each sample holds at least one workout"
    result = import_apple_health(sample)
    expected_other = Counter(kind for kind, _, _ in workouts if kind not in STRETCH_TYPES)
    assert len(result.log) == sum(kind in STRETCH_TYPES for kind, _, _ in workouts)
    assert reported_counts(result.skipped) == dict(expected_other)
    assert list(result.log.columns) == CANONICAL


@needs_samples
@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_real_export_structure_yields_rows_when_workouts_are_stretching(
    sample: Path, tmp_path: Path
) -> None:
    # No public export has a Yoga workout; relabel the real ones (in a temp copy) so the real
    # structure (DTD, nested statistics, routes, metadata) goes through the row path.
    data = re.sub(rb'workoutActivityType="[^"]*"', b'workoutActivityType="HKWorkoutActivityTypeYoga"',
                  sample.read_bytes())
    copy = tmp_path / "export.xml"
    copy.write_bytes(data)
    expected = [(day, clock) for _, day, clock in raw_workouts(copy)]
    result = import_apple_health(copy, use_workout_timezone=False)
    got = list(zip(result.log["date"].dt.strftime("%Y-%m-%d"), result.log["time"], strict=True))
    assert got == expected
    assert set(result.log["stretch"]) == {"Yoga workout"}
    assert (result.log["reps"] == 1).all()
    assert result.skipped.empty


@needs_samples
def test_hktimezone_metadata_gives_the_local_time_where_the_workout_happened(
    tmp_path: Path,
) -> None:
    # dogsheep: startDate "2016-11-14 07:25:41 -0700" with HKTimeZone America/Los_Angeles.
    # 07:25:41 -07:00 = 14:25:41 UTC; Los Angeles was on PST (-08:00) that day -> 06:25:41.
    data = SAMPLES["unversioned-2019"].read_bytes().replace(
        b"HKWorkoutActivityTypeRunning", b"HKWorkoutActivityTypeFlexibility")
    copy = tmp_path / "export.xml"
    copy.write_bytes(data)
    row = import_apple_health(copy).log.iloc[0]
    assert (str(row["date"].date()), row["time"]) == ("2016-11-14", "06:25:41")
    assert row["hold_s"] == pytest.approx(5.19412346680959 * 60, abs=0.05)


@needs_samples
def test_zip_and_folder_inputs_read_the_same_export(tmp_path: Path) -> None:
    folder = APPLE / "dogsheep-export-2019" / "apple_health_export"
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            zf.write(file, f"apple_health_export/{file.relative_to(folder).as_posix()}")
    from_zip = import_apple_health(archive)
    from_folder = import_apple_health(folder.parent)
    assert from_zip.skipped["source"].tolist() == ["export.zip:apple_health_export/export.xml"]
    assert reported_counts(from_zip.skipped) == {"HKWorkoutActivityTypeRunning": 1}
    assert reported_counts(from_folder.skipped) == {"HKWorkoutActivityTypeRunning": 1}


# --------------------------------------------------------------------------- generated export

DTD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout workoutActivityType CDATA #REQUIRED duration CDATA #IMPLIED>
]>
"""


def workout(kind: str, start: str, end: str | None = None, zone: str | None = None,
            duration: str | None = "10", unit: str = "min") -> str:
    attrs = f'workoutActivityType="HKWorkoutActivityType{kind}" sourceName="Watch" '
    if duration is not None:
        attrs += f'duration="{duration}" durationUnit="{unit}" '
    attrs += f'startDate="{start}" endDate="{end or start}"'
    meta = f'<MetadataEntry key="HKTimeZone" value="{zone}"/>' if zone else ""
    return f" <Workout {attrs}>{meta}<MetadataEntry key=\"HKIndoorWorkout\" value=\"1\"/></Workout>\n"


GENERATED = DTD + '<HealthData locale="en_US">\n <ExportDate value="2024-12-01 10:00:00 +0100"/>\n' + "".join([
    # Los Angeles the evening before the spring-forward night (PST, -08:00): 10 min = 600 s.
    workout("Yoga", "2024-03-09 23:30:00 -0800"),
    # Los Angeles after 02:00 on 2024-03-10 (PDT, -07:00), duration in seconds.
    workout("Flexibility", "2024-03-10 03:15:00 -0700", duration="300", unit="sec"),
    # Tokyo, duration in hours: 0.1 hr = 360 s.
    workout("Flexibility", "2024-03-11 07:00:00 +0900", duration="0.1", unit="hr"),
    # India, 00:30 local = 19:00 UTC the day before: the local date must win. No duration
    # attribute: 15 min from endDate, over the 600 s hold limit.
    workout("Yoga", "2024-03-11 00:30:00 +0530", end="2024-03-11 00:45:00 +0530", duration=None),
    # Exported in Berlin (+01:00) but done in New York on the fall-back night:
    # 08:10 +01:00 = 07:10 UTC; New York switched to EST (-05:00) at 06:00 UTC -> 02:10.
    workout("Pilates", "2024-11-03 08:10:00 +0100", zone="America/New_York"),
    # Exported in Berlin, done in Los Angeles: 01:30 +01:00 = 00:30 UTC = 17:30 PDT the day before.
    workout("MindAndBody", "2024-11-03 01:30:00 +0100", zone="America/Los_Angeles"),
    # An unknown zone name falls back to the written wall clock.
    workout("Cooldown", "2024-11-04 18:00:00 +0100", zone="Mars/Olympus_Mons"),
    workout("Running", "2024-03-09 07:00:00 -0800"),
    workout("Running", "2024-03-12 07:00:00 -0700"),
    workout("Walking", "2024-03-12 19:00:00 -0700"),
    workout("Yoga", "yesterday evening"),
    ' <Record type="HKQuantityTypeIdentifierStepCount" unit="count" value="12" sourceName="Phone"'
    ' startDate="2024-03-09 07:00:00 -0800" endDate="2024-03-09 07:01:00 -0800"/>\n',
    ' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Health"'
    ' startDate="2024-03-09 07:00:00 -0800" endDate="2024-03-09 07:00:00 -0800">'
    '<Record type="HKQuantityTypeIdentifierBloodPressureSystolic" value="120" sourceName="Health"'
    ' startDate="2024-03-09 07:00:00 -0800" endDate="2024-03-09 07:00:00 -0800"/></Correlation>\n',
]) + "</HealthData>\n"


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    path = tmp_path / "apple_health_export" / "export.xml"
    path.parent.mkdir()
    path.write_text(GENERATED, encoding="utf-8")
    return path


def test_generated_export_local_dates_times_and_durations(generated: Path) -> None:
    log = import_apple_health(generated, client_id="anna").log
    got = list(zip(log["date"].dt.strftime("%Y-%m-%d"), log["time"], log["stretch"],
                   log["hold_s"].fillna(-1), strict=True))
    assert got == [
        ("2024-03-09", "23:30:00", "Yoga workout", 600.0),
        ("2024-03-10", "03:15:00", "Flexibility workout", 300.0),
        ("2024-03-11", "07:00:00", "Flexibility workout", 360.0),
        ("2024-03-11", "00:30:00", "Yoga workout", -1),
        ("2024-11-03", "02:10:00", "Pilates workout", 600.0),
        ("2024-11-02", "17:30:00", "Mind and body workout", 600.0),
        ("2024-11-04", "18:00:00", "Cooldown workout", 600.0),
    ]
    assert set(log["client_id"]) == {"anna"}
    assert (log["reps"] == 1).all()


def test_written_offset_is_used_when_workout_timezone_is_off(generated: Path) -> None:
    log = import_apple_health(generated, use_workout_timezone=False).log
    assert log["time"].iloc[4:6].tolist() == ["08:10:00", "01:30:00"]
    assert log["date"].iloc[5] == pd.Timestamp("2024-11-03")


def test_workout_over_600_s_keeps_duration_in_notes_not_hold_s(generated: Path) -> None:
    row = import_apple_health(generated).log.iloc[3]
    assert pd.isna(row["hold_s"])
    assert "15.0 min" in row["notes"] and "600 s" in row["notes"]


def test_generated_export_skips_are_explained(generated: Path) -> None:
    skipped = import_apple_health(generated).skipped
    assert reported_counts(skipped) == {"HKWorkoutActivityTypeRunning": 2,
                                        "HKWorkoutActivityTypeWalking": 1}
    bad = skipped[skipped["reason"].str.contains("startDate")]
    assert bad["record"].str.contains("yesterday evening").tolist() == [True]


def test_each_row_knows_the_workout_it_came_from(generated: Path) -> None:
    result = import_apple_health(generated)
    assert len(result.origins) == len(result.log)
    assert result.origins["source"].unique().tolist() == ["export.xml"]
    assert result.origin(0) == ("export.xml", "Workout HKWorkoutActivityTypeYoga startDate='2024-03-09 23:30:00 -0800'")


def test_log_has_canonical_columns_and_dtypes(generated: Path) -> None:
    log = import_apple_health(generated).log
    assert list(log.columns) == CANONICAL
    assert pd.api.types.is_datetime64_dtype(log["date"])
    assert (log["date"] == log["date"].dt.normalize()).all()
    assert log["time"].str.fullmatch(r"\d\d:\d\d:\d\d").all()


# --------------------------------------------------------------------------- safety

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
""" + "".join(
    f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
    for i in range(1, 10)
) + """]>
<HealthData locale="en_US"><Workout workoutActivityType="&lol9;"/></HealthData>
"""


def test_billion_laughs_is_rejected_quickly(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ValueError, match="entit") as error:
        import_apple_health(path)
    assert time.perf_counter() - started < 2.0
    assert "\n" not in str(error.value)


def test_external_entity_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY x SYSTEM '
                    '"file:///etc/passwd">]><HealthData>&x;</HealthData>', encoding="utf-8")
    with pytest.raises(ValueError, match="entit"):
        import_apple_health(path)


@pytest.mark.parametrize("evil", ["../../evil.xml", "apple_health_export/../../x.gpx", "/etc/x"])
def test_zip_member_path_traversal_is_rejected(tmp_path: Path, evil: str) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("apple_health_export/export.xml", '<HealthData locale="en_US"/>')
        zf.writestr(evil, "x")
    with pytest.raises(ValueError, match="unsafe zip member path") as error:
        import_apple_health(archive)
    assert "\n" not in str(error.value)


def test_zip_bomb_ratio_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml",
                    b'<HealthData locale="en_US">' + b" " * 8_000_000 + b"</HealthData>")
    with pytest.raises(ValueError, match="zip bomb"):
        import_apple_health(archive)


def test_zip_without_export_xml_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        zf.writestr("apple_health_export/workout-routes/route.gpx", "<gpx/>")
    with pytest.raises(ValueError, match=r"no apple_health_export/export\.xml"):
        import_apple_health(archive)


@pytest.mark.parametrize(
    ("content", "message"),
    [("<HealthData><Workout></HealthData>", "not well-formed"),
     ('<ClinicalDocument xmlns="urn:hl7-org:v3"/>', "not an Apple Health export")],
)
def test_wrong_or_broken_xml_gives_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "export.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        import_apple_health(path)
    assert "\n" not in str(error.value)


def test_missing_input_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no export\.xml"):
        import_apple_health(tmp_path)


def test_damaged_zip_member_gives_one_line_error(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", GENERATED * 20)
    data = bytearray(archive.read_bytes())
    data[300:360] = bytes(60)  # corrupt the compressed stream, keep the directory intact
    archive.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged zip member") as error:
        import_apple_health(archive)
    assert "\n" not in str(error.value)


def test_zip_with_a_differently_named_export_xml_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/Exportieren.xml", GENERATED)
        zf.writestr("apple_health_export/Exportieren_cda.xml", "<ClinicalDocument/>")
    assert len(import_apple_health(archive).log) == 7
