"""Clinical thresholds, in one cited table.

Every number a metric compares against lives here, with its source, so that a clinician can
check it and a caller can override it (pass a changed copy of :data:`THRESHOLDS`).

References
----------
- Farrar JT et al. (2001). Clinical importance of changes in chronic pain intensity measured on
  an 11-point numerical pain rating scale. *Pain* 94(2):149-158. (>= 2 points or >= 30 %.)
- Ostelo RWJG et al. (2008). Interpreting change scores for pain and functional status in low
  back pain: towards international consensus. *Spine* 33(1):90-94. (MCID 2 points / 30 %.)
- Dworkin RH et al. (2008). Interpreting the clinical importance of treatment outcomes in chronic
  pain clinical trials: IMMPACT recommendations. *J Pain* 9(2):105-121. (>= 30 % moderate,
  >= 50 % substantial.)
- Childs JD, Piva SR, Fritz JM (2005). Responsiveness of the numeric pain rating scale in patients
  with low back pain. *Spine* 30(11):1331-1334. (NPRS SEM 1.02.)
- Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to defining meaningful
  change in psychotherapy research. *J Consult Clin Psychol* 59(1):12-19. (Reliable Change Index.)
- Lopez-Minarro PA et al. (2009) / Ayala F et al. (2012): sit-and-reach test-retest reliability;
  smallest real difference about 4 cm.
- Boonstra AM et al. (2016). Cut-off points for mild, moderate, and severe pain on the numeric
  rating scale for pain in patients with chronic musculoskeletal pain. *Front Psychol* 7:1466.
  (Moderate pain from 6: the red of the template's pain traffic light.)
- Haynes RB, Taylor DW, Sackett DL (1979). *Compliance in Health Care*. Johns Hopkins University
  Press: taking >= 80 % of what was prescribed is the classic "adherent" convention, used since
  for home-exercise programmes (>= 80 % of prescribed sessions).
"""

from __future__ import annotations

import math

THRESHOLDS: dict[str, float] = {
    # pain (NPRS 0-10)
    "pain_mcid_points": 2.0,  # Farrar 2001; Ostelo 2008
    "pain_mcid_pct": 30.0,  # Farrar 2001; Ostelo 2008
    "pain_moderate_pct": 30.0,  # IMMPACT, Dworkin 2008
    "pain_substantial_pct": 50.0,  # IMMPACT, Dworkin 2008
    "pain_sem": 1.02,  # Childs 2005
    "pain_minimal_pct": 10.0,  # IMMPACT "minimal" improvement, Dworkin 2008
    "pain_worse_pct": 10.0,  # pain up by this much (or more) is "worse": the mirror of "minimal"
    # self-rated flexibility (0-10): no published MCID; same 2-point rule as NPRS, documented.
    "flexibility_mcid_points": 2.0,
    "flexibility_sem": 1.02,
    # sit-and-reach (cm): smallest real difference about 4 cm
    "reach_cm_mdc": 4.0,
    # consistency
    "adherent": 0.8,  # usual HEP adherence threshold
    "low_adherence_28d": 0.6,
    # flags
    "flare_points": 2.0,  # daily pain >= 2 above rolling 14-day median (same size as the MCID)
    "flare_window_days": 14,
    "flare_min_days": 3,  # days with pain in the window before a median means anything
    "pain_after_max": 3.0,  # pain right after stretching above this = "hurts", not mild tension
    "pain_red_min": 6.0,  # moderate pain or worse (Boonstra 2016): the template's red; amber above pain_after_max
    # the guide: repeated pain while stretching -> see a professional; "repeated" = this many days
    # with pain rising during a session within the last pain_repeat_window_days
    "pain_repeat_days": 3,
    "pain_repeat_window_days": 14,
    "silent_days": 7,
    "no_improvement_weeks": 6,
    # a flag is escalated (flare: warning -> alert; silence: info -> warning) at this multiple
    # of its threshold
    "escalate_multiple": 2.0,
}

#: Slack allowed when a value is compared with a threshold. Daily means and differences carry
#: floating-point noise (mean of 8,8,8,8,8,8,9 minus mean of 6,6,6,6,6,6,7 is -1.9999999999999991):
#: an improvement of exactly 2 points must count as reaching a 2-point threshold.
TOLERANCE = 1e-9


def reaches(value: object, threshold: float) -> object:
    """``value >= threshold``, forgiving floating-point noise (see :data:`TOLERANCE`).

    Works on numbers, numpy arrays and pandas Series (NaN never reaches a threshold).

    Examples
    --------
    >>> (8 * 6 + 9) / 7 - (6 * 6 + 7) / 7 >= 2.0
    False
    >>> bool(reaches((8 * 6 + 9) / 7 - (6 * 6 + 7) / 7, 2.0))
    True
    """
    return value >= threshold - TOLERANCE * max(1.0, abs(threshold))

Z95 = 1.959963984540054


def mdc95(sem: float) -> float:
    """Minimal detectable change at 95 %: ``1.96 * sqrt(2) * SEM``.

    Examples
    --------
    >>> round(mdc95(1.02), 2)
    2.83
    """
    return Z95 * math.sqrt(2.0) * sem


def sem_from_mdc(mdc: float) -> float:
    """The SEM that gives a published MDC95 (inverse of :func:`mdc95`)."""
    return mdc / (Z95 * math.sqrt(2.0))
