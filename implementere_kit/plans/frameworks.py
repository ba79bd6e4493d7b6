"""Implementation frameworks as data: the implementere.no model, EPIS, NIRN, Socialstyrelsen's
drejebog and the Stages of Implementation Completion (SIC).

Each framework is a YAML file in ``implementere_kit/plans/framework_data/`` with labels in nb/da/en
and a ``source`` on the framework and on the facts that need one; :func:`load_framework` reads
it into small frozen dataclasses. ``framework_data/crosswalk.csv`` maps the phases (SIC: the
stages) of every pair of frameworks, each mapping stored once; :func:`crosswalk` reads it in
either direction. Only implementere ↔ EPIS is stated by a source (implementere.no builds on
EPIS); the other rows are our reading of the phase descriptions, hence mostly ``overlaps``.

Examples
--------
>>> from implementere_kit.plans.frameworks import crosswalk, load_framework
>>> fw = load_framework("implementere")
>>> [p.id for p in fw.phases]
['forberede', 'planlegge', 'implementere', 'viderefore']
>>> fw.core_element(3).label("nb")
'Velge og tilpasse implementeringsstrategier'
>>> crosswalk("implementere", "epis").loc[0, ["id_a", "id_b", "relation"]].tolist()
['forberede', 'exploration', 'equivalent']

References
----------
.. [1] implementere.no, "Hva må du gjøre" (RKBU/RBUP), https://implementere.no/hva-ma-du-gjore/
.. [2] Aarons GA, Hurlburt M, Horwitz SM (2011). Adm Policy Ment Health 38:4–23.
.. [3] Fixsen DL et al. (2005). Implementation Research: A Synthesis of the Literature. FMHI #231.
.. [4] Socialstyrelsen (2022). Drejebog for national udvikling af sociale indsatser, 2. udg.
.. [5] Chamberlain P, Brown CH, Saldana L (2011). Implement Sci 6:116, Table 1.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._data import list_data, load_yaml, package_file
from ..errors import ImplementereError, Problem, UnknownNameError, ValidationError, safe_value
from ..i18n import check_lang
from ._framework_model import (
    TOOL_KINDS,
    Activity,
    Checklist,
    CoreElement,
    Driver,
    Framework,
    Item,
    Phase,
    Question,
    Stage,
    Tool,
    build_framework,
)

__all__ = [
    "TOOL_KINDS", "RELATIONS", "Item", "Tool", "Question", "Activity", "Checklist", "Phase",
    "CoreElement", "Stage", "Driver", "Framework", "list_frameworks", "load_framework",
    "crosswalk", "sic_phase_of_stage",
]

_DATA = "plans/framework_data"
RELATIONS = ("equivalent", "overlaps")


# -- public loaders ---------------------------------------------------------------------
def list_frameworks() -> list[str]:
    """Names of the frameworks shipped with the package."""
    return list_data(_DATA)


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> Framework:
    return build_framework(load_yaml(path), path)


def load_framework(name: str | Path) -> Framework:
    """Load a shipped framework by name, or a user's definition from a ``.yaml`` path.

    Raises :class:`~implementere_kit.errors.UnknownNameError` for an unknown name and
    :class:`~implementere_kit.errors.ValidationError` naming the file and every bad key for a
    malformed definition.

    Examples
    --------
    >>> load_framework("sic").stage(3).label("en")
    'Readiness Planning'
    >>> load_framework("nope")
    Traceback (most recent call last):
    ...
    implementere_kit.errors.UnknownNameError: unknown framework 'nope'; known: epis, implementere, nirn, sic, socialstyrelsen
    """
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise UnknownNameError("framework file", str(path), list_frameworks())
    elif name not in list_frameworks():
        raise UnknownNameError("framework", name, list_frameworks())
    else:
        path = package_file(_DATA, f"{name}.yaml")
    return _load(str(path), path.stat().st_mtime)


def _units(fw: Framework) -> tuple[Item, ...]:
    """What the crosswalk maps: SIC's stages, every other framework's phases."""
    return fw.stages or fw.phases


_CW_COLUMNS = ["framework_a", "id_a", "framework_b", "id_b", "relation"]


def _read_crosswalk(path: str | Path) -> pd.DataFrame:
    """Read and check a crosswalk CSV: known ids, known relations, each mapping stored once."""
    file = str(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _CW_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError([Problem("missing column", file=file, resource="crosswalk", column=c)
                               for c in missing])
    known, problems, seen, orientation = list_frameworks(), [], set(), {}

    def bad(row, column, message, expected=None, found=None):
        problems.append(Problem(message, file=file, resource="crosswalk", row=row, column=column,
                                expected=expected, found=None if found is None else safe_value(found)))

    for row, (fa, ia, fb, ib, rel) in enumerate(df[_CW_COLUMNS].itertuples(index=False), start=1):
        for col, fw, uid in (("a", fa, ia), ("b", fb, ib)):
            if fw not in known:
                bad(row, f"framework_{col}", "unknown framework", ", ".join(known), fw)
                continue
            ids = [str(u.id) for u in _units(load_framework(fw))]
            if uid not in ids:
                bad(row, f"id_{col}", f"unknown phase or stage of {fw}", ", ".join(ids), uid)
        if rel not in RELATIONS:
            bad(row, "relation", "unknown relation", " or ".join(RELATIONS), rel)
        if fa == fb:
            bad(row, "framework_b", "maps a framework to itself", f"a framework other than {fa}")
        pair = frozenset((fa, fb))
        if orientation.setdefault(pair, (fa, fb)) != (fa, fb):
            bad(row, "framework_a", "pair stored in both directions", f"{orientation[pair][0]} first")
        if (fa, ia, fb, ib) in seen or (fb, ib, fa, ia) in seen:
            bad(row, "id_a", "mapping stored twice", "each mapping once")
        seen.add((fa, ia, fb, ib))
    if problems:
        raise ValidationError(problems)
    return df


@lru_cache(maxsize=1)
def _crosswalk_table() -> pd.DataFrame:
    return _read_crosswalk(package_file(_DATA, "crosswalk.csv"))


def crosswalk(a: str, b: str, *, lang: str = "en") -> pd.DataFrame:
    """Map the phases (SIC: stages) of framework ``a`` onto those of framework ``b``.

    Works in both directions whichever way the mapping is stored. ``relation`` is
    ``equivalent`` or ``overlaps`` (partly the same work). Rows follow ``a``'s order.

    Examples
    --------
    >>> cw = crosswalk("sic", "implementere")
    >>> cw.query("id_a == 8")[["label_a", "id_b"]].values.tolist()
    [['Competency (certification)', 'viderefore']]
    """
    check_lang(lang)
    known = list_frameworks()
    for name in (a, b):
        if name not in known:
            raise UnknownNameError("framework", name, known)
    ua = {str(u.id): u for u in _units(load_framework(a))}
    ub = {str(u.id): u for u in _units(load_framework(b))}
    if a == b:
        pairs = [(k, k, "equivalent") for k in ua]
    else:
        t = _crosswalk_table()
        fwd = t[(t.framework_a == a) & (t.framework_b == b)]
        back = t[(t.framework_a == b) & (t.framework_b == a)]
        pairs = [*zip(fwd.id_a, fwd.id_b, fwd.relation, strict=True),
                 *zip(back.id_b, back.id_a, back.relation, strict=True)]
    if not pairs:
        raise ImplementereError(f"no crosswalk between {a!r} and {b!r} in crosswalk.csv")
    oa, ob = {k: n for n, k in enumerate(ua)}, {k: n for n, k in enumerate(ub)}
    pairs.sort(key=lambda p: (oa[p[0]], ob[p[1]]))
    rows = [(ua[x].id, ua[x].label(lang), ub[y].id, ub[y].label(lang), rel) for x, y, rel in pairs]
    return pd.DataFrame(rows, columns=["id_a", "label_a", "id_b", "label_b", "relation"])


def sic_phase_of_stage(stage: int) -> str:
    """SIC phase (``pre``, ``impl`` or ``sustain``) of a stage 1–8.

    Examples
    --------
    >>> [sic_phase_of_stage(s) for s in (3, 4, 8)]
    ['pre', 'impl', 'sustain']
    """
    return load_framework("sic").stage(stage).phase
