"""The stretch catalog: the 15 stretches of the back-health guide, as data.

Source: ``shared/seed/back-stretches-guide.txt`` ("The Best Back Stretches", Cat-Cow to Hamstring
Stretch) for names, target areas and how each is done. Dose guidance: American College of Sports
Medicine, *ACSM's Guidelines for Exercise Testing and Prescription*, 11th ed. (2021), flexibility
exercise: static holds of 10-30 s (30-60 s may benefit older adults), 2-4 repetitions of each
stretch, >= 2-3 days a week with daily most effective (:data:`FREQUENCY_GUIDANCE`). Dynamic
mobility moves (Cat-Cow, Pelvic Tilts) and strengthening moves (Bridge) are dosed in repetitions,
not hold time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

STATIC = "static"
DYNAMIC = "dynamic"
STRENGTH = "strength"


@dataclass(frozen=True)
class Stretch:
    """One catalog entry."""

    name: str
    kind: str
    areas: tuple[str, ...]
    aliases: tuple[str, ...] = ()


#: The guide's 15 stretches in the guide's order.
STRETCHES: tuple[Stretch, ...] = (
    Stretch("Cat-Cow", DYNAMIC, ("spine", "neck", "lower back"),
            ("cat cow stretch", "cat camel", "cat and cow", "cat/cow")),
    Stretch("Child's Pose", STATIC, ("lower back", "spine", "hips", "thighs"),
            ("childs pose", "child pose", "balasana", "child's")),
    Stretch("Knee-to-Chest", STATIC, ("lower back", "hips", "glutes"),
            ("knee to chest stretch", "single knee to chest", "knees to chest", "knee hug")),
    Stretch("Pelvic Tilts", DYNAMIC, ("lower back", "abdominals"),
            ("pelvic tilt", "posterior pelvic tilt")),
    Stretch("Seated Spinal Twist", STATIC, ("spine", "middle back", "abdominals"),
            ("the seated spinal twist", "seated twist", "spinal twist")),
    Stretch("Sphinx Pose", STATIC, ("lower back", "abdominals", "hip flexors"),
            ("the spinx pose", "spinx pose", "spinx", "sphinx", "the sphinx pose")),
    Stretch("Piriformis Stretch", STATIC, ("glutes", "hips", "lower back"),
            ("piriformis", "figure four", "figure 4 stretch", "figure-four stretch")),
    Stretch("Butterfly Stretch", STATIC, ("hips", "inner thighs"),
            ("the butterfly stretch", "butterfly", "bound angle", "baddha konasana")),
    Stretch("Forward Bend", STATIC, ("hamstrings", "lower back", "spine"),
            ("the forward bend stretch", "forward bend stretch", "forward fold",
             "standing forward bend", "seated forward bend", "toe touch")),
    Stretch("Supine Twist", STATIC, ("spine", "glutes", "lower back"),
            ("the supine twist", "lying twist", "supine spinal twist")),
    Stretch("Bridge Pose", STRENGTH, ("glutes", "lower back", "spine"),
            ("the bridge pose", "bridge", "glute bridge", "bridges")),
    Stretch("Cobra Stretch", STATIC, ("lower back", "abdominals", "spine"),
            ("cobra", "cobra pose", "bhujangasana")),
    Stretch("Downward-Facing Dog", STATIC, ("hamstrings", "glutes", "spine", "calves"),
            ("downward dog", "down dog", "downward facing dog", "adho mukha svanasana")),
    Stretch("Hip Flexor Stretch", STATIC, ("hip flexors", "hips", "quadriceps"),
            ("the hip flexor stretch", "hip flexor", "kneeling hip flexor stretch",
             "runners stretch", "runner's stretch", "lunge stretch")),
    Stretch("Hamstring Stretch", STATIC, ("hamstrings", "lower back"),
            ("hamstring", "hamstrings", "seated hamstring stretch", "standing hamstring stretch")),
)

#: ACSM flexibility guidance per kind: seconds held per rep (None = not checked) and reps.
DOSE_GUIDANCE: dict[str, dict[str, float | None]] = {
    STATIC: {"hold_min": 10.0, "hold_max": 30.0, "reps_min": 2, "reps_max": 4},
    DYNAMIC: {"hold_min": None, "hold_max": None, "reps_min": 5, "reps_max": 15},
    STRENGTH: {"hold_min": None, "hold_max": None, "reps_min": 8, "reps_max": 15},
}

#: How often to stretch, in session days a week. ACSM (11th ed., flexibility): at least 2-3 days a
#: week, daily being most effective; the guide ("Consistency Over Intensity: regular, moderate
#: stretching is more beneficial than infrequent, intense sessions"; "schedule a specific time each
#: day for stretching") asks for daily. ``minimum`` and ``recommended`` are the two ends of ACSM's
#: "2-3", ``best`` is daily (also the default prescription of the consistency metrics).
FREQUENCY_GUIDANCE: dict[str, float] = {"minimum": 2.0, "recommended": 3.0, "best": 7.0}


def frequency_band(sessions_per_week: float | np.ndarray | pd.Series) -> np.ndarray:
    """Where a weekly frequency sits against :data:`FREQUENCY_GUIDANCE`.

    ``"below"`` (fewer than 2 a week), ``"minimum"`` (2 to under 3), ``"recommended"`` (3 to under
    7) or ``"daily"`` (7); NaN stays ``None``.

    Examples
    --------
    >>> frequency_band([1, 2, 2.5, 3, 6.9, 7, float("nan")]).tolist()
    ['below', 'minimum', 'minimum', 'recommended', 'recommended', 'daily', None]
    """
    value = np.asarray(sessions_per_week, dtype=float)
    g = FREQUENCY_GUIDANCE
    band = np.select([value >= g["best"], value >= g["recommended"], value >= g["minimum"], value >= 0],
                     ["daily", "recommended", "minimum", "below"], default="")
    return np.where(np.isnan(value), None, band).astype(object)


def _key(name: str) -> str:
    """Reduce a stretch name to a comparison key: case, accents, apostrophes, hyphens, 'stretch'."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = text.lower().replace("'", "").replace("’", "")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^the ", "", text)
    text = re.sub(r" (stretch|pose|exercise)$", "", text)
    return text.replace(" ", "")


