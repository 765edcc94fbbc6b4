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
