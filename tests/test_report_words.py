"""Report sentences: they say which way a change went, and their rounded numbers agree with each other.

Hand-worked expectations are written out beside each test. The sample log's stories (README): grace
stretched from day one and her pain rose; hugo logged three weeks of pain before starting on
2026-08-31 and improved.
"""

from __future__ import annotations

import colorsys
import re
from decimal import Decimal

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from backanalytics import plots
from backanalytics.plots.style import COLORS
from backanalytics.report import figures
from backanalytics.report.changes import flexibility_sentence, pain_sentence, reach_sentence
from backanalytics.report.content import client_summary, compute_metrics
from backanalytics.report.words import EFFECT_LABELS, effect_summary

PHASE = "2026-08-31"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def by_first_stretch(sample_log):
    return compute_metrics(sample_log)


@pytest.fixture(scope="module")
def by_phase_date(sample_log):
    return compute_metrics(sample_log, phase_date=PHASE)


def nap_effects(est: float, lower: float, upper: float, n_a: int = 17, n_b: int = 69) -> pd.DataFrame:
    return pd.DataFrame({"client_id": "x", "metric": ["NAP"], "est": [est], "se": [0.07], "ci_lower": [lower],
                         "ci_upper": [upper], "n_a": [n_a], "n_b": [n_b]})


# -- 1. the effect-size sentence says which way pain went ------------------------------------------


def test_nap_below_one_half_is_called_a_worsening_not_an_effect_of_stretching():
    # NAP 0.33: pain was lower in a third of the pairs, higher in two thirds; max(0.33, 0.67) = 0.67
    # is in Parker & Vannest's 0.66-0.92 "medium" band, in the wrong direction.
    text = effect_summary(nap_effects(0.33, 0.21, 0.48))["text"]
    assert "NAP 0.33, 95 % CI 0.21 to 0.48" in text
    assert "below 0.5 means more pain: a medium worsening" in text
    assert "improvement" not in text


def test_nap_above_one_half_is_called_an_improvement():
    text = effect_summary(nap_effects(0.90, 0.79, 0.96))["text"]
    assert "above 0.5 means less pain: a medium improvement" in text and "worsening" not in text
    assert "may be chance" not in text


def test_an_interval_including_one_half_is_called_possibly_chance():
    text = effect_summary(nap_effects(0.79, 0.40, 0.95, n_a=2))["text"]
    assert "a medium improvement" in text and "includes 0.5, so the difference may be chance" in text


def test_grace_with_a_phase_date_is_reported_as_worse(by_phase_date):
    # The CLI repro: report data/sample_logs.csv --client grace --phase-date 2026-08-31.
    nap = by_phase_date.effects.query("client_id == 'grace' and metric == 'NAP'").iloc[0]
    assert nap["est"] < 0.5
    text = client_summary(by_phase_date, "grace")["effects"]["text"]
    assert "worsening" in text and "improvement" not in text


def test_effect_rows_state_the_sign_of_better_and_the_numbers_follow_it(by_first_stretch):
    assert "positive = less pain" in EFFECT_LABELS["SMD"]
    assert "negative = less pain" in EFFECT_LABELS["LRRd"] and "opposite sign" in EFFECT_LABELS["LRRd"]
    assert "positive = less pain" in EFFECT_LABELS["Tau"]
    hugo = by_first_stretch.effects.query("client_id == 'hugo'").set_index("metric")["est"]  # improved
    assert hugo["SMD"] > 0 and hugo["Tau"] > 0 and hugo["LRRd"] < 0


# -- 2. rounded numbers agree: the change is the difference of the numbers shown --------------------


def test_flexibility_rise_just_under_the_mcid_is_not_rounded_up_to_it():
    # 5.04 -> 6.96 is +1.92 < 2: at one decimal it would read "5.0 to 7.0 (+1.9 points)", or a
    # displayed difference of 2.0 next to "a rise of 2 points counts". Two decimals tell the truth.
    row = pd.Series({"flexibility_baseline": 5.04, "flexibility_current": 6.96, "flexibility_change": 1.92})
    assert flexibility_sentence(row) == ("Your flexibility rating rose from 5.04 to 6.96 (+1.92 points); "
                                         "a rise of 2 points or more counts as important.")


def test_flexibility_rise_reaching_the_mcid_keeps_one_decimal():
    row = pd.Series({"flexibility_baseline": 5.0, "flexibility_current": 7.0, "flexibility_change": 2.0})
    assert flexibility_sentence(row) == ("Your flexibility rating rose from 5.0 to 7.0 (+2.0 points), an "
                                         "important improvement (≥ 2 points).")


def test_reach_change_is_the_difference_of_the_rounded_values():
    # hugo: -2.34 -> 1.81 cm is +4.15 cm; shown as -2.3 and 1.8, so the change reads +4.1 (not +4.2).
    row = pd.Series({"reach_cm_baseline": -2.34, "reach_cm_current": 1.81, "reach_cm_change": 4.15})
    assert reach_sentence(row) == ("Your sit-and-reach went from -2.3 cm to 1.8 cm (+4.1 cm), a real improvement "
                                   "(at least the 4 cm measurement error).")


