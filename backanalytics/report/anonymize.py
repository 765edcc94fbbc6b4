"""Pseudonymised reports: client ids become keyed hashes, notes and unknown stretch names are dropped.

``pseudonym(id, secret)`` is HMAC-SHA256 keyed with a secret only the user holds, so the same id
always gets the same pseudonym (reports from different runs line up) but nobody without the
secret can recompute the mapping from a list of likely names. The mapping is never written
anywhere; whoever holds the secret can recompute it. A stretch name not in the catalog is free text
the client typed (it may hold a name), so it becomes ``other stretch 1``, ``other stretch 2`` ...
(one label per distinct name, numbered in the order the log first uses them); catalog names stay.
A prescription table is pseudonymised the same way (:func:`anonymize_prescription`), so the
metrics of an anonymised run equal those of a plain one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from backanalytics import catalog
from backanalytics import columns as C

SECRET_ENV = "BACKANALYTICS_SECRET"
MIN_SECRET_LENGTH = 8
PREFIX = "client-"
#: What an unknown stretch name becomes in an anonymised report.
OTHER_STRETCH = "other stretch {}"


class MissingSecretError(ValueError):
    """--anonymize was asked for without a usable secret."""


def resolve_secret(secret: str | None) -> str:
    """The secret given, else ``$BACKANALYTICS_SECRET``; refuses a missing or short one.

    Examples
    --------
    >>> resolve_secret("correct horse battery")
    'correct horse battery'
    """
    value = secret if secret else os.environ.get(SECRET_ENV, "")
    if not value:
        raise MissingSecretError(f"anonymising needs a secret: pass --secret or set {SECRET_ENV}")
    if len(value) < MIN_SECRET_LENGTH:
        raise MissingSecretError(f"the anonymisation secret must be at least {MIN_SECRET_LENGTH} characters")
    return value


def pseudonym(client_id: str, secret: str) -> str:
    """A stable pseudonym: ``client-`` and the first 12 hex digits of HMAC-SHA256(secret, id).

    Examples
    --------
    >>> pseudonym("anna", "s3cret-key") == pseudonym("anna", "s3cret-key")
    True
    >>> pseudonym("anna", "s3cret-key") != pseudonym("anna", "other-key")
    True
    """
    digest = hmac.new(secret.encode("utf-8"), str(client_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:12]


def stretch_labels(names: Iterable[object], start: int = 1) -> dict[str, str]:
    """``other stretch N`` for each distinct name not in the catalog, numbered in order of appearance.

    Examples
    --------
    >>> stretch_labels(["Cobra Stretch", "Mrs Dale's twist", "wall lean", "Mrs Dale's twist", None])
    {"Mrs Dale's twist": 'other stretch 1', 'wall lean': 'other stretch 2'}
    """
    unknown = [n for n in pd.unique(pd.Series(list(names), dtype=object).dropna())
               if str(n).strip() and catalog.canonical_name(n) is None]
    return {str(n): OTHER_STRETCH.format(i) for i, n in enumerate(unknown, start)}


def anonymize_log(log: pd.DataFrame, secret: str) -> pd.DataFrame:
    """A copy of the log with pseudonymous client ids and no notes (the caller's log is unchanged).

    Parameters
    ----------
    log
        The canonical log.
    secret
        The HMAC key (see :func:`resolve_secret`).

    Returns
    -------
    pandas.DataFrame
        Same rows and columns; ``client_id`` replaced, ``notes`` emptied, stretch names not in the
        catalog replaced by :func:`stretch_labels`.
    """
    out = log.copy()
    ids = pd.unique(out[C.CLIENT_ID])
    mapping = {cid: pseudonym(cid, secret) for cid in ids}
    out[C.CLIENT_ID] = out[C.CLIENT_ID].map(mapping).astype(log[C.CLIENT_ID].dtype)
    if C.NOTES in out:
        out[C.NOTES] = pd.Series(pd.NA, index=out.index, dtype=log[C.NOTES].dtype)
    if C.STRETCH in out:
        labels = stretch_labels(out[C.STRETCH])
        if labels:
            out[C.STRETCH] = out[C.STRETCH].map(lambda v: labels.get(v, v) if isinstance(v, str) else v).astype(
                log[C.STRETCH].dtype)
    return out


def anonymize_prescription(prescription: float | pd.DataFrame | None, log: pd.DataFrame, secret: str
                           ) -> float | pd.DataFrame | None:
    """A prescription table keyed like :func:`anonymize_log` keys the log (a number passes unchanged).

    ``client_id`` becomes the pseudonym and each name in ``stretches`` (a ``;``-separated text or a
    list) that is not in the catalog becomes the label :func:`anonymize_log` gives it in ``log``
    (the original, not yet anonymised log); a name the log never uses gets a label of its own, so
    ``prescribed_coverage`` stays what it was.

    Examples
    --------
    >>> log = pd.DataFrame({"client_id": ["anna"], "stretch": ["Mrs Dale's twist"]})
    >>> rx = pd.DataFrame({"client_id": ["anna"], "sessions_per_week": [3],
    ...                    "stretches": ["Cobra Stretch;Mrs Dale's twist;her own lunge"]})
    >>> anonymize_prescription(rx, log, "s3cret-key").loc[0, "stretches"]
    'Cobra Stretch;other stretch 1;other stretch 2'
    """
    if prescription is None or np.isscalar(prescription):
        return prescription
    out = pd.DataFrame(prescription).copy()
    if C.CLIENT_ID in out:
        out[C.CLIENT_ID] = out[C.CLIENT_ID].map(lambda c: c if pd.isna(c) else pseudonym(str(c), secret))
    if "stretches" in out:
        labels = stretch_labels(log[C.STRETCH]) if C.STRETCH in log else {}

        def label(name: object) -> object:
            if not isinstance(name, str) or catalog.canonical_name(name) is not None or not name.strip():
                return name
            if name not in labels:
                labels[name] = OTHER_STRETCH.format(len(labels) + 1)
            return labels[name]

        def relabel(cell: object) -> object:
            if isinstance(cell, str):
                return ";".join(str(label(n)) for n in cell.split(";"))
            if isinstance(cell, list | tuple | np.ndarray):
                return [label(n) for n in cell]
            return cell

        out["stretches"] = out["stretches"].map(relabel)
    return out
