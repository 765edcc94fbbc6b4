"""FHIR pain Observations: real samples, every skip reason, and the export -> import round trip."""

from __future__ import annotations

import doctest
import gzip
import json
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from backanalytics.columns import CANONICAL
from backanalytics.importers import fhir as fhir_module
from backanalytics.importers.fhir import export_fhir_bundle, import_fhir, score_problem, write_fhir_bundle
from tests.conftest import REALWORLD, needs_realworld

SAMPLES = REALWORLD / "fhir"
MHV = SAMPLES / "mhv-pghd-pain-observations"
SYNTHEA = SAMPLES / "synthea-bulk-ndjson" / "Observation.000.subset.ndjson"
needs_samples = needs_realworld("fhir")

# The MHV implementation guide marks these examples "holding invalid values" (see its
# input/FSH/ex-MHV-pain.fsh and realworld/fhir/SOURCE.txt); every other file must be imported.
MHV_INVALID = {
    "ex-pain-11": "pain 11 is outside 0-10",
    "ex-pain-12": "unit 'Cel' is not a 0-10 score",
    "ex-pain-14": "pain 3.14159 is not a whole or half point",
}
MHV_FILES = sorted(MHV.glob("*.json")) if MHV.is_dir() else []


def raw_value(resource: dict[str, Any]) -> float:
    return float(resource.get("valueInteger", resource.get("valueQuantity", {}).get("value")))


def has_code(resource: dict[str, Any], code: str) -> bool:
    return any(c.get("code") == code for c in resource.get("code", {}).get("coding", []))


def observation(**fields: Any) -> dict[str, Any]:
    """A valid LOINC pain Observation; ``fields`` override or (value None) remove keys."""
    base: dict[str, Any] = {
        "resourceType": "Observation", "id": "p1", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        "subject": {"reference": "Patient/42"},
        "effectiveDateTime": "2024-05-01T08:00:00+02:00",
        "valueInteger": 5,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


# --------------------------------------------------------------------------- real samples


@needs_samples
@pytest.mark.parametrize("path", MHV_FILES, ids=[p.stem for p in MHV_FILES])
def test_mhv_example_is_imported_or_skipped_with_its_reason(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    result = import_fhir(path)
    if raw["id"] in MHV_INVALID:
        assert result.log.empty
        assert result.skipped["record"].tolist() == [f"Observation/{raw['id']}"]
        assert result.skipped["reason"].iloc[0].startswith(MHV_INVALID[raw["id"]])
        return
    assert result.skipped.empty
    row = result.log.iloc[0]
    assert len(result.log) == 1
    assert row["pain"] == raw_value(raw)
    # "2004-12-25T23:50:50-05:00": the patient's local date and time as written.
    assert str(row["date"].date()) == raw["effectiveDateTime"][:10]
    assert row["time"] == raw["effectiveDateTime"][11:19]
    assert row["client_id"] == raw["subject"]["reference"].split("/")[-1]
    notes = [n["text"] for n in raw.get("note", [])]
    if notes:
        assert row["notes"] == "; ".join(notes)
    else:
        assert pd.isna(row["notes"])


@needs_samples
def test_mhv_folder_imports_every_valid_example_once() -> None:
    result = import_fhir(MHV)
    raws = [json.loads(p.read_text(encoding="utf-8")) for p in MHV_FILES]
    valid = [r for r in raws if r["id"] not in MHV_INVALID]
    assert len(result.log) == len(valid) == 14
    assert len(result.skipped) == len(MHV_INVALID) == 3
    assert Counter(result.log["pain"]) == Counter(raw_value(r) for r in valid)
    # SNOMED-only (ex-MHV-pain-14) and LOINC-only (ex-pain-13) are both accepted.
    assert any(not has_code(r, "72514-3") for r in valid)


@needs_samples
def test_synthea_ndjson_keeps_pain_scores_and_counts_other_observations() -> None:
    lines = [json.loads(line) for line in SYNTHEA.read_text(encoding="utf-8").splitlines() if line]
    pain = [r for r in lines if has_code(r, "72514-3")]
    other = Counter(r["code"]["coding"][0]["code"] for r in lines if not has_code(r, "72514-3"))
    result = import_fhir(SYNTHEA)
    assert result.log["pain"].tolist() == [raw_value(r) for r in pain]
    assert result.log["date"].dt.strftime("%Y-%m-%d").tolist() == [r["effectiveDateTime"][:10] for r in pain]
    assert set(result.log["client_id"]) == {r["subject"]["reference"].split("/")[1] for r in pain}
    reported = {rec.split("|")[1].split()[0]: int(reason.split()[0])
                for rec, reason in zip(result.skipped["record"], result.skipped["reason"], strict=True)}
    assert reported == dict(other)
    assert result.skipped["reason"].str.contains("non-pain").all()


# --------------------------------------------------------------------------- skip reasons


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "entered-in-error"}, "status is entered-in-error"),
        ({"status": "cancelled"}, "status is cancelled"),
        ({"valueInteger": -1}, "pain -1 is outside 0-10"),
        ({"valueInteger": 11}, "pain 11 is outside 0-10"),
        ({"valueInteger": None, "valueQuantity": {"value": 37, "unit": "Cel", "code": "Cel"}},
         "unit 'Cel' is not a 0-10 score"),
        ({"valueInteger": None, "valueQuantity": {"value": 3, "comparator": "<"}}, "comparator"),
        ({"valueInteger": None, "valueString": "7"}, "no numeric value (valueString)"),
        ({"valueInteger": "7"}, "is not a number"),
        ({"valueInteger": None, "dataAbsentReason": {"coding": [{"code": "asked-declined"}]}},
         "no value (dataAbsentReason"),
        ({"effectiveDateTime": None}, "no effective date"),
        ({"effectiveDateTime": "2024-05"}, "has no day"),
        ({"effectiveDateTime": "2024-02-30"}, "impossible effective date"),
        ({"subject": None}, "no Patient"),
    ],
)
def test_unusable_pain_observation_is_skipped_with_reason(fields: dict[str, Any], reason: str) -> None:
    result = import_fhir(observation(**fields))
    assert result.log.empty
    assert result.skipped["record"].tolist() == ["Observation/p1"]
    assert reason in result.skipped["reason"].iloc[0]