def test_reach_decline_beyond_the_measurement_error_is_called_real():
    row = pd.Series({"reach_cm_baseline": 6.0, "reach_cm_current": 1.0, "reach_cm_change": -5.0})
    assert "(-5.0 cm), a real decline" in reach_sentence(row)


def test_pain_fall_just_under_two_points_and_thirty_percent_is_not_shown_as_two():
    # 6.96 -> 5.00: -1.96 points, -28.2 %: no MCID. At one decimal "7.0 to 5.0" would show 2 points.
    row = pd.Series({"pain_baseline": 6.96, "pain_current": 5.0, "pain_change": -1.96,
                     "pain_pct_change": 100 * -1.96 / 6.96, "pain_mcid_reached": False})
    assert pain_sentence(row) == ("Your pain fell from 6.96 to 5.00 (-1.96 points, -28.2 %): less than the change "
                                  "that counts as clinically important (≥ 2 points or ≥ 30 %, Farrar 2001).")


def test_pain_percent_just_under_thirty_is_not_rounded_to_thirty():
    # 6.0 -> 4.22: -1.78 points, -29.67 %: no MCID; "-30 %" would contradict "less than 30 %".
    row = pd.Series({"pain_baseline": 6.0, "pain_current": 4.22, "pain_change": -1.78,
                     "pain_pct_change": 100 * -1.78 / 6.0, "pain_mcid_reached": False})
    assert "(-1.78 points, -29.7 %): less than the change" in pain_sentence(row)


SHOWN = re.compile(r"from (-?\d+\.\d+)(?: cm)? to (-?\d+\.\d+)(?: cm)? \(([+-]?\d+\.\d+)")


@pytest.mark.parametrize("phase", [None, PHASE])
def test_every_sample_sentence_shows_a_change_equal_to_its_displayed_difference(sample_log, phase):
    metrics = compute_metrics(sample_log, phase_date=phase)
    checked = 0
    for client in metrics.clients:
        for text in client_summary(metrics, client)["outcomes"]:
            match = SHOWN.search(text)
            if match is None:
                assert "stayed at" in text, text
                continue
            base, cur, change = (Decimal(g) for g in match.groups())
            assert cur - base == change, text
            limit = 4 if "sit-and-reach" in text else 2
            if "flexibility" in text or "sit-and-reach" in text:
                important = "important improvement" in text or "real improvement" in text
                assert important == (change >= limit), text
            checked += 1
    assert checked >= 2 * len(metrics.clients)


def test_grace_flexibility_with_a_phase_date_reads_consistently(by_phase_date):
    # The audit's example: "fell from 2.4 to 1.9 (-0.6 points)"; 1.9 - 2.4 is -0.5.
    text = client_summary(by_phase_date, "grace")["outcomes"][1]
    assert text == "Your flexibility rating fell from 2.4 to 1.9 (-0.5 points)."


# -- 4. words follow what the baseline is -------------------------------------------------------------


def test_with_a_phase_date_the_baseline_is_named_by_the_date_not_by_stretching(by_phase_date):
    summary = client_summary(by_phase_date, "grace")  # grace stretched from day one
    text = summary["effects"]["text"]
    assert "before 31 Aug 2026" in text and "started stretching" not in text
    assert summary["effects"]["heading"] == "Before and after 31 Aug 2026"
    pain_card = next(g for g in summary["glance"] if g["label"] == "Pain (0-10)")
    assert pain_card["note"] == "before 31 Aug 2026 → last week"


def test_without_a_phase_date_the_baseline_is_the_days_before_stretching(by_first_stretch):
    summary = client_summary(by_first_stretch, "hugo")
    assert "before you started stretching" in summary["effects"]["text"]
    assert summary["effects"]["heading"] == "Before and after you started stretching"
    emma = next(g for g in client_summary(by_first_stretch, "emma")["glance"] if g["label"] == "Pain (0-10)")
    assert emma["note"] == "from first week to last week"


def test_phase_chart_with_a_phase_date_does_not_say_stretching_began(sample_log):
    ax = plots.phase_chart(sample_log, "grace", phase_date=PHASE)
    assert "from 31 Aug" in ax.get_title("left") and "stretching began" not in ax.get_title("left")
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert "phase B from 31 Aug" in labels and not any("stretching began" in x for x in labels)


def test_relief_caption_names_the_colour_the_chart_draws(by_first_stretch, monkeypatch):
    # The "rose" colour is Okabe-Ito vermillion, #D55E00: hue 26 degrees, an orange.
    hue = colorsys.rgb_to_hsv(*to_rgb(COLORS["bad"]))[0] * 360
    assert 15 <= hue <= 45
    monkeypatch.setattr(figures, "to_data_uri", lambda fig, dpi=0: "data:image/png;base64,")
    relief = next(f for f in figures.client_figures(by_first_stretch, "grace") if f.key == "relief")
    assert "orange" in relief.caption and "red" not in relief.caption
    ax = plots.relief_chart(by_first_stretch.log, "grace")
    rose = next(c for c in ax.collections if c.get_gid() == "rose")
    assert to_rgb(rose.get_color()[0]) == pytest.approx(to_rgb(COLORS["bad"]))
