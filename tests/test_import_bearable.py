"""Bearable importer: back-pain severities to the 0-10 scale, stretching factors, the rest counted.

Expected values on the real export were read off the file by hand (rows quoted in comments);
see ../shared/realworld/bearable/*/SOURCE.txt.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backanalytics import validate
from backanalytics.importers.bearable import SEVERITY_TO_NPRS, import_bearable
from tests.conftest import REALWORLD, needs_realworld

EXPORT = REALWORLD / "bearable" / "pawprint-2021-10-27" / "bearable-export-27-10-2021.csv"
HEADER7 = "date,weekday,time of day,category,rating/amount,detail,notes"


def write(tmp_path: Path, *rows: str, header: str = HEADER7, bom: bool = False, crlf: bool = False) -> Path:
    text = header + "\n" + "\n".join(rows) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    path = tmp_path / "bearable.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def pain_rows(result) -> list[tuple]:
    log = result.log[result.log["pain"].notna()]
    return [(d.strftime("%Y-%m-%d"), None if pd.isna(t) else t, p)
            for d, t, p in zip(log["date"], log["time"], log["pain"], strict=True)]


# ------------------------------------------------------------------------- real export


@needs_realworld("bearable")
def test_real_export_gives_eight_mild_back_pain_scores_and_one_yoga_session() -> None:
    result = import_bearable(EXPORT)
    # The 8 "Back (lower|upper) pain (Mild)" symptom rows, each alone in its segment; Mild -> 2.
    assert pain_rows(result) == [("2020-11-20", None, 2.0), ("2020-11-23", None, 2.0), ("2020-11-23", None, 2.0),
                                 ("2021-01-01", None, 2.0), ("2021-01-21", None, 2.0), ("2021-02-06", None, 2.0),
                                 ("2021-10-18", None, 2.0), ("2021-10-23", None, 2.0)]
    assert result.log["notes"].iloc[0] == "Bearable afternoon (mid): Back (lower) pain (Mild)"
    # 13th Apr 2021, Factors "... | Productive | Core & yoga".
    sessions = result.log[result.log["stretch"].notna()]
    assert sessions["stretch"].tolist() == ["Core & yoga"]
    assert sessions["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-04-13"]
    assert len(result.log) == 9
    assert validate(result.log).ok


@needs_realworld("bearable")
def test_real_export_skips_other_categories_with_one_count_each() -> None:
    result = import_bearable(EXPORT)
    counts = dict(zip(result.skipped["record"], result.skipped["reason"], strict=True))
    # Category counts of the 246 records (Symptom 108 = 8 back pain + 100 others).
    assert counts["Mood"] == "37 records" and counts["Energy"] == "22 records"
    assert counts["Sleep"] == "16 records" and counts["Water"] == "3 records"
    assert counts["Symptom: Neck pain"] == "6 records: not back pain (include it with --symptom 'Neck pain')"
    assert counts["Symptom: Dizziness"].startswith("37 records")
    # 13 categories and 10 other symptoms.
    assert len(counts) == 23
    # Every record is counted once, except the 8 back-pain ratings and the 24 factor rows (Factors 15,
    # Sleep factors 6, Food Diary factors 3), whose factors are counted one by one.
    skipped_records = sum(int(r.split()[0]) for r in counts.values() if "factor" not in r)
    assert skipped_records == 246 - 8 - 24
    assert result.counts["skipped"] == 214
    assert "pain converted from Bearable severity 1-4 to the 0-10 scale (Mild 2, Moderate 5" in result.summary()


@needs_realworld("bearable")
def test_symptom_option_adds_neck_pain() -> None:
    result = import_bearable(EXPORT, symptoms=["neck pain"])
    assert len(pain_rows(result)) == 8 + 6
    assert "Symptom: Neck pain" not in set(result.skipped["record"])


# ------------------------------------------------------------------------- made-up edge cases


def test_worst_back_area_counts_and_each_segment_is_one_score(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '"2nd Mar 2024","Saturday","am","Symptom","1","Back (lower) pain (Mild)",""',
                 '"2nd Mar 2024","Saturday","am","Symptom","3","Back (upper) pain (Severe)",""',
                 '"2nd Mar 2024","Saturday","am","Symptom","2","Back (mid) pain (Moderate)",""',
                 '"2nd Mar 2024","Saturday","pm","Symptom","2","Back (lower) pain (Moderate)",""',
                 '"3rd Mar 2024","Sunday","9:10","Symptom","4","Back (lower) pain (Unbearable)",""')
    result = import_bearable(path)
    assert pain_rows(result) == [("2024-03-02", None, 8.0), ("2024-03-02", None, 5.0), ("2024-03-03", "09:10:00", 10.0)]
    assert result.log["notes"].iloc[0] == ("Bearable morning (am): Back (lower) pain (Mild), Back (upper) pain "
                                           "(Severe), Back (mid) pain (Moderate)")
    assert result.counts["pain_records"] == 5


def test_severity_table_is_overridable_and_checked(tmp_path: Path) -> None:
    path = write(tmp_path, '"2nd Mar 2024","Saturday","am","Symptom","1","Back (lower) pain (Mild)",""')
    assert pain_rows(import_bearable(path, severity={"mild": 3})) == [("2024-03-02", None, 3.0)]
    assert SEVERITY_TO_NPRS["Mild"] == 2.0  # the default table is not changed by an override
    with pytest.raises(ValueError, match="whole or half points"):
        import_bearable(path, severity={"Mild": 11})
    with pytest.raises(ValueError, match="not a Bearable severity"):
        import_bearable(path, severity={"Awful": 9})


def test_eight_column_form_with_date_formatted_bom_and_crlf(tmp_path: Path) -> None:
    header = "date,date formatted,weekday,time of day,category,rating/amount,detail,notes"
    path = write(tmp_path,
                 '"2024-03-02T00:00:00.000Z","2nd Mar 2024","Saturday","pre","Symptom","2",'
                 '"Lower back pain (Moderate)",""',
                 '"2024-03-02T00:00:00.000Z","2nd Mar 2024","Saturday","all day","Factors","","Mobility | Walk",""',
                 header=header, bom=True, crlf=True)
    result = import_bearable(path)
    assert pain_rows(result) == [("2024-03-02", None, 5.0)]
    assert result.log["stretch"].dropna().tolist() == ["Mobility"]


def test_a_file_with_no_back_pain_imports_nothing(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '"2nd Mar 2024","Saturday","am","Symptom","2","Headache (Moderate)",""',
                 '"2nd Mar 2024","Saturday","am","Symptom","2","Back of knee pain (Moderate)",""',
                 '"2nd Mar 2024","Saturday","21:00","Mood","6","Okay",""')
    result = import_bearable(path)
    assert result.log.empty
    assert result.skipped["record"].tolist() == ["Mood", "Symptom: Back of knee pain", "Symptom: Headache"]


@pytest.mark.parametrize("name", ["Back pain", "Lower back pain", "Upper-back pain", "Back (mid) pain",
                                  "back (Lower) Pain"])
def test_back_pain_names(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f'"2nd Mar 2024","Saturday","am","Symptom","3","{name} (Severe)",""')
    assert pain_rows(import_bearable(path)) == [("2024-03-02", None, 8.0)]


def test_disagreeing_or_unknown_severity_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '"2nd Mar 2024","Saturday","am","Symptom","3","Back (lower) pain (Mild)",""',
                 '"2nd Mar 2024","Saturday","pm","Symptom","","Back (lower) pain (Bad)",""',
                 '"31st Feb 2024","Saturday","pm","Symptom","1","Back (lower) pain (Mild)",""')
    result = import_bearable(path)
    assert result.log.empty
    assert result.skipped["reason"].tolist() == [
        "rating 3 disagrees with the severity (Mild)",
        "severity 'Bad' is not Mild, Moderate, Severe or Unbearable (1-4)",
        "unreadable date '31st Feb 2024'"]


def test_a_severity_written_only_as_the_rating_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, '"2nd Mar 2024","Saturday","mid","Symptom","2","Back (lower) pain",""',
                 '"2nd Mar 2024","Saturday","mid","Symptom","3","Neck pain",""')
    result = import_bearable(path)
    assert pain_rows(result) == [("2024-03-02", None, 5.0)]  # rating 2 = Moderate
    assert result.skipped["record"].tolist() == ["Symptom: Neck pain"]


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, '"2nd Mar 2024","x"', header="weekday,notes")
    with pytest.raises(ValueError, match=r"^not a Bearable export: its header lacks date, time of day, category, "
                                         r"rating/amount, detail"):
        import_bearable(path)
