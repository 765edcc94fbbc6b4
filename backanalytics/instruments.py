"""The function questionnaires (ODI, RMDQ, PSFS): how each is scored and what change matters.

A catalog, as data: each instrument's items and their range, its score range, which direction is
better, and the thresholds (:data:`FUNCTION_THRESHOLDS`, overridable like
:data:`backanalytics.thresholds.THRESHOLDS`: ``thresholds={"odi_mcid_points": 6}`` for the modified
ODI, see :data:`MODIFIED_ODI`).

References
----------
- Fairbank JCT, Pynsent PB (2000). The Oswestry Disability Index. *Spine* 25(22):2940-2953. (Ten
  sections scored 0-5; score = sum / (5 x sections answered) x 100; a missing section reduces the
  denominator by 5; bands 0-20 minimal, 21-40 moderate, 41-60 severe, 61-80 crippling, 81-100
  bed-bound.) Questionnaires with more than two sections missing are not scored, as most scoring
  guides advise.
- Roland M, Morris R (1983). A study of the natural history of back pain. Part I. *Spine*
  8(2):141-144. (24 yes / no statements; score = number of "yes".)
- Ostelo RWJG et al. (2008). Interpreting change scores for pain and functional status in low
  back pain. *Spine* 33(1):90-94. (MCID: ODI 10 points, RMDQ 5 points, or 30 % of baseline.)
- Fritz JM, Irrgang JJ (2001). A comparison of a modified Oswestry Low Back Pain Disability
  Questionnaire and the Quebec Back Pain Disability Scale. *Phys Ther* 81(2):776-788. (Modified
  ODI MCID 6 points.)
- Stratford PW et al. (1996). Sensitivity to change of the Roland-Morris Back Pain Questionnaire:
  part 1. *Phys Ther* 76(4):359-365. (MDC90 about 4-5 points; the upper end is used.)
- Davidson M, Keating JL (2002). A comparison of five low back disability questionnaires:
  reliability and responsiveness. *Phys Ther* 82(1):8-24. (ODI MDC90 about 10.5 points.)
- Kamper SJ et al. (2010). What is usual care for low back pain? / recovery defined as RMDQ <= 2
  (*Eur Spine J* 19(10):1808-1815 and its references). ("Recovered" at RMDQ <= 2.)
- Stratford P et al. (1995). Assessing disability and change on individual patients: a report of
  a patient specific measure. *Physiother Can* 47(4):258-263. (PSFS: 3-5 activities rated 0-10,
  mean score; 2 points for the mean, 3 for a single activity.)
- Abbott JH, Schmitt JS (2014). Minimum important differences for the Patient-Specific Functional
  Scale, 4 region-specific outcome measures, and the numeric pain rating scale. *J Orthop Sports
  Phys Ther* 44(8):560-564. (PSFS MID 1.3 small, 2.3 medium, 2.7 large.)
"""

from __future__ import annotations

from dataclasses import dataclass

