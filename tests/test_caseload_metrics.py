"""caseload_metrics: the three tables computed side by side equal the three functions' results."""

from __future__ import annotations

import pandas as pd
import pytest

import backanalytics as ba
from backanalytics.sample import generate_log


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return ba.validate(generate_log(n_clients=60, days=70, seed=3)).valid


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize(("as_of", "prescription"), [
    (None, None), ("2026-09-05", 5), ("2026-10-20", None), (None, 3.5)])
def test_equals_consistency_outcomes_and_flags(log, threads, as_of, prescription):
    got = ba.caseload_metrics(log, as_of=as_of, prescription=prescription, threads=threads)
    pd.testing.assert_frame_equal(got.consistency, ba.consistency(log, prescription=prescription, as_of=as_of),
                                  check_exact=True)
    pd.testing.assert_frame_equal(got.outcomes, ba.outcomes(log, as_of=as_of), check_exact=True)
    pd.testing.assert_frame_equal(got.flags, ba.flags(log, as_of=as_of, prescription=prescription),
                                  check_exact=True)
    assert not got.flags.empty and got.flags["flag"].nunique() >= 3  # the comparison covers several rules


def test_a_baseline_changes_the_outcomes_but_not_the_flags(log):
    # The no-improvement flag judges the change from the default baseline, as flags() does.
    got = ba.caseload_metrics(log, baseline="phase")
    pd.testing.assert_frame_equal(got.outcomes, ba.outcomes(log, baseline="phase"), check_exact=True)
    pd.testing.assert_frame_equal(got.flags, ba.flags(log), check_exact=True)
    assert not got.outcomes["pain_baseline"].equals(ba.outcomes(log)["pain_baseline"])


def test_the_sample_logs(sample_log):
    log = sample_log
    got = ba.caseload_metrics(log, prescription=5)
    pd.testing.assert_frame_equal(got.flags, ba.flags(log, prescription=5), check_exact=True)
    assert set(got.flags["flag"]) >= {"pain_flare", "no_improvement"}


def test_an_error_in_a_thread_reaches_the_caller(log):
    with pytest.raises(ValueError, match="sessions_per_week must be more than 0"):
        ba.caseload_metrics(log, prescription=-1, threads=3)
