"""Pseudonymised reports: client ids become keyed hashes, notes are dropped.

``pseudonym(id, secret)`` is HMAC-SHA256 keyed with a secret only the user holds, so the same id
always gets the same pseudonym (reports from different runs line up) but nobody without the
secret can recompute the mapping from a list of likely names. The mapping is never written
anywhere; whoever holds the secret can recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd

from backanalytics import columns as C

SECRET_ENV = "BACKANALYTICS_SECRET"
MIN_SECRET_LENGTH = 8
PREFIX = "client-"


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
        Same rows and columns; ``client_id`` replaced, ``notes`` emptied.
    """
    out = log.copy()
    ids = pd.unique(out[C.CLIENT_ID])
    mapping = {cid: pseudonym(cid, secret) for cid in ids}
    out[C.CLIENT_ID] = out[C.CLIENT_ID].map(mapping).astype(log[C.CLIENT_ID].dtype)
    if C.NOTES in out:
        out[C.NOTES] = pd.Series(pd.NA, index=out.index, dtype=log[C.NOTES].dtype)
    return out