@pytest.mark.parametrize("unit", [None, "{score}", "1", "/10", "{Score}", "score", "Score"])
def test_score_units_are_accepted(unit: str | None) -> None:
    quantity = {"value": 7} if unit is None else {"value": 7, "unit": unit, "code": unit}
    result = import_fhir(observation(valueInteger=None, valueQuantity=quantity))
    assert result.log["pain"].tolist() == [7.0]


@pytest.mark.parametrize("unit", ["Cel", "mm", "%", "score/10"])
def test_real_units_are_still_rejected(unit: str) -> None:
    result = import_fhir(observation(valueInteger=None, valueQuantity={"value": 7, "unit": unit}))
    assert result.log.empty
    assert result.skipped["reason"].tolist() == [f"unit {unit!r} is not a 0-10 score"]


# The 0-10 rating is read in whole and half points ("between 4 and 5" is 4.5); finer
# fractions such as MHV's ex-pain-14 (3.14159, "non-integer", SOURCE.txt) are rejected.
@pytest.mark.parametrize("value", [0, 4.5, 7, 9.5, 10, 10.0])
def test_whole_and_half_point_scores_are_imported(value: float) -> None:
    result = import_fhir(observation(valueInteger=None, valueQuantity={"value": value, "unit": "{score}"}))
    assert result.skipped.empty
    assert result.log["pain"].tolist() == [float(value)]


@pytest.mark.parametrize("value", [3.14159, 4.7, 6.25, 0.1])
def test_other_fractions_are_skipped_with_reason(value: float) -> None:
    result = import_fhir(observation(valueInteger=None, valueQuantity={"value": value}))
    assert result.log.empty
    assert result.skipped["reason"].tolist() == [f"pain {value:g} is not a whole or half point on the 0-10 scale"]


def test_score_rule_is_shared_by_import_and_export() -> None:
    assert [score_problem(v) for v in (0, 0.5, 4.5, 10)] == [None] * 4
    assert score_problem(10.5) == "pain 10.5 is outside 0-10"
    assert score_problem(4.7) == "pain 4.7 is not a whole or half point on the 0-10 scale"


def test_pain_coded_observation_without_value_reads_its_pain_component() -> None:
    pain_code = {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]}
    panel = observation(valueInteger=None, code=pain_code,
                        component=[{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                                    "valueQuantity": {"value": 120, "unit": "mm[Hg]"}},
                                   {"code": pain_code, "valueQuantity": {"value": 6, "unit": "{score}"}}])
    result = import_fhir(panel)
    assert result.skipped.empty, result.skipped
    assert result.log["pain"].tolist() == [6.0]


