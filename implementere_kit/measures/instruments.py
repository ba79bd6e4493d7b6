"""Survey, fidelity and competence instruments defined as data, and their scoring.

Each instrument is a YAML file in ``implementere_kit/measures/instrument_data/`` (or any YAML file
of your own, passed by path). A definition holds:

``id``, ``name``, ``label``, ``kind``
    Identifier (the file name for shipped ones), short name, ``{nb, da, en}`` title, and
    ``survey`` (default), ``fidelity`` or ``competence``.
``source``
    Full citation of where the instrument and its scoring come from; ``notes`` says which
    facts were checked where, and what could not be checked.
``response``
    ``min`` and ``max`` of the answer scale, optional ``labels`` per value in nb/da/en,
    and optional ``codes`` mapping text answers to values (``{yes: 1, "no": 0, na: null}``;
    a ``null`` code means "not applicable" and counts as not answered).
``items``
    Ordered list of ``{key, label: {nb, da, en}, reverse: bool, component: str}``. Labels
    are short paraphrases in our own words, never copied item wording. ``reverse: true``
    reverses the item in every scale (value' = min + max − value); ``component`` ties an
    item of a fidelity checklist to an intervention component.
``subscales``
    ``name: {label, items: [keys]}`` (a bare list of keys is accepted too).
``scoring``
    ``mean`` (mean of answered items) or ``sum`` (prorated: mean of answered items ×
    number of items, so a missing answer does not pull the sum down).
``total``
    ``false``, or ``{name, label, of: items | subscales, reverse: [keys]}``: a scale over all
    items, or the mean (``sum`` scoring: the sum) of the subscale scores. Its ``reverse``
    list reverses items for the total only (EBPAS divergence).
``min_answered``
    Share of a scale's items that must be answered for it to be scored (default 0.75,
    inclusive: 3 of 4 is enough). ``allow_fractional: true`` accepts non-whole answers,
    ``certification_level`` is the cut-off of a competence rating.

Examples
--------
>>> import pandas as pd
>>> from implementere_kit.measures.instruments import load_instrument, score_instrument
>>> aim = load_instrument("aim")
>>> aim.items, aim.min, aim.max
(['aim_1', 'aim_2', 'aim_3', 'aim_4'], 1, 5)
>>> answers = pd.DataFrame({"respondent_id": ["a", "b"], "aim_1": [4, 5], "aim_2": [4, 5],
...                         "aim_3": [5, None], "aim_4": [3, 5]})
>>> score_instrument(answers, aim)
  respondent_id  acceptability  n_answered
0             a            4.0           4
1             b            5.0           3

References
----------
.. [1] Weiner BJ et al. Psychometric assessment of three newly developed implementation
   outcome measures. Implementation Science 2017;12:108 (AIM, IAM, FIM).
.. [2] Shea CM et al. Organizational readiness for implementing change: a psychometric
   assessment of a new measure. Implementation Science 2014;9:7 (ORIC).
.. [3] Aarons GA, Ehrhart MG, Farahnak LR. The Implementation Leadership Scale (ILS).
   Implementation Science 2014;9:45.
.. [4] Ehrhart MG, Aarons GA, Farahnak LR. The Implementation Climate Scale (ICS).
   Implementation Science 2014;9:157.
.. [5] Aarons GA. The Evidence-Based Practice Attitude Scale (EBPAS). Mental Health
   Services Research 2004;6:61-74.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._data import LANGS, list_data, load_yaml, package_file
from ..errors import Problem, UnknownNameError, ValidationError, safe_value
from ..store.tables import row_problems, validate_table
from ._instrument_spec import _freeze, _parse_definition

__all__ = [
    "Instrument",
    "load_instrument",
    "list_instruments",
    "score_instrument",
    "responses_from_long",
]

_FOLDER = "measures/instrument_data"
#: Columns of ``survey_responses`` kept as id columns in the wide shape.
_LONG_IDS = ["respondent_id", "site", "wave"]


@dataclass(frozen=True, eq=False)
class Instrument:
    """A survey, fidelity checklist or competence rating, as defined in its YAML file.

    Build one with :func:`load_instrument` (or :meth:`from_dict`). The accessors return
    fresh lists and dicts, so changing them never changes a (cached) instrument.
    """

    id: str
    name: str
    source: str = field(repr=False)
    min: float
    max: float
    scoring: str = "mean"
    min_answered: float = 0.75
    allow_fractional: bool = False
    certification_level: float | None = None
    kind: str = "survey"
    notes: str = field(default="", repr=False)
    file: str | None = field(default=None, repr=False)
    _spec: Mapping = field(default_factory=lambda: _freeze({}), repr=False)

    @classmethod
    def from_dict(cls, data: Mapping, *, file: str | None = None) -> Instrument:
        """Check a parsed definition and build the instrument.

        Raises
        ------
        ValidationError
            Listing every problem in the definition, each naming the file and the key
            (``subscales.openness.items``, ``response.min``, …).
        """
        d = _parse_definition(data, file)
        return cls(**{k: v for k, v in d.items() if k != "spec"}, file=file,
                   _spec=_freeze(d["spec"]))

    def label(self, lang: str = "nb") -> str:
        """The instrument's title in ``lang`` (``nb``, ``da`` or ``en``)."""
        return self._spec["labels"][_lang(lang)]

    @property
    def items(self) -> list[str]:
        """Item keys in questionnaire order."""
        return list(self._spec["items"])

    def item_labels(self, lang: str = "nb") -> dict[str, str]:
        """``{item key: short label}`` in ``lang``, in questionnaire order."""
        lang = _lang(lang)
        return {k: self._spec["item_labels"][k][lang] for k in self._spec["items"]}

    @property
    def subscales(self) -> dict[str, list[str]]:
        """``{subscale name: item keys}`` in definition order."""
        return {k: list(v) for k, v in self._spec["subscales"].items()}

    @property
    def reverse(self) -> set[str]:
        """Items reversed in every scale (``reverse: true`` on the item)."""
        return set(self._spec["reverse"])

    @property
    def total_name(self) -> str | None:
        """Name of the total scale, or ``None`` when only subscales are reported."""
        total = self._spec["total"]
        return None if total is None else total["name"]

    @property
    def total_reverse(self) -> set[str]:
        """Items reversed in the total only (e.g. the EBPAS divergence items)."""
        total = self._spec["total"]
        return set() if total is None else set(total["reverse"])

    @property
    def scales(self) -> dict[str, list[str]]:
        """Every scale scored, in output order: the subscales, then the total if any."""
        out = self.subscales
        if self.total_name is not None:
            out[self.total_name] = self.items
        return out

    def scale_label(self, scale: str, lang: str = "nb") -> str:
        """Label of a subscale or of the total in ``lang``."""
        lang = _lang(lang)
        if scale in self._spec["subscale_labels"]:
            return self._spec["subscale_labels"][scale][lang]
        if scale == self.total_name:
            return self._spec["total"]["label"][lang]
        raise UnknownNameError("scale", scale, self.scales)

    @property
    def components(self) -> dict[str, str]:
        """``{item key: component id}`` for fidelity checklists; empty otherwise."""
        return dict(self._spec["components"])

    @property
    def codes(self) -> dict[str, float | None]:
        """Text answers accepted for this instrument and their values (``None`` = n/a)."""
        return dict(self._spec["codes"])

    def response_labels(self, lang: str = "nb") -> dict[float, str]:
        """``{answer value: label}`` in ``lang`` for the values that have one."""
        lang = _lang(lang)
        return {v: lab[lang] for v, lab in self._spec["response_labels"].items()}


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise UnknownNameError("language", lang, LANGS)
    return lang


