"""Sample questionnaires (ODI, RMDQ, PSFS) that fit each sample client's story.

Each client fills in questionnaires at intake (their first day), at week 6 and at discharge
(their last day), as a clinic would collect them; a client who dropped out is not re-assessed
after they stopped. The answers follow the client's own logged pain around that day (the mean
daily pain within a week either side), so the function scores tell the same story as the pain:
ODI section total about 3.3 x pain (pain 6 -> 20 of 50 = 40 %), RMDQ "yes" count about 2.2 x pain,
PSFS activity ratings about 10 - 1.1 x pain. Every questionnaire is written as item answers, so the
sample exercises the scoring rules; the first PSFS also names its activities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backanalytics import columns as C

#: Which questionnaires each sample client fills in (the clinic uses ODI or RMDQ, and PSFS for all).
SAMPLE_INSTRUMENTS = {"anna": ("ODI", "PSFS"), "ben": ("RMDQ", "PSFS"), "carla": ("ODI", "PSFS"),
                      "dev": ("ODI", "PSFS"), "emma": ("RMDQ", "PSFS"), "farid": ("ODI", "PSFS"),
                      "grace": ("RMDQ", "PSFS"), "hugo": ("ODI", "PSFS"), "ines": ("ODI", "PSFS")}
ACTIVITIES = ("putting on socks", "sitting through a film", "lifting a shopping bag", "gardening",
              "getting out of the car", "carrying a child")
ITEMS = [f"item_{k}" for k in range(1, 25)]


def _pain_near(log: pd.DataFrame, day: pd.Timestamp) -> float:
    """Mean daily pain within 7 days either side of ``day`` (NaN when none)."""
    near = log[(log[C.DATE] - day).abs() <= pd.Timedelta(days=7)]
    return float(near.groupby(C.DATE)[C.PAIN].mean().mean())


def _visits(log: pd.DataFrame) -> list[pd.Timestamp]:
    """Intake, week 6 and discharge days of one client (only the days they still logged)."""
    first, last = log[C.DATE].min(), log[C.DATE].max()
    week6 = first + pd.Timedelta(days=42)
    days = [first] + ([week6] if week6 < last - pd.Timedelta(days=14) else [])
    return days + ([last] if (last - first).days >= 28 else [])


def generate_assessments(log: pd.DataFrame, seed: int = 7,
                         instruments: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Questionnaires (item answers) at intake, week 6 and discharge for every client of ``log``.

    Parameters
    ----------
    log
        A canonical log (e.g. :func:`backanalytics.sample.generate_log`).
    seed
        Random seed for the spread of answers.
    instruments
        client id -> instruments (default :data:`SAMPLE_INSTRUMENTS`; ODI and PSFS for others).

    Returns
    -------
    pandas.DataFrame
        ``client_id, date, instrument, item_1 ... item_24, activity_1 ... activity_3``.

    Examples
    --------
    >>> from backanalytics.sample import generate_log
    >>> table = generate_assessments(generate_log())
    >>> table.groupby("instrument").size().to_dict()
    {'ODI': 17, 'PSFS': 26, 'RMDQ': 9}
    """
    rng = np.random.default_rng(seed)
    chosen = instruments or SAMPLE_INSTRUMENTS
    rows = []
    for client, mine in log.groupby(C.CLIENT_ID, sort=True):
        for visit, day in enumerate(_visits(mine)):
            pain = _pain_near(mine, day)
            if np.isnan(pain):
                continue
            for inst in chosen.get(str(client), ("ODI", "PSFS")):
                row: dict[str, object] = {C.CLIENT_ID: client, C.DATE: day.strftime("%Y-%m-%d"), "instrument": inst}
                row.update(_answers(inst, pain, visit, rng))
                rows.append(row)
    columns = [C.CLIENT_ID, C.DATE, "instrument", *ITEMS, "activity_1", "activity_2", "activity_3"]
    return pd.DataFrame(rows).reindex(columns=columns)


def _answers(instrument: str, pain: float, visit: int, rng: np.random.Generator) -> dict[str, object]:
    if instrument == "ODI":
        total = int(np.clip(round(pain * 3.3 + rng.normal(0, 1.5)), 0, 50))
        sections = np.full(10, total // 10)
        sections[rng.permutation(10)[:total % 10]] += 1
        return {f"item_{k + 1}": int(v) for k, v in enumerate(sections)}
    if instrument == "RMDQ":
        yes = int(np.clip(round(pain * 2.2 + rng.normal(0, 1.0)), 0, 24))
        chosen = set(rng.permutation(24)[:yes].tolist())
        return {f"item_{k + 1}": "yes" if k in chosen else "no" for k in range(24)}
    ratings = np.clip(np.round(10 - 1.1 * pain + rng.normal(0, 0.8, 3)), 0, 10).astype(int)
    out: dict[str, object] = {f"item_{k + 1}": int(v) for k, v in enumerate(ratings)}
    if visit == 0:
        picks = rng.permutation(len(ACTIVITIES))[:3]
        out.update({f"activity_{k + 1}": ACTIVITIES[p] for k, p in enumerate(picks)})
    return out


def assessments_path(log_path: str | Path) -> Path:
    """Where ``backanalytics sample`` writes the questionnaires beside a log: ``<name>_assessments.csv``.

    Examples
    --------
    >>> assessments_path("data/sample_logs.csv").as_posix()
    'data/sample_assessments.csv'
    """
    path = Path(log_path)
    stem = path.stem.removesuffix("_logs").removesuffix("_log")
    return path.with_name(f"{stem}_assessments.csv")


def write_sample_assessments(log: pd.DataFrame, path: str | Path, seed: int = 7) -> pd.DataFrame:
    """Write :func:`generate_assessments` as CSV and return it."""
    table = generate_assessments(log, seed=seed)
    table.to_csv(path, index=False)
    return table