from backanalytics.columns import normalise_header


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: its items, how it is scored, and which way is better.

    Attributes
    ----------
    name : the short name used everywhere ("ODI", "RMDQ", "PSFS").
    title : the full name, for reports.
    items : number of item columns it uses (``item_1`` ... ``item_<items>``).
    item_range : lowest and highest answer to an item.
    min_items : fewest answered items that can be scored.
    score_range : lowest and highest total.
    unit : the total's unit in plain words.
    higher_is_better : PSFS (ability) yes; ODI and RMDQ (disability) no.
    whole_items : item answers must be whole numbers.
    score_tolerance : how far a written total may be from its items' total (rounding).
    """

    name: str
    title: str
    items: int
    item_range: tuple[float, float]
    min_items: int
    score_range: tuple[float, float]
    unit: str
    higher_is_better: bool
    whole_items: bool
    score_tolerance: float


INSTRUMENTS: dict[str, Instrument] = {
    "ODI": Instrument("ODI", "Oswestry Disability Index", 10, (0, 5), 8, (0, 100), "%", False, True, 0.5),
    "RMDQ": Instrument("RMDQ", "Roland-Morris Disability Questionnaire", 24, (0, 1), 24, (0, 24),
                       "points of 24", False, True, 0.0),
    "PSFS": Instrument("PSFS", "Patient-Specific Functional Scale", 5, (0, 10), 3, (0, 10),
                       "points (0-10)", True, False, 0.05),
}

#: The most item columns any instrument uses (RMDQ's 24).
MAX_ITEMS = max(i.items for i in INSTRUMENTS.values())

#: Thresholds for the function measures (same convention as ``thresholds.THRESHOLDS``).
FUNCTION_THRESHOLDS: dict[str, float] = {
    "odi_mcid_points": 10.0,  # Ostelo 2008
    "odi_mcid_pct": 30.0,  # Ostelo 2008
    "odi_mdc": 10.5,  # Davidson & Keating 2002 (MDC90)
    "rmdq_mcid_points": 5.0,  # Ostelo 2008
    "rmdq_mcid_pct": 30.0,  # Ostelo 2008
    "rmdq_mdc": 5.0,  # Stratford 1996 (MDC90 about 4-5)
    "rmdq_recovered_max": 2.0,  # Kamper 2010
    "psfs_mcid_points": 2.0,  # Stratford 1995 (mean of the activities)
    "psfs_mcid_single_activity": 3.0,  # Stratford 1995 (one activity)
    "psfs_mdc": 2.0,  # Stratford 1995 (MDC90 of the mean)
    "psfs_mid_small": 1.3,  # Abbott & Schmitt 2014
    "psfs_mid_medium": 2.3,  # Abbott & Schmitt 2014
    "psfs_mid_large": 2.7,  # Abbott & Schmitt 2014
}

#: Override for the modified ODI (Fritz & Irrgang 2001): ``thresholds=MODIFIED_ODI``.
MODIFIED_ODI: dict[str, float] = {"odi_mcid_points": 6.0}

#: ODI disability bands (Fairbank & Pynsent 2000): upper bound (inclusive) -> label.
ODI_BANDS: list[tuple[float, str]] = [(20.0, "minimal"), (40.0, "moderate"), (60.0, "severe"),
                                      (80.0, "crippling"), (100.0, "bed-bound")]

#: Spellings of each instrument, normalised (lower case, no spaces or punctuation).
INSTRUMENT_ALIASES: dict[str, str] = {
    **{k: "ODI" for k in ("odi", "oswestry", "oswestrydisabilityindex", "oswestrydisability",
                          "oswestrydisabilityquestionnaire", "modifiedodi", "modifiedoswestry", "mdq",
                          "oswestrylowbackpaindisabilityquestionnaire", "owestry", "oswestryindex")},
    **{k: "RMDQ" for k in ("rmdq", "rmq", "rdq", "rm", "rolandmorris", "rolandmorrisdisabilityquestionnaire",
                           "rolandmorrisquestionnaire", "rolandmorrisdisability", "roland")},
    **{k: "PSFS" for k in ("psfs", "patientspecificfunctionalscale", "patientspecific",
                           "patientspecificfunctional", "psf")},
}

#: Log columns that carry a total beside the pain score, normalised -> instrument.
LOG_TOTAL_COLUMNS: dict[str, str] = {
    "odi": "ODI", "oswestry": "ODI", "odi_score": "ODI", "odi_pct": "ODI",
    "rmdq": "RMDQ", "rmq": "RMDQ", "roland_morris": "RMDQ", "rmdq_score": "RMDQ",
    "psfs": "PSFS", "psfs_score": "PSFS", "psfs_mean": "PSFS",
}


def instrument_name(text: object) -> str | None:
    """The catalog name of an instrument as people write it, or None when unknown.

    Examples
    --------
    >>> instrument_name("Roland Morris"), instrument_name(" oswestry "), instrument_name("SF-36")
    ('RMDQ', 'ODI', None)
    """
    key = normalise_header(text).replace("_", "")
    return INSTRUMENT_ALIASES.get(key)


def odi_band(score: float) -> str | None:
    """The ODI disability band of a score (Fairbank & Pynsent 2000); None for a missing score.

    Examples
    --------
    >>> odi_band(20), odi_band(35.6), odi_band(81)
    ('minimal', 'moderate', 'bed-bound')
    """
    if score != score:
        return None
    return next(label for upper, label in ODI_BANDS if score <= upper or upper == ODI_BANDS[-1][0])
