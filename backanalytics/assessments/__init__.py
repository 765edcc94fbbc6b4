"""Function questionnaires (ODI, RMDQ, PSFS): read, validate and score them.

``validate_assessments`` / ``load_assessments`` turn an assessments table (or a log carrying
``odi`` / ``rmdq`` / ``psfs`` totals) into the scores table, one row per scored questionnaire:
``client_id, date, instrument, score, items_answered, activities``. The scoring rules and the
thresholds are in :mod:`backanalytics.instruments`.
"""

from backanalytics.assessments.headers import SCORE_COLUMNS
from backanalytics.assessments.scoring import score_items
from backanalytics.assessments.validation import load_assessments, validate_assessments

__all__ = ["SCORE_COLUMNS", "load_assessments", "score_items", "validate_assessments"]