def test_pain_coded_observation_uses_its_own_value_before_a_component() -> None:
    pain_code = {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]}
    obs = observation(valueInteger=3, component=[{"code": pain_code, "valueInteger": 8}])
    assert import_fhir(obs).log["pain"].tolist() == [3.0]


def test_pain_coded_observation_without_any_value_is_still_skipped() -> None:
    result = import_fhir(observation(valueInteger=None, component=[]))
    assert result.log.empty
    assert result.skipped["reason"].tolist() == ["no value"]


def test_two_pain_components_are_ambiguous_even_under_a_pain_code() -> None:
    pain_code = {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]}
    obs = observation(valueInteger=None, component=[{"code": pain_code, "valueInteger": 2},
                                                    {"code": pain_code, "valueInteger": 7}])
    assert import_fhir(obs).skipped["reason"].tolist() == ["2 pain components, ambiguous"]


def test_each_row_knows_the_observation_and_line_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "Observation.ndjson"
    path.write_text("\n".join(json.dumps(observation(id=i)) for i in ("a", "b")) + "\n", encoding="utf-8")
    result = import_fhir(path)
    assert result.origins.values.tolist() == [["Observation.ndjson:1", "Observation/a"],
                                              ["Observation.ndjson:2", "Observation/b"]]
    assert result.origin(1) == ("Observation.ndjson:2", "Observation/b")


def test_bundle_mixes_are_sorted_into_rows_and_counted_skips() -> None:
    heart = {"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org",
                                                                  "code": "8867-4"}]}}
    survey = observation(id="panel", code={"coding": [{"code": "panel-x"}]}, valueInteger=None,
                         component=[{"code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                                     "valueInteger": 2}])
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": observation()}, {"resource": heart}, {"resource": heart},
        {"resource": {"resourceType": "Patient", "id": "42"}}, {"search": {"mode": "match"}},
        {"resource": survey},
        {"resource": observation(id="p2", effectiveDateTime=None,
                                 effectivePeriod={"start": "2024-05-02"})},
        {"resource": observation(id="p3", code={"coding": [
            {"system": "http://snomed.info/sct", "code": "225908003"}]}, valueInteger=0)},
    ]}
    result = import_fhir(bundle)
    assert result.log["pain"].tolist() == [5.0, 2.0, 5.0, 0.0]
    assert result.log["time"].isna().tolist() == [False, False, True, False]  # p2: date only
    reasons = dict(zip(result.skipped["record"], result.skipped["reason"], strict=True))
    assert reasons["http://loinc.org|8867-4"] == "2 non-pain Observation(s)"
    assert reasons["Patient"] == "1 Patient resource(s), not Observations"
    assert reasons["entry"] == "Bundle entry without a resource"


def test_ndjson_stream_skips_malformed_lines_and_reads_gzip(tmp_path: Path) -> None:
    lines = [json.dumps(observation(id="a")), "", "{not json", json.dumps([1, 2]),
             json.dumps(observation(id="b", valueInteger=3))]
    plain = tmp_path / "Observation.ndjson"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    packed = tmp_path / "Observation.ndjson.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        result = import_fhir(path)
        assert result.log["pain"].tolist() == [5.0, 3.0]
        assert result.skipped["source"].tolist() == [f"{path.name}:3", f"{path.name}:4"]
        assert result.skipped["reason"].str.startswith(("malformed JSON", "not a FHIR")).all()


# --------------------------------------------------------------------------- gzip bombs


def gzip_of(path: Path, chunk: bytes, copies: int) -> Path:
    """``copies`` times ``chunk``, gzipped as it is written (never whole in memory)."""
    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(copies):
            handle.write(chunk)
    return path


def test_gzip_inflating_past_its_budget_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = (json.dumps(observation()) + "\n").encode()
    path = gzip_of(tmp_path / "Observation.ndjson.gz", line, 2000)
    assert len(import_fhir(path).log) == 2000  # within the real limits
    monkeypatch.setattr(fhir_module, "MIN_GZIP_BUDGET", 1000)
    monkeypatch.setattr(fhir_module, "MAX_GZIP_RATIO", 5)
    with pytest.raises(ValueError, match=r"Observation\.ndjson\.gz: inflates past .*gzip bomb") as info:
        import_fhir(path)
    assert "\n" not in str(info.value)


def test_real_gzip_bomb_is_refused_quickly_with_flat_memory(tmp_path: Path) -> None:
    # 64 MB of zeros, one "line", in about 64 kB: read whole it would need 64 MB of RAM.
    path = gzip_of(tmp_path / "bomb.ndjson.gz", b"\0" * (1 << 20), 64)
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=r"bomb\.ndjson\.gz: .*possible gzip bomb") as info:
            import_fhir(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5
    assert peak < 2 * fhir_module.MAX_LINE_BYTES + (1 << 20)  # about one line, not the 64 MB
    assert "\n" not in str(info.value)


def test_over_long_ndjson_line_is_refused_after_reading_one_line(tmp_path: Path) -> None:
    path = tmp_path / "long.ndjson"
    with open(path, "wb") as handle:
        handle.write(b"{" + b" " * (fhir_module.MAX_LINE_BYTES + 10) + b"}\n")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"long\.ndjson: line 1 is longer than 16,777,216 bytes"):
            import_fhir(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * fhir_module.MAX_LINE_BYTES + (1 << 20)


def test_gzip_bomb_of_blank_lines_stops_at_the_ratio_budget(tmp_path: Path) -> None:
    # 64 MB of 1 MB whitespace lines in ~64 kB: refused once past MAX_GZIP_RATIO x the file size.
    path = gzip_of(tmp_path / "blank.ndjson.gz", b" " * (1 << 20) + b"\n", 64)
    budget = max(fhir_module.MIN_GZIP_BUDGET, fhir_module.MAX_GZIP_RATIO * path.stat().st_size)
    assert budget < 64 * 1024 * 1024 / 2
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"blank\.ndjson\.gz: inflates past .*possible gzip bomb"):
        import_fhir(path)
    assert time.perf_counter() - start < 5


