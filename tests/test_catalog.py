"""The stretch catalog: all 15 of the guide's stretches, with the guide's own spellings."""

from __future__ import annotations

import pandas as pd
import pytest

from backanalytics.catalog import STRETCHES, canonical_name, catalog_table, normalise_names

GUIDE_ORDER = ["Cat-Cow", "Child's Pose", "Knee-to-Chest", "Pelvic Tilts", "Seated Spinal Twist",
               "Sphinx Pose", "Piriformis Stretch", "Butterfly Stretch", "Forward Bend",
               "Supine Twist", "Bridge Pose", "Cobra Stretch", "Downward-Facing Dog",
               "Hip Flexor Stretch", "Hamstring Stretch"]


def test_catalog_holds_the_guides_fifteen_stretches_in_order():
    assert [s.name for s in STRETCHES] == GUIDE_ORDER


@pytest.mark.parametrize(("written", "name"), [
    ("Childs Pose", "Child's Pose"), ("The Spinx Pose", "Sphinx Pose"), ("CAT COW", "Cat-Cow"),
    ("knee to chest", "Knee-to-Chest"), ("Downward Dog", "Downward-Facing Dog"),
    ("child’s pose", "Child's Pose"), ("  bridge ", "Bridge Pose"), ("cobra pose", "Cobra Stretch"),
    ("The Forward Bend Stretch", "Forward Bend"), ("runners stretch", "Hip Flexor Stretch"),
])
def test_aliases_map_to_catalog_names(written, name):
    assert canonical_name(written) == name


def test_every_catalog_name_maps_to_itself():
    assert all(canonical_name(s.name) == s.name for s in STRETCHES)


def test_unknown_names_are_kept_and_flagged():
    names, unknown = normalise_names(pd.Series(["cobra", "Handstand", None, ""]))
    assert names.tolist()[:2] == ["Cobra Stretch", "Handstand"]
    assert unknown.tolist() == [False, True, False, False]


def test_kinds_and_dose_guidance():
    table = catalog_table()
    assert table.loc["Cat-Cow", "kind"] == "dynamic"
    assert table.loc["Pelvic Tilts", "kind"] == "dynamic"
    assert table.loc["Bridge Pose", "kind"] == "strength"
    assert (table.loc["Hamstring Stretch", ["hold_min", "hold_max"]] == [10, 30]).all()
    assert "inner thighs" in table.loc["Butterfly Stretch", "areas"]


def test_frequency_guidance_is_acsm_two_to_three_days_daily_best():
    from backanalytics.catalog import FREQUENCY_GUIDANCE, frequency_band

    assert FREQUENCY_GUIDANCE == {"minimum": 2.0, "recommended": 3.0, "best": 7.0}
    assert frequency_band([1, 2, 3, 5, 7]).tolist() == ["below", "minimum", "recommended", "recommended", "daily"]


def test_area_bits_and_seconds_from_arrays():
    import numpy as np

    from backanalytics.catalog import AREAS, area_bits, seconds_from, seconds_stretched

    assert list(AREAS) == sorted(AREAS) and "lower back" in AREAS
    (mask,) = area_bits(["Hamstring Stretch"])  # hamstrings, lower back
    assert [a for i, a in enumerate(AREAS) if mask >> i & 1] == ["hamstrings", "lower back"]
    # 30 s x 2 reps = 60 s; 10 reps without a hold at 4 s a rep = 40 s; a hold without reps = 1 rep
    assert seconds_from(np.array([30.0, np.nan, 25.0]), np.array([2.0, 10.0, np.nan])).tolist() == [60.0, 40.0, 25.0]
    assert seconds_stretched(pd.DataFrame({"reps": [10]})).tolist() == [40.0]  # no hold_s column


def test_module_examples_run():
    import doctest

    from backanalytics import catalog

    result = doctest.testmod(catalog, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
