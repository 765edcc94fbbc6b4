"""FHIR pain Observations: real samples, every skip reason, and the export -> import round trip."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from backanalytics.columns import CANONICAL
from backanalytics.importers.fhir import export_fhir_bundle, import_fhir, write_fhir_bundle
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
    "ex-pain-14": "pain 3.14159 is not a whole number",
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


@pytest.mark.parametrize("unit", [None, "{score}", "1", "/10", "{Score}"])
def test_score_units_are_accepted(unit: str | None) -> None:
    quantity = {"value": 7} if unit is None else {"value": 7, "unit": unit, "code": unit}
    result = import_fhir(observation(valueInteger=None, valueQuantity=quantity))
    assert result.log["pain"].tolist() == [7.0]


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


def test_export_is_deterministic(pain_log: pd.DataFrame) -> None:
    assert export_fhir_bundle(pain_log, "anna", tz="UTC") == export_fhir_bundle(pain_log, "anna", tz="UTC")


@pytest.mark.parametrize(("client", "message"), [("anna k", "not a valid FHIR id"),
                                                 ("zoe", "no rows for client 'zoe'")])
def test_export_refuses_bad_or_unknown_client(pain_log: pd.DataFrame, client: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        export_fhir_bundle(pain_log, client)
