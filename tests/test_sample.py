"""The sample generator: seeded, valid, and its stories show in the data."""

from __future__ import annotations

import pandas as pd

from backanalytics import validate
from backanalytics.sample import generate_log, stories_of


def test_sample_file_passes_validation(sample_path):
    report = validate(sample_path)
    assert report.ok and report.rows_read == len(report.valid)


def test_sample_file_is_what_the_seeded_generator_writes(sample_path, sample_log):
    fresh = generate_log()
    assert len(fresh) == len(sample_log)
    assert (fresh["client_id"] == sample_log["client_id"]).all()
    pd.testing.assert_series_equal(fresh["pain"], sample_log["pain"])


def test_at_least_eight_clients_over_twelve_weeks(sample_log):
    span = sample_log.groupby("client_id")["date"].agg(lambda d: (d.max() - d.min()).days)
    assert sample_log["client_id"].nunique() >= 8
    assert (span >= 35).all() and (span >= 83).sum() >= 8


def test_stories_show_in_the_data(sample_log):
    cast = stories_of().set_index("client_id")["story"]
    by = {story: cid for cid, story in cast.items()}
    stretched = sample_log[sample_log["stretch"].notna()]
    weekend = stretched[stretched["client_id"] == by["weekend-only"]]
    assert (weekend["date"].dt.day_of_week >= 5).all()
    baseline = sample_log[sample_log["client_id"] == by["baseline-first"]]
    first_stretch = baseline.loc[baseline["stretch"].notna(), "date"].min()
    assert (baseline["date"] < first_stretch).sum() >= 14  # score-only baseline phase
    hurts = sample_log[sample_log["client_id"] == by["hurts-when-stretching"]]
    assert (hurts["pain_after"] - hurts["pain"]).mean() > 1
    dropout = stretched[stretched["client_id"] == by["drop-out"]]
    assert dropout["date"].max() < sample_log["date"].max() - pd.Timedelta(days=28)


def test_generator_is_seeded():
    a, b = generate_log(n_clients=20, days=30, seed=3), generate_log(n_clients=20, days=30, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not generate_log(n_clients=20, days=30, seed=4).equals(a)


def test_one_sided_stretches_are_logged_left_right_or_both(sample_log):
    from backanalytics.sample import UNILATERAL

    one_sided = sample_log["stretch"].isin(UNILATERAL)
    sides = sample_log.loc[one_sided, "side"].astype(str).value_counts()
    assert sides["left"] > 0 and sides["right"] > 0  # one side at a time, either side
    assert sides["both"] > sides["left"] + sides["right"]  # mostly both sides in one entry
    assert sample_log.loc[~one_sided, "side"].isna().all()


def test_module_examples_run():
    import doctest

    from backanalytics import sample

    result = doctest.testmod(sample, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