_LOOKUP: dict[str, str] = {}
for _s in STRETCHES:
    for _alias in (_s.name, *_s.aliases):
        _LOOKUP[_key(_alias)] = _s.name

_BY_NAME: dict[str, Stretch] = {s.name: s for s in STRETCHES}


def canonical_name(name: object) -> str | None:
    """Return the catalog name for a stretch as written, or None when it is unknown.

    Examples
    --------
    >>> canonical_name("childs pose")
    "Child's Pose"
    >>> canonical_name("The Spinx Pose")
    'Sphinx Pose'
    >>> canonical_name("downward dog")
    'Downward-Facing Dog'
    >>> canonical_name("handstand") is None
    True
    """
    if name is None or (isinstance(name, float) and name != name):
        return None
    return _LOOKUP.get(_key(str(name)))


def normalise_names(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map a column of stretch names to catalog names, vectorised over unique values.

    Returns the normalised names (unknown names kept as written, stripped) and a boolean mask
    of non-empty names that are not in the catalog.
    """
    text = names.astype("string").str.strip()
    codes, uniques = pd.factorize(text)  # one catalog lookup per distinct name, not per row
    canonical = np.array([*(canonical_name(u) for u in uniques), None], dtype=object)
    mapped = pd.Series(canonical[codes], index=text.index, dtype=object)
    known = mapped.notna()
    out = text.where(~known, mapped).astype("string")
    out = out.mask(out == "")
    unknown = out.notna() & ~known
    return out, unknown


def catalog_table() -> pd.DataFrame:
    """The catalog as a tidy table: one row per stretch with kind, areas and dose guidance.

    Examples
    --------
    >>> t = catalog_table()
    >>> len(t), t.loc["Bridge Pose", "kind"]
    (15, 'strength')
    """
    rows = []
    for s in STRETCHES:
        rows.append({"stretch": s.name, "kind": s.kind, "areas": ", ".join(s.areas),
                     **DOSE_GUIDANCE[s.kind]})
    return pd.DataFrame(rows).set_index("stretch")


def kind_of(name: str) -> str | None:
    """The kind (static / dynamic / strength) of a catalog stretch, None when unknown."""
    s = _BY_NAME.get(name)
    return s.kind if s else None


def areas_of(name: str) -> tuple[str, ...]:
    """The target areas of a catalog stretch (empty when unknown)."""
    s = _BY_NAME.get(name)
    return s.areas if s else ()


#: Time one repetition of a dynamic or strength move takes when no hold is logged (an estimate
#: for "minutes stretched" only: a slow Cat-Cow or Bridge repetition takes about 4 s).
SECONDS_PER_REP = 4.0


def areas_table() -> pd.DataFrame:
    """Tidy (stretch, area) pairs for every catalog stretch.

    Examples
    --------
    >>> areas_table().query("stretch == 'Butterfly Stretch'")["area"].tolist()
    ['hips', 'inner thighs']
    """
    return pd.DataFrame([(s.name, a) for s in STRETCHES for a in s.areas], columns=["stretch", "area"])


#: Every target area of the catalog, sorted; bit ``i`` of an :func:`area_bits` mask is ``AREAS[i]``.
AREAS: tuple[str, ...] = tuple(sorted({a for s in STRETCHES for a in s.areas}))


def area_bits(names: Iterable[object]) -> np.ndarray:
    """Per stretch name, an int64 bit mask of its target areas (bit i = :data:`AREAS` [i]; 0 unknown).

    Examples
    --------
    >>> mask = area_bits(["Butterfly Stretch", "Handstand"])
    >>> [[a for i, a in enumerate(AREAS) if m >> i & 1] for m in mask.tolist()]
    [['hips', 'inner thighs'], []]
    """
    bit = {a: 1 << i for i, a in enumerate(AREAS)}
    masks = [sum(bit[a] for a in areas_of(str(n))) for n in names]  # one lookup per distinct name
    return np.array(masks, dtype=np.int64)


def seconds_from(hold: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """:func:`seconds_stretched` on float arrays (NaN = not logged).

    Examples
    --------
    >>> seconds_from(np.array([30.0, np.nan, np.nan]), np.array([2.0, 10.0, np.nan])).tolist()
    [60.0, 40.0, 0.0]
    """
    per_rep = np.where(np.isnan(hold), SECONDS_PER_REP, hold)
    times = np.where(np.isnan(reps), 1.0, reps)
    return np.where(np.isnan(hold) & np.isnan(reps), 0.0, per_rep * times)


def seconds_stretched(log: pd.DataFrame) -> pd.Series:
    """Seconds of stretching per row: hold x reps; reps x :data:`SECONDS_PER_REP` without a hold.

    A row with neither counts 0; a missing ``hold_s`` or ``reps`` column reads as not logged.

    Examples
    --------
    >>> rows = pd.DataFrame({"hold_s": [30.0, float("nan")], "reps": pd.array([2, 10], dtype="Int64")})
    >>> seconds_stretched(rows).tolist()
    [60.0, 40.0]
    >>> seconds_stretched(pd.DataFrame({"hold_s": [30.0]})).tolist()
    [30.0]
    """
    def floats(column: str) -> np.ndarray:
        if column not in log:
            return np.full(len(log), np.nan)
        return log[column].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)

    return pd.Series(seconds_from(floats("hold_s"), floats("reps")), index=log.index, dtype=np.float64)


_HINT = re.compile(r"^(?P<name>.*?)[\s_]*(?:\((?P<paren>[^)]*)\)|(?P<word>reps|rep|sec|secs|seconds|s|min|mins|"
                   r"minutes))$", re.IGNORECASE)
_HINT_UNITS = {"reps": "reps", "rep": "reps", "x": "reps", "s": "s", "sec": "s", "secs": "s", "seconds": "s",
               "min": "min", "mins": "min", "minutes": "min"}


def stretch_header(col: object) -> tuple[str | None, str | None]:
    """(catalog stretch, unit hint) named by a column header (a habit grid's column), or (None, None).

    Examples
    --------
    >>> stretch_header("Cobra (min)"), stretch_header("Child's pose reps"), stretch_header("Walked dog")
    (('Cobra Stretch', 'min'), ("Child's Pose", 'reps'), (None, None))
    """
    text = str(col).strip()
    found = canonical_name(text)
    if found is not None:
        return found, None
    hint = _HINT.match(text)
    if hint:
        unit = _HINT_UNITS.get((hint["paren"] or hint["word"] or "").strip().lower())
        found = canonical_name(hint["name"].strip())
        if found is not None:
            return found, unit
    return None, None