def test_damaged_gzip_is_a_one_line_error(tmp_path: Path) -> None:
    packed = gzip.compress((json.dumps(observation()) + "\n").encode() * 100)
    path = tmp_path / "cut.ndjson.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=r"cut\.ndjson\.gz: damaged gzip data"):
        import_fhir(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="damaged gzip data"):
        import_fhir(path)


def test_millions_of_broken_lines_are_counted_not_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir_module, "MAX_LISTED_SKIPS", 10)
    path = tmp_path / "junk.ndjson"
    path.write_text("{oops\n" * 25 + json.dumps(observation()) + "\n", encoding="utf-8")
    result = import_fhir(path)
    assert len(result.log) == 1
    assert len(result.skipped) == 11
    assert result.skipped["reason"].iloc[-1] == "15 more skipped records, not listed one by one"


def test_client_id_argument_overrides_subject() -> None:
    assert import_fhir(observation(), client_id="anna").log["client_id"].tolist() == ["anna"]


def test_subject_reference_forms_give_the_patient_id() -> None:
    refs = {"https://x.org/fhir/Patient/7/_history/2": "7", "urn:uuid:ab-cd": "ab-cd"}
    for reference, expected in refs.items():
        log = import_fhir(observation(subject={"reference": reference})).log
        assert log["client_id"].tolist() == [expected]


def test_tz_converts_utc_server_times_to_local_dates() -> None:
    # 2024-05-01T22:30Z is 00:30 the next day in Berlin (CEST, +02:00).
    obs = observation(effectiveDateTime="2024-05-01T22:30:00Z")
    as_written = import_fhir(obs).log.iloc[0]
    berlin = import_fhir(obs, tz="Europe/Berlin").log.iloc[0]
    assert (str(as_written["date"].date()), as_written["time"]) == ("2024-05-01", "22:30:00")
    assert (str(berlin["date"].date()), berlin["time"]) == ("2024-05-02", "00:30:00")


def test_log_has_canonical_columns() -> None:
    log = import_fhir(observation()).log
    assert list(log.columns) == CANONICAL
    assert pd.api.types.is_datetime64_dtype(log["date"])


# --------------------------------------------------------------------------- export


@pytest.fixture
def pain_log() -> pd.DataFrame:
    return pd.DataFrame({
        "client_id": ["anna", "anna", "anna", "ben", "anna"],
        "date": pd.to_datetime(["2024-03-30", "2024-03-31", "2024-04-01", "2024-04-01", "2024-04-02"]),
        "time": ["21:00:00", "09:15:00", None, "10:00:00", "07:45:00"],
        "stretch": ["Cat-Cow", None, None, None, "Child's Pose"],
        "pain": [6.0, 5.0, 4.0, 9.0, None],
        "notes": ["stiff", None, "after work", None, None],
    })


