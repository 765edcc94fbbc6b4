"""Score questionnaires from their item answers, every row at once.

The rules (cited in :mod:`backanalytics.instruments`):

- **ODI**: sum of the answered sections / (5 x sections answered) x 100. A missing section
  lowers the denominator by 5 (16 of 50 = 32 %, 16 of 45 = 35.6 %); with more than two sections
  missing the questionnaire is not scored.
- **RMDQ**: the number of "yes" among the 24 statements; all 24 must be answered.
- **PSFS**: the mean of the rated activities; 3 to 5 activities are needed.
"""

from __future__ import annotations

import numpy as np

from backanalytics.instruments import INSTRUMENTS


def score_items(instrument: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score each row's item answers by its instrument's rule.

    Parameters
    ----------
    instrument
        Catalog name per row ("ODI", "RMDQ", "PSFS"; anything else is not scored).
    items
        ``(rows, items)`` float array of answers, NaN where unanswered; columns beyond an
        instrument's own items are ignored (validation rejects answers there).

    Returns
    -------
    score, answered, reason
        The score (NaN when not scored), the number of answered items, and why a row with
        answers could not be scored ("" when scored or when no item was answered).

    Examples
    --------
    >>> odi = np.full((2, 10), 1.0); odi[0, :4] = [5, 5, 5, 1]; odi[0, 4:] = 0
    >>> odi[1] = [5, 5, 5, 1, 0, 0, 0, 0, 0, np.nan]
    >>> score, answered, _ = score_items(np.array(["ODI", "ODI"]), odi)
    >>> [round(float(s), 1) for s in score], answered.tolist()
    ([32.0, 35.6], [10, 9])
    """
    n_rows = len(instrument)
    width = items.shape[1] if items.ndim == 2 else 0
    score = np.full(n_rows, np.nan)
    answered = np.zeros(n_rows, dtype=np.int64)
    reason = np.full(n_rows, "", dtype=object)
    for name, spec in INSTRUMENTS.items():
        rows = np.flatnonzero(instrument == name)
        if not len(rows):
            continue
        own = np.full((len(rows), spec.items), np.nan)
        take = min(spec.items, width)
        own[:, :take] = items[rows, :take]
        given = ~np.isnan(own)
        count = given.sum(axis=1)
        total = np.where(given, own, 0.0).sum(axis=1)
        answered[rows] = count
        if name == "ODI":
            value = np.divide(total * 100.0, 5.0 * count, out=np.full(len(rows), np.nan), where=count > 0)
        elif name == "RMDQ":
            value = total
        else:
            value = np.divide(total, count, out=np.full(len(rows), np.nan), where=count > 0)
        enough = count >= spec.min_items
        score[rows] = np.where(enough, value, np.nan)
        reason[rows] = np.where(enough | (count == 0), "", _not_scored(name, count))
    return score, answered, reason


def _not_scored(name: str, count: np.ndarray) -> np.ndarray:
    """Why each row of ``name`` with ``count`` answers cannot be scored."""
    spec = INSTRUMENTS[name]
    if name == "ODI":
        texts = [f"ODI not scored: {spec.items - c} of 10 sections unanswered; more than 2 missing "
                 "cannot be scored (Fairbank & Pynsent 2000)" for c in count]
    elif name == "RMDQ":
        texts = [f"RMDQ not scored: {c} of 24 statements answered; all 24 are needed" for c in count]
    else:
        texts = [f"PSFS not scored: {c} activities rated; 3 to 5 are needed (Stratford 1995)" for c in count]
    return np.array(texts, dtype=object)
