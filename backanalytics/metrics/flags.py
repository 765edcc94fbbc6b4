"""Flags a therapist should see: flare-ups, pain while stretching, silence, low adherence, no progress.

One tidy table (client_id, date, flag, detail, severity), newest first within a client, each with
the guide's advice where it has one. Severity: ``info`` < ``warning`` < ``alert``.

Rules (thresholds in :data:`backanalytics.thresholds.THRESHOLDS`)
-----------------------------------------------------------------
pain_flare
    daily pain >= 2 points above the client's median over the previous 14 days (at least 3 days
    with pain in that window); alert when >= 4 points above.
pain_during_stretching
    an entry with pain_after > pain, or pain_after > 3. The guide: "Stretching should cause a feeling
    of mild tension, not pain. If a stretch hurts, ease up." Pain that rose with stretching is a
    warning, and an alert when it happened on >= 3 days in the last 14 (the guide's advice is then
    to see a professional); pain that eased but stayed above 3 is info.
silent
    no entry of any kind for >= 7 days before ``as_of`` (warning from 14 days).
low_adherence
    adherence over the last 28 days below 0.6.
no_improvement
    >= 6 weeks of pain data, adherence >= 0.8 and no clinically important pain change: refer or
    reassess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from backanalytics import columns as C
from backanalytics.metrics.consistency import consistency
from backanalytics.metrics.log_arrays import among
from backanalytics.metrics.outcomes import ClientDays, DailySeries, outcomes
from backanalytics.metrics.periods import resolve_as_of
from backanalytics.thresholds import THRESHOLDS, reaches

FLAG_COLUMNS = [C.CLIENT_ID, C.DATE, "flag", "detail", "severity"]
SEVERITY_ORDER = {"alert": 0, "warning": 1, "info": 2}
ADVICE_EASE_UP = "The guide: stretching should cause mild tension, not pain - ease up."
ADVICE_SEE_PRO = "Repeated pain while stretching: see a professional (physical therapist)."


#: Days between two clients on the one time axis of :func:`previous_days_median` (far beyond any window).
_CLIENT_SPACING_DAYS = 1_000_000


def previous_days_median(codes: np.ndarray, days: np.ndarray, values: np.ndarray, window_days: int,
                         min_days: int) -> np.ndarray:
    """Each day's median of the same client's values over the ``window_days`` days before it.

    ``codes`` (client numbers), ``days`` (day numbers) and ``values`` describe a daily series
    sorted by client, then day (as :class:`~backanalytics.metrics.outcomes.DailySeries` holds
    it). The day itself is left out; NaN where fewer than ``min_days`` days fall in the window.
    All clients share one rolling window along a single time axis on which each client starts a
    million days after the one before, so no window reaches into another client (one pass,
    instead of a groupby-rolling per client).

    Examples
    --------
    >>> previous_days_median(np.array([0, 0, 0, 0, 0, 1]), np.array([0, 1, 2, 3, 29, 4]),
    ...                      np.array([3.0, 4, 5, 9, 1, 7]), 14, 3).tolist()
    [nan, nan, nan, 4.0, nan, nan]
    """
    axis = (codes * _CLIENT_SPACING_DAYS + days - days.min(initial=0)).astype("datetime64[D]")
    series = pd.Series(values, index=pd.DatetimeIndex(axis.astype("datetime64[s]")))
    return series.rolling(f"{window_days}D", closed="left", min_periods=min_days).median().to_numpy()


def pain_flares(pain: DailySeries, t: Mapping[str, float]) -> pd.DataFrame:
    """``pain_flare`` flags from a client's daily pain series (see the module docstring)."""
    window = int(t["flare_window_days"])
    median = previous_days_median(pain.codes, pain.days, pain.value, window, int(t["flare_min_days"]))
    above = pain.value - median
    hit = reaches(above, t["flare_points"])
    if not hit.any():
        return pd.DataFrame(columns=FLAG_COLUMNS)
    value, above, median = pain.value[hit], above[hit], median[hit]

    def detail(v: float, a: float, m: float) -> str:
        return f"pain {v:g} is {a:.1f} points above the {window}-day median of {m:g}"

    alert = reaches(above, t["escalate_multiple"] * t["flare_points"])
    return pd.DataFrame({
        C.CLIENT_ID: pain.keys.take(pain.codes[hit]), C.DATE: pain.dates[hit],
        "flag": text_column(np.zeros(len(value), dtype=np.int64), ["pain_flare"]),
        "detail": distinct_texts(detail, value, above, median),
        "severity": text_column(alert.astype(np.int64), ["warning", "alert"])})