def fhir_bundle_class() -> Any:
    pytest.importorskip("fhir.resources")
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:  # fhir.resources without the R4B package: R5 at top level
        from fhir.resources.bundle import Bundle
    return Bundle


def test_exported_bundle_validates_with_fhir_resources(pain_log: pd.DataFrame) -> None:
    bundle_class = fhir_bundle_class()
    bundle = export_fhir_bundle(pain_log, "anna", tz="Europe/Berlin")
    parsed = bundle_class.model_validate(bundle)
    assert parsed.type == "collection"
    assert len(parsed.entry) == 3  # anna's non-null pain values
    broken = json.loads(json.dumps(bundle))
    broken["entry"][0]["resource"]["effectiveDateTime"] = "yesterday"
    with pytest.raises(ValueError):
        bundle_class.model_validate(broken)


def test_export_uses_dst_correct_offsets_and_dates_without_time(pain_log: pd.DataFrame) -> None:
    entries = export_fhir_bundle(pain_log, "anna", tz="Europe/Berlin")["entry"]
    # Berlin switched to summer time on 2024-03-31 at 02:00.
    assert [e["resource"]["effectiveDateTime"] for e in entries] == [
        "2024-03-30T21:00:00+01:00", "2024-03-31T09:15:00+02:00", "2024-04-01"]
    first = entries[0]["resource"]
    assert first["code"]["coding"][0]["code"] == "72514-3"
    assert first["subject"] == {"reference": "Patient/anna"}
    assert first["valueQuantity"] == {"value": 6, "unit": "{score}",
                                      "system": "http://unitsofmeasure.org", "code": "{score}"}
    assert first["note"] == [{"text": "stiff"}]


def test_round_trip_gives_back_the_pain_series(pain_log: pd.DataFrame, tmp_path: Path) -> None:
    path = write_fhir_bundle(pain_log, "anna", tmp_path / "anna.json", tz="America/New_York")
    back = import_fhir(path).log
    sent = pain_log[(pain_log["client_id"] == "anna") & pain_log["pain"].notna()]
    assert back["client_id"].unique().tolist() == ["anna"]
    assert back["date"].tolist() == sent["date"].tolist()
    assert back["pain"].tolist() == sent["pain"].tolist()
    assert back["time"].fillna("-").tolist() == sent["time"].fillna("-").tolist()
    assert back["notes"].fillna("-").tolist() == sent["notes"].fillna("-").tolist()


def test_round_trip_keeps_whole_and_half_point_scores(tmp_path: Path) -> None:
    log = pd.DataFrame({
        "client_id": ["anna"] * 5,
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]),
        "time": ["08:00:00", None, "21:30:00", "07:00:00", None],
        "pain": [4.5, 0.0, 10.0, 6.0, 0.5],
    })
    bundle = export_fhir_bundle(log, "anna", tz="UTC")
    assert [e["resource"]["valueQuantity"]["value"] for e in bundle["entry"]] == [4.5, 0, 10, 6, 0.5]
    back = import_fhir(write_fhir_bundle(log, "anna", tmp_path / "anna.json", tz="UTC"))
    assert back.skipped.empty, back.skipped
    assert back.log["pain"].tolist() == log["pain"].tolist()
    assert back.log["date"].tolist() == log["date"].tolist()


@pytest.mark.parametrize(("value", "message"), [(4.7, "4.7 is not a whole or half point"),
                                                (12.0, "pain 12 is outside 0-10")])
def test_export_refuses_scores_the_import_would_reject(value: float, message: str) -> None:
    log = pd.DataFrame({"client_id": ["anna"] * 2, "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                        "pain": [3.0, value]})
    with pytest.raises(ValueError, match=message) as info:
        export_fhir_bundle(log, "anna")
    assert "2024-01-02" in str(info.value) and "round" in str(info.value)


def test_module_examples_run() -> None:
    result = doctest.testmod(fhir_module)
    assert result.attempted > 0
    assert result.failed == 0


def test_export_is_deterministic(pain_log: pd.DataFrame) -> None:
    assert export_fhir_bundle(pain_log, "anna", tz="UTC") == export_fhir_bundle(pain_log, "anna", tz="UTC")


@pytest.mark.parametrize(("client", "message"), [("anna k", "not a valid FHIR id"),
                                                 ("zoe", "no rows for client 'zoe'")])
def test_export_refuses_bad_or_unknown_client(pain_log: pd.DataFrame, client: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        export_fhir_bundle(pain_log, client)
