"""The stretch catalog: the 15 stretches of the back-health guide, as data.

Source: ``shared/seed/back-stretches-guide.txt`` ("The Best Back Stretches", Cat-Cow to Hamstring
Stretch) for names, target areas and how each is done. Dose guidance: American College of Sports
Medicine, *ACSM's Guidelines for Exercise Testing and Prescription*, 11th ed. (2021), flexibility
exercise: static holds of 10-30 s (30-60 s may benefit older adults), 2-4 repetitions of each
stretch, >= 2-3 days a week with daily most effective. Dynamic mobility moves (Cat-Cow, Pelvic
Tilts) and strengthening moves (Bridge) are dosed in repetitions, not hold time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    uniques = text.dropna().unique()
    mapping = {u: canonical_name(u) for u in uniques}
    mapped = text.map(lambda v: mapping.get(v) if v is not pd.NA else None, na_action="ignore")
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
    """Tidy (stretch, area) pairs for every catalog stretch."""
    return pd.DataFrame([(s.name, a) for s in STRETCHES for a in s.areas], columns=["stretch", "area"])


def seconds_stretched(log: pd.DataFrame) -> pd.Series:
    """Seconds of stretching per row: hold x reps; reps x :data:`SECONDS_PER_REP` without a hold.

    Examples
    --------
    >>> rows = pd.DataFrame({"hold_s": [30.0, float("nan")], "reps": pd.array([2, 10], dtype="Int64")})
    >>> seconds_stretched(rows).tolist()
    [60.0, 40.0]
    """
    reps = log["reps"].astype("Float64").fillna(1).astype(float)
    hold = log["hold_s"].astype(float)
    return (hold.fillna(SECONDS_PER_REP) * reps).where(hold.notna() | log["reps"].notna(), 0.0)
