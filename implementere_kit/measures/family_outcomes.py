"""Family outcomes: outcome instruments as data, their scoring, their link to the theory of
change, and change from before to after
(:func:`~implementere_kit.measures.outcome_change.outcome_change`).

Shipped instruments (``measures/outcome_data/``) are those whose scoring may be published;
each carries item numbers and the scoring rule only, never item wording, and, per scale, a
reliability with its source:

=========  =====================================================  =======================
id         instrument                                             reliability used
=========  =====================================================  =======================
``pss``    Parental Stress Scale (Berry & Jones 1995), 18 items    test–retest .81 (Berry
           1–5, items 1, 2, 5–8, 17, 18 reversed, sum 18–90        & Jones 1995)
``sdq``    Strengths and Difficulties Questionnaire (Goodman),    parent-form α per scale
           25 items 0–2, five scales and total difficulties        (Dutch norms, 2022)
=========  =====================================================  =======================

``_template.yaml`` is the starting point for an instrument of one's own (pass its path).
A scale names the result box of a theory of change it measures (``toc: {keep: R2}``, R2 =
the second entry of the intervention's ``results``): :func:`outcome_links` shows the boxes
with their instruments, so a result nobody measures stands out.

Examples
--------
>>> pss = load_outcome_instrument("pss")
>>> pss.scale("total").reliability, pss.scale("total").higher_is_better
(0.81, False)
>>> import pandas as pd
>>> answers = pd.DataFrame({"participant_id": ["f1"], **{f"pss_{i}": [3] for i in range(1, 19)}})
>>> score_outcome(answers, "pss")["total"].tolist()
[54.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._data import list_data, load_yaml, package_file
from ..errors import Problem, UnknownNameError, ValidationError
from ..store.tables import row_problems
from ._outcome_spec import TOC_RESULT_ID, OutcomeScale, parse_outcome_definition

__all__ = ["OutcomeInstrument", "load_outcome_instrument", "list_outcome_instruments",
           "score_outcome", "toc_result_ids", "outcome_links", "WAVES"]

_FOLDER = "measures/outcome_data"
#: The waves of ``outcome_scores``, in order.
WAVES = ("pre", "post", "follow_up")


@dataclass(frozen=True, eq=False)
class OutcomeInstrument:
    """An outcome instrument as defined in its YAML file (see ``_template.yaml``)."""

    id: str
    name: str
    labels: Mapping[str, str] = field(repr=False)
    source: str = field(repr=False)
    terms: str = field(repr=False)
    informants: tuple[str, ...] = ()
    min: float = 0.0
    max: float = 1.0
    n_items: int = 0
    key_prefix: str = ""
    reverse: frozenset = frozenset()
    method: str = "sum"
    round: bool = False
    min_answered: float = 0.75
    scales: Mapping[str, OutcomeScale] = field(default_factory=dict, repr=False)
    primary: str = ""
    notes: str = field(default="", repr=False)
    file: str | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data, *, file: str | None = None) -> OutcomeInstrument:
        return cls(**parse_outcome_definition(data, file), file=file)

    def label(self, lang: str = "nb") -> str:
        return self.labels.get(lang) or self.name

    @property
    def items(self) -> list[str]:
        """Item column names: ``key_prefix`` + number, in questionnaire order."""
        return [f"{self.key_prefix}{i}" for i in range(1, self.n_items + 1)]

    def scale(self, name: str) -> OutcomeScale:
        if name not in self.scales:
            raise UnknownNameError(f"scale of {self.id}", name, list(self.scales))
        return self.scales[name]


@lru_cache(maxsize=16)
def _shipped(name: str) -> OutcomeInstrument:
    return OutcomeInstrument.from_dict(load_yaml(package_file(_FOLDER, f"{name}.yaml")),
                                       file=f"{name}.yaml")


def list_outcome_instruments() -> list[str]:
    """Ids of the shipped outcome instruments (the template is not one).

    Examples
    --------
    >>> list_outcome_instruments()
    ['pss', 'sdq']
    """
    return [n for n in list_data(_FOLDER) if not n.startswith("_")]


def load_outcome_instrument(name_or_path) -> OutcomeInstrument:
    """A shipped outcome instrument by id, or one's own definition by ``.yaml`` path."""
    if isinstance(name_or_path, OutcomeInstrument):
        return name_or_path
    path = Path(str(name_or_path))
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise ValidationError([Problem("instrument file not found", file=str(path),
                                           expected="an existing .yaml file")])
        return OutcomeInstrument.from_dict(load_yaml(path), file=str(path))
    if str(name_or_path) not in list_outcome_instruments():
        raise UnknownNameError("outcome instrument", str(name_or_path),
                               list_outcome_instruments())
    return _shipped(str(name_or_path))