def pain_while_stretching(every: ClientDays, as_of: pd.Timestamp, t: Mapping[str, float]) -> pd.DataFrame:
    """``pain_during_stretching`` flags: one per client and day (see the module docstring).

    ``every`` holds the log, already cut at ``as_of``.
    """
    log = every.log
    before = log[C.PAIN].to_numpy(float, na_value=np.nan)
    after = log[C.PAIN_AFTER].to_numpy(float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        rose = after > np.where(np.isnan(before), np.inf, before)
        hurt = (rose | (after > t["pain_after_max"])) & (every.codes >= 0) & every.has_day
    if not hurt.any():
        return pd.DataFrame(columns=FLAG_COLUMNS)
    key, keys = every.day_keys(hurt)
    day = pd.DataFrame({"pain": before[hurt], "after": after[hurt], "rose": rose[hurt]}).groupby(key, sort=True).agg(
        pain=("pain", "max"), after=("after", "max"), rose=("rose", "any"))
    (client, days), rose = keys.decode(day.index.to_numpy()), day["rose"].to_numpy()
    in_window = days > _day_number(as_of) - int(t["pain_repeat_window_days"])
    repeated = np.bincount(client, weights=rose & in_window, minlength=len(every.keys)) >= t["pain_repeat_days"]
    is_alert = rose & repeated[client] & in_window
    # Pain that rose with stretching is a warning (an alert when repeated); pain that eased but
    # stayed above 3 is worth knowing, not acting on.
    kind = np.where(is_alert, 0, np.where(rose, 1, 2))
    advice = [ADVICE_SEE_PRO, ADVICE_EASE_UP, "Still sore after stretching."]

    def detail(after: float, before: float, kind: int) -> str:
        before_text = "not logged" if np.isnan(before) else f"{before:g}"
        return f"pain after stretching {after:g} (before: {before_text}). {advice[kind]}"

    return pd.DataFrame({
        C.CLIENT_ID: every.keys.take(client), C.DATE: every.dates(days),
        "flag": text_column(np.zeros(len(kind), dtype=np.int64), ["pain_during_stretching"]),
        "detail": distinct_texts(detail, day["after"].to_numpy(), day["pain"].to_numpy(), kind),
        "severity": text_column(kind, ["alert", "warning", "info"])})


def _day_number(date: pd.Timestamp) -> int:
    """A date as days since 1970-01-01 (as :func:`~backanalytics.metrics.log_arrays.day_numbers`)."""
    return int(np.datetime64(date, "D").astype(np.int64))


def text_column(codes: np.ndarray, texts: Sequence[str]) -> pd.Series:
    """The text column ``texts[codes]`` (dtype ``str``), built by Arrow from the few distinct texts.

    Much faster than a numpy object array of 10^6 Python strings converted to text.

    Examples
    --------
    >>> text_column(np.array([1, 0, 1]), ["warning", "alert"]).tolist()
    ['alert', 'warning', 'alert']
    """
    dictionary = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)),
                                                pa.array(list(texts), type=pa.large_string()))
    return pd.Series(pd.array(dictionary.cast(pa.large_string()), dtype="str"))


def distinct_texts(text: Callable[..., str], *columns: np.ndarray) -> pd.Series:
    """``text(*row)`` for every row of ``columns``, called once per distinct row (hundreds, not 10^6).

    Examples
    --------
    >>> distinct_texts(lambda a, b: f"{a:g}/{b:g}", np.array([1.0, 2, 1]), np.array([3.0, 3, 3])).tolist()
    ['1/3', '2/3', '1/3']
    """
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        key = key * len(uniques) + codes
    codes, uniques = pd.factorize(key)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write wins: each first row
    return text_column(codes, [text(*(column[i] for column in columns)) for i in first])