# -- loading -----------------------------------------------------------------------------
def list_instruments() -> list[str]:
    """Ids of the instrument definitions shipped with the package.

    Examples
    --------
    >>> "ebpas" in list_instruments()
    True
    """
    return list_data(_FOLDER)


@lru_cache(maxsize=64)
def _load_shipped(name: str) -> Instrument:
    path = package_file(_FOLDER, f"{name}.yaml")
    return Instrument.from_dict(load_yaml(path), file=f"{name}.yaml")


def load_instrument(name_or_path: str | Path | Instrument) -> Instrument:
    """Load a shipped instrument by id (``"ebpas"``) or a YAML definition by file path.

    Raises
    ------
    UnknownNameError
        For a name that is neither a shipped instrument nor a ``.yaml``/``.yml`` path.
    ValidationError
        For a missing file or a malformed definition (every problem, with its key).

    Examples
    --------
    >>> ebpas = load_instrument("ebpas")
    >>> ebpas.subscales["divergence"], sorted(ebpas.total_reverse) == ebpas.subscales["divergence"]
    (['ebpas_3', 'ebpas_5', 'ebpas_6', 'ebpas_7'], True)
    """
    if isinstance(name_or_path, Instrument):
        return name_or_path
    path = Path(name_or_path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        name = str(name_or_path)
        if name not in list_instruments():
            raise UnknownNameError("instrument", name, list_instruments())
        return _load_shipped(name)
    if not path.is_file():
        raise ValidationError([Problem("instrument file not found", file=str(path),
                                       expected="an existing .yaml file")])
    return Instrument.from_dict(load_yaml(path), file=str(path))


# -- scoring -----------------------------------------------------------------------------
def _parse_answers(raw: pd.Series, inst: Instrument, column: str, problems: list[Problem],
                   resource: str, only: pd.Series | None = None) -> pd.Series:
    """Turn one column of answers into floats (NaN = not answered), listing bad rows
    (only those where ``only`` holds, when given)."""
    raw = raw.reset_index(drop=True)
    text = raw.astype("string").str.strip()
    blank = raw.isna() | (text == "")
    if inst._spec["codes"]:
        low = text.str.lower()
        is_code = low.isin(list(inst._spec["codes"])).fillna(False).astype(bool)
        coded = low.map(dict(inst._spec["codes"])).astype("float64")
    else:
        is_code = pd.Series(False, index=raw.index)
        coded = pd.Series(np.nan, index=raw.index)
    if pd.api.types.is_bool_dtype(raw):
        num = pd.Series(np.nan, index=raw.index)  # True/False is not an answer on a scale
    elif pd.api.types.is_numeric_dtype(raw):
        num = raw.astype("float64")
    else:
        num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        num = num.astype("float64")
    num = num.where(~is_code, coded)
    not_number = num.isna() & ~blank & ~is_code
    fractional = (num.notna() & ~is_code & (num != np.round(num))
                  if not inst.allow_fractional else pd.Series(False, index=raw.index))
    outside = num.notna() & ((num < inst.min) | (num > inst.max))
    whole = "a number" if inst.allow_fractional else "a whole number"
    expected = f"{whole} from {inst.min:g} to {inst.max:g}"
    if inst._spec["codes"]:
        expected += " or one of " + ", ".join(inst._spec["codes"])
    for mask, message in ((not_number, "not a number"), (fractional, "not a whole number"),
                          (outside, "answer outside the response scale")):
        shown = mask if only is None else mask & only.to_numpy(dtype=bool, na_value=False)
        problems += row_problems(shown, raw, message=message, column=column,
                                 expected=expected, resource=resource)
    return num.where(~(not_number | fractional | outside))


def _scale_score(values: pd.DataFrame, keys: list[str], inst: Instrument, reverse: set[str],
                 threshold: float) -> pd.Series:
    v = values[keys].copy()
    flip = [k for k in keys if k in reverse]
    if flip:
        v[flip] = inst.min + inst.max - v[flip]
    n = v.notna().sum(axis=1)
    # A tiny tolerance keeps 0.75 × 4 = 3.0000000001 from demanding a fourth answer.
    needed = math.ceil(threshold * len(keys) - 1e-9)
    mean = v.mean(axis=1, skipna=True)
    score = mean if inst.scoring == "mean" else mean * len(keys)
    return score.where(n >= max(needed, 1))


def score_instrument(responses: pd.DataFrame, instrument: str | Instrument, *,
                     min_answered: float | None = None) -> pd.DataFrame:
    """Score every respondent on every scale of an instrument.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item key; any other columns (respondent
        id, site, wave, …) are kept, in front of the scores.
    instrument : str or Instrument
        A shipped instrument id, a YAML path or an :class:`Instrument`.
    min_answered : float, optional
        Override the instrument's share of items needed to score a scale (0 < x ≤ 1).

    Returns
    -------
    DataFrame
        The id columns, one column per scale (:attr:`Instrument.scales`) and
        ``n_answered`` (items answered out of all items). Reverse-scored items are
        flipped first (value' = min + max − value); a scale with too few answers is NaN.

    Raises
    ------
    ValidationError
        Missing item columns, or answers that are not numbers, not whole (unless the
        instrument allows fractions) or outside the scale — every offending row (1-based)
        and item at once. Nothing is coerced silently.

    Examples
    --------
    >>> import pandas as pd
    >>> ans = pd.DataFrame({"id": [1], **{f"ebpas_{i}": [4] for i in range(1, 16)}})
    >>> score_instrument(ans, "ebpas").round(3)  # divergence reversed in the total only
       id  requirements  appeal  openness  divergence  total  n_answered
    0   1           4.0     4.0       4.0         4.0  2.933          15
    """
    inst = load_instrument(instrument)
    if not isinstance(responses, pd.DataFrame):
        raise ValidationError([Problem("responses must be a table", resource=inst.id,
                                       expected="a pandas DataFrame",
                                       found=type(responses).__name__)])
    threshold = inst.min_answered if min_answered is None else min_answered
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not 0 < threshold <= 1:
        raise ValidationError([Problem("min_answered must be a share of items",
                                       column="min_answered", expected="0 < min_answered ≤ 1",
                                       found=safe_value(threshold))])
    problems: list[Problem] = []
    dup = responses.columns[responses.columns.duplicated()].unique()
    problems += [Problem("column appears more than once", resource=inst.id, column=str(c),
                         expected="unique column names") for c in dup]
    problems += [Problem("item column missing", resource=inst.id, column=k,
                         expected=f"one column per item of {inst.id}: {', '.join(inst.items)}")
                 for k in inst.items if k not in responses.columns]
    if problems:
        raise ValidationError(problems)
    values = pd.DataFrame({k: _parse_answers(responses[k], inst, k, problems, inst.id)
                           for k in inst.items})
    if problems:
        raise ValidationError(problems)
    ids = [c for c in responses.columns if c not in set(inst.items)]
    clash = [s for s in [*inst.scales, "n_answered"] if s in ids]
    if clash:
        raise ValidationError([Problem("column has the name of a score", resource=inst.id,
                                       column=str(c), expected="rename or drop it")
                               for c in clash])
    out = responses[ids].reset_index(drop=True).copy()
    for name, keys in inst.subscales.items():
        out[name] = _scale_score(values, keys, inst, inst.reverse, threshold)
    if inst._spec["total"] is not None:
        rev = inst.reverse | inst.total_reverse
        if inst._spec["total"]["of"] == "items":
            total = _scale_score(values, inst.items, inst, rev, threshold)
        else:
            parts = pd.DataFrame({n: _scale_score(values, k, inst, rev, threshold)
                                  for n, k in inst.subscales.items()})
            # Every subscale must be scored: a total of some subscales means something else.
            agg = parts.mean(axis=1) if inst.scoring == "mean" else parts.sum(axis=1)
            total = agg.where(parts.notna().all(axis=1))
        out[inst._spec["total"]["name"]] = total
    out["n_answered"] = values.notna().sum(axis=1).astype("int64")
    return out


def responses_from_long(df: pd.DataFrame, instrument: str | Instrument) -> pd.DataFrame:
    """Reshape ``survey_responses`` rows of one instrument into one row per respondent.

    The long table (``respondent_id, site, instrument, wave, item, value``; see
    ``schemas/tables.yaml``) is validated first; rows of other instruments are ignored.
    The result has ``respondent_id, site, wave`` and one column per item in questionnaire
    order (NaN where an item was not answered), ready for :func:`score_instrument`.

    Raises
    ------
    ValidationError
        If the table breaks its schema, or rows of this instrument name unknown items or
        hold answers outside the scale (rows numbered as in the long table).

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"respondent_id": ["p1"] * 4, "site": ["9901"] * 4,
    ...                      "instrument": ["fim"] * 4, "wave": [1] * 4,
    ...                      "item": ["fim_1", "fim_2", "fim_3", "fim_4"], "value": [4, 4, 5, 3]})
    >>> wide = responses_from_long(long, "fim")
    >>> list(wide.columns)
    ['respondent_id', 'site', 'wave', 'fim_1', 'fim_2', 'fim_3', 'fim_4']
    >>> score_instrument(wide, "fim")["feasibility"].tolist()
    [4.0]
    """
    inst = load_instrument(instrument)
    table = validate_table(df, "survey_responses")
    mine = table["instrument"] == inst.id
    problems = row_problems(mine & ~table["item"].isin(inst.items), table["item"],
                            message="item not in the instrument", column="item",
                            expected=f"an item of {inst.id}", resource="survey_responses")
    _parse_answers(table["value"], inst, "value", problems, "survey_responses", only=mine)
    if problems:
        raise ValidationError(problems)
    rows = table.loc[mine & table["item"].isin(inst.items)]
    wide = rows.pivot(index=_LONG_IDS, columns="item", values="value")
    wide = wide.reindex(columns=inst.items).astype("float64").reset_index()
    wide.columns.name = None
    return wide