# -- scoring -----------------------------------------------------------------------------
def score_outcome(responses: pd.DataFrame, instrument) -> pd.DataFrame:
    """Score item answers: one column per scale, the other columns kept in front.

    Reversed items are flipped (min + max − value); an item scale with at least
    ``min_answered`` of its items answered is scored — ``sum`` scoring prorates (mean ×
    number of items), rounded half up when the instrument says so (SDQ) — and a scale that
    sums scales (``of``) is missing unless all its parts are scored.

    Raises
    ------
    ValidationError
        Missing item columns, answers that are not whole numbers on the response scale —
        every offending row and item at once.
    """
    inst = load_outcome_instrument(instrument)
    if not isinstance(responses, pd.DataFrame):
        raise ValidationError([Problem("responses must be a table", resource=inst.id,
                                       expected="a pandas DataFrame",
                                       found=type(responses).__name__)])
    problems = [Problem("item column missing", resource=inst.id, column=k,
                        expected=f"{inst.items[0]} … {inst.items[-1]}")
                for k in inst.items if k not in responses.columns]
    if problems:
        raise ValidationError(problems)
    df = responses.reset_index(drop=True)
    values = {}
    for i, key in enumerate(inst.items, start=1):
        raw = df[key]
        num = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = (num.isna() & raw.notna()) | (num.notna() & ((num < inst.min) | (num > inst.max)
                                                           | (num != np.round(num))))
        problems += row_problems(bad, raw, message="answer not on the response scale",
                                 column=key, resource=inst.id,
                                 expected=f"a whole number {inst.min:g}–{inst.max:g}")
        values[i] = (inst.min + inst.max - num) if i in inst.reverse else num
    if problems:
        raise ValidationError(problems)
    out = df[[c for c in df.columns if c not in set(inst.items)]].copy()
    for name, s in inst.scales.items():
        if s.of:
            continue
        v = pd.DataFrame({i: values[i] for i in s.items})
        enough = v.notna().sum(axis=1) >= max(math.ceil(inst.min_answered * len(s.items) - 1e-9), 1)
        score = v.mean(axis=1) * (len(s.items) if inst.method == "sum" else 1)
        if inst.round:
            score = np.floor(score + 0.5)
        out[name] = score.where(enough)
    for name, s in inst.scales.items():
        if s.of:
            out[name] = out[list(s.of)].sum(axis=1, min_count=len(s.of))
    return out


# -- the theory of change ---------------------------------------------------------------
def toc_result_ids(intervention) -> list[str]:
    """Ids of the result boxes of an intervention's theory of change: R1, R2, …"""
    return [f"R{i}" for i in range(1, len(intervention.theory_of_change.results) + 1)]


def outcome_links(intervention, instruments=None, lang: str = "nb") -> pd.DataFrame:
    """The result boxes of ``intervention``'s theory of change and the scales measuring them.

    One row per result and linked scale (``instrument`` and ``scale`` empty for a result
    no instrument measures): ``result_id``, ``result`` (the box's text in ``lang``),
    ``instrument``, ``scale``, ``label``.

    Raises
    ------
    ValidationError
        When an instrument links to a result box the intervention does not have.

    Examples
    --------
    >>> from implementere_kit import load_intervention
    >>> links = outcome_links(load_intervention("keep"), lang="en")
    >>> links[["result_id", "instrument", "scale"]].fillna("–").values.tolist()
    [['R1', '–', '–'], ['R2', 'pss', 'total'], ['R3', 'sdq', 'total_difficulties']]
    """
    names = list_outcome_instruments() if instruments is None else list(instruments)
    results = intervention.theory_of_change.boxes("results", lang)
    rows, problems = [], []
    for name in names:
        inst = load_outcome_instrument(name)
        for s in inst.scales.values():
            rid = s.toc.get(intervention.id)
            if rid is None:
                continue
            k = int(TOC_RESULT_ID.match(rid).group(1))
            if k > len(results):
                problems.append(Problem("links to a result box the theory of change lacks",
                                        file=inst.file, column=f"scales.{s.name}.toc",
                                        expected=f"R1–R{len(results)}", found=rid))
                continue
            rows.append((rid, inst.id, s.name, f"{inst.name}: {s.label(lang)}"))
    if problems:
        raise ValidationError(problems)
    linked = pd.DataFrame(rows, columns=["result_id", "instrument", "scale", "label"])
    boxes = pd.DataFrame({"result_id": toc_result_ids(intervention), "result": results})
    return boxes.merge(linked, on="result_id", how="left")