def flags(log: pd.DataFrame, as_of: object | None = None, prescription: float | pd.DataFrame | None = None,
          thresholds: Mapping[str, float] | None = None, *, consistency_table: pd.DataFrame | None = None,
          outcomes_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every flag for every client up to ``as_of``: tidy (client_id, date, flag, detail, severity).

    Parameters
    ----------
    log
        The canonical log.
    as_of
        Analysis date (default: the latest date in the log); later entries are ignored.
    prescription
        Sessions per week, or a prescription table (as for :func:`consistency`).
    thresholds
        Overrides for :data:`backanalytics.thresholds.THRESHOLDS`.
    consistency_table, outcomes_table
        The results of :func:`consistency` and :func:`outcomes` for the same log, ``as_of``,
        prescription and thresholds, when already computed: they are used instead of being
        computed again (the low-adherence and no-improvement rules read them).

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=6)
    >>> log = pd.DataFrame({"client_id": "a", "date": days, "stretch": "Cobra Stretch",
    ...     "pain": [3.0, 3, 3, 3, 6, 3], "pain_after": float("nan"), "flexibility": float("nan"),
    ...     "reach_cm": float("nan"), "planned_rest": False, "hold_s": 20.0, "reps": 3})
    >>> flags(log)[["date", "flag"]].astype(str).values.tolist()
    [['2026-01-05', 'pain_flare']]
    """
    t = {**THRESHOLDS, **(thresholds or {})}
    as_of = resolve_as_of(log, as_of)
    found = LogFlags.of(log, as_of, t)
    cons = consistency_table if consistency_table is not None else consistency(
        found.log, prescription=prescription, as_of=as_of)
    out = outcomes_table if outcomes_table is not None else outcomes(found.log, as_of=as_of, thresholds=t)
    return found.with_tables(cons, out)


class LogFlags:
    """The flags that need only the log (flares, pain while stretching, silence), found first.

    :meth:`with_tables` adds those that read the consistency and outcome tables (low adherence,
    no improvement) and returns the whole flag table: the two halves can run while the tables are
    being computed (:func:`backanalytics.metrics.caseload.caseload_metrics` does).
    """

    def __init__(self, log: pd.DataFrame, as_of: pd.Timestamp, t: Mapping[str, float], parts: list[pd.DataFrame],
                 pain_span_days: pd.Series, clients: pd.Index) -> None:
        self.log, self.as_of, self.t, self.parts, self.pain_span_days = log, as_of, t, parts, pain_span_days
        #: The clients with an entry up to ``as_of`` (the only ones judged).
        self.clients = clients

    @classmethod
    def of(cls, log: pd.DataFrame, as_of: pd.Timestamp, t: Mapping[str, float]) -> LogFlags:
        """The log's own flags up to ``as_of`` (a resolved date), with thresholds ``t`` (a full table)."""
        if (log[C.DATE] > as_of).any():
            log = log[log[C.DATE] <= as_of]
        every = ClientDays(log)
        pain = DailySeries.of(every, C.PAIN)
        parts = [pain_flares(pain, t), pain_while_stretching(every, as_of, t)]
        dated = (every.codes >= 0) & every.has_day
        last = pd.Series(every.days[dated]).groupby(every.codes[dated]).max()
        quiet = _day_number(as_of) - last
        silent = quiet[quiet >= t["silent_days"]]
        last_days = every.dates(last[silent.index].to_numpy()).astype("datetime64[D]")
        parts.append(pd.DataFrame({
            C.CLIENT_ID: every.keys.take(silent.index), C.DATE: as_of, "flag": "silent",
            "detail": [f"no entry for {d} days (last on {day})" for d, day in zip(silent, last_days, strict=True)],
            "severity": np.where(silent >= t["escalate_multiple"] * t["silent_days"], "warning", "info")}))
        span = pain.days[pain.start + pain.count - 1] - pain.days[pain.start]
        return cls(log, as_of, t, parts, pd.Series(span, index=pain.keys, dtype=float), every.keys)

    def with_tables(self, cons: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
        """Every flag: these plus low adherence (from ``cons``) and no improvement (``cons``, ``out``).

        Only clients with an entry up to ``as_of`` are judged (one who starts later has no flag).
        """
        t, as_of = self.t, self.as_of
        cons, out = _only(cons, self.clients), _only(out, self.clients)
        low = cons[cons["adherence_28d"] < t["low_adherence_28d"]]
        parts = [*self.parts, pd.DataFrame({
            C.CLIENT_ID: low.index, C.DATE: as_of, "flag": "low_adherence",
            "detail": [f"{a:.0%} of prescribed sessions in the last 28 days" for a in low["adherence_28d"]],
            "severity": "warning"})]
        weeks = (out["pain_n_days"] > 0) & (self.pain_span_days.reindex(out.index) >= 7 * t["no_improvement_weeks"])
        stuck = out[weeks & (cons["adherence"].reindex(out.index) >= t["adherent"])
                    & ~out["pain_mcid_reached"].fillna(False).astype(bool)]
        parts.append(pd.DataFrame({
            C.CLIENT_ID: stuck.index, C.DATE: as_of, "flag": "no_improvement",
            "detail": [f"adherent but pain changed only {c:+.1f} points ({p:+.0f} %): refer or reassess"
                       for c, p in zip(stuck["pain_change"], stuck["pain_pct_change"], strict=True)],
            "severity": "alert"}))
        parts = [p for p in parts if not p.empty]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLAG_COLUMNS)
        table[C.DATE] = pd.to_datetime(table[C.DATE]).astype("datetime64[ns]")
        # By client, newest first, then flag name: one stable sort on integer keys.
        order = np.lexsort([pd.factorize(table["flag"], sort=True)[0], -table[C.DATE].to_numpy().view(np.int64),
                            pd.factorize(table[C.CLIENT_ID], sort=True)[0]])
        return table[FLAG_COLUMNS].take(order).reset_index(drop=True)


def _only(table: pd.DataFrame, clients: pd.Index) -> pd.DataFrame:
    """The rows of ``table`` (indexed by client) whose client is in ``clients``."""
    keep = among(table.index, clients)
    return table if keep.all() else table[keep]


def flag_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per client: number of flags by kind and the worst severity (for caseload tables)."""
    if table.empty:
        return pd.DataFrame(columns=["worst_severity"])
    counts = pd.crosstab(table[C.CLIENT_ID], table["flag"])
    worst = table.assign(rank=table["severity"].map(SEVERITY_ORDER)).groupby(C.CLIENT_ID)["rank"].min()
    counts["worst_severity"] = worst.map({v: k for k, v in SEVERITY_ORDER.items()})
    return counts
