"""Survey, fidelity and competence instruments defined as data, and their scoring.

Each instrument is a YAML file in ``implementere_kit/instrument_data/`` (or any YAML file
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
>>> from implementere_kit.instruments import load_instrument, score_instrument
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
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._data import LANGS, list_data, load_yaml, package_file
from .errors import Problem, UnknownNameError, ValidationError, safe_value

__all__ = [
    "Instrument",
    "load_instrument",
    "list_instruments",
    "score_instrument",
    "responses_from_long",
]

_FOLDER = "instrument_data"
#: Columns of ``survey_responses`` kept as id columns in the wide shape.
_LONG_IDS = ["respondent_id", "site", "wave"]
_KNOWN_KEYS = ("id", "name", "kind", "label", "source", "response", "items", "subscales",
               "scoring", "total", "min_answered", "allow_fractional", "certification_level",
               "notes")
_KINDS = ("survey", "fidelity", "competence")


def _freeze(x):
    """Deep read-only copy, so a cached instrument cannot be changed through its parts."""
    if isinstance(x, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, list | tuple):
        return tuple(_freeze(v) for v in x)
    return x


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class _Checker:
    """Collects every problem of one definition before raising."""

    def __init__(self, file: str | None):
        self.file, self.problems = file, []

    def add(self, message: str, key: str, expected: str | None = None, found=None) -> None:
        self.problems.append(Problem(message, file=self.file, resource="instrument",
                                     column=key, expected=expected,
                                     found=None if found is None else safe_value(found)))

    def text(self, value, key: str, required: bool = True) -> str:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if required or value is not None:
            self.add("missing or empty text" if value is None else "not text", key,
                     "non-empty text", None if value is None else value)
        return ""

    def labels(self, raw, key: str, default: str | None = None) -> dict[str, str]:
        if raw is None and default is not None:
            return dict.fromkeys(LANGS, default)
        if isinstance(raw, str) and raw.strip():
            return dict.fromkeys(LANGS, raw.strip())
        if not isinstance(raw, Mapping):
            self.add("missing labels" if raw is None else "labels are not a mapping", key,
                     "a mapping nb/da/en → text", None if raw is None else type(raw).__name__)
            return dict.fromkeys(LANGS, "")
        for lang in LANGS:
            if not (isinstance(raw.get(lang), str) and raw[lang].strip()):
                self.add(f"label lacks language {lang!r}", f"{key}.{lang}", "non-empty text")
        # An extra key is usually half a label cut at a comma in a YAML {nb: …} mapping.
        for extra in sorted(set(map(str, raw)) - set(LANGS)):
            self.add("unexpected key in labels (quote text holding commas)",
                     f"{key}.{extra}", "only nb, da and en")
        return {lang: str(raw.get(lang) or "").strip() for lang in LANGS}


def _mapping(c: _Checker, raw, key: str) -> Mapping:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        c.add("not a mapping", key, "a mapping", type(raw).__name__)
        return {}
    return raw


def _parse_definition(data, file: str | None) -> dict:
    """Check a parsed YAML definition; return plain data or raise listing every problem."""
    if not isinstance(data, Mapping):
        raise ValidationError([Problem("instrument definition is not a mapping", file=file,
                                       resource="instrument", expected="a YAML mapping",
                                       found=type(data).__name__)])
    c = _Checker(file)
    for k in sorted(set(map(str, data)) - set(_KNOWN_KEYS)):
        c.add("unknown key", k, "one of " + ", ".join(_KNOWN_KEYS))
    out = {"id": c.text(data.get("id"), "id"), "name": c.text(data.get("name"), "name"),
           "source": c.text(data.get("source"), "source"),
           "notes": c.text(data.get("notes"), "notes", required=False),
           "labels": c.labels(data.get("label"), "label")}
    # response scale
    resp = data.get("response")
    if not isinstance(resp, Mapping):
        c.add("missing response scale", "response", "a mapping with min and max", resp)
        resp = {}
    lo, hi = resp.get("min"), resp.get("max")
    for k, v in (("min", lo), ("max", hi)):
        if not _number(v):
            c.add("not a number", f"response.{k}", "a number", v)
    scale_ok = _number(lo) and _number(hi) and lo < hi
    if _number(lo) and _number(hi) and not lo < hi:
        c.add("min must be below max", "response.min", f"< {hi}", lo)
    codes, resp_labels = {}, {}
    raw_codes = _mapping(c, resp.get("codes"), "response.codes")
    raw_labels = _mapping(c, resp.get("labels"), "response.labels")
    for code, value in raw_codes.items():
        if not isinstance(code, str):  # YAML 1.1 reads bare yes/no as booleans
            c.add("code is not text (quote yes/no in YAML)", f"response.codes.{code}",
                  "quoted text", code)
        elif value is not None and not (_number(value) and scale_ok and lo <= value <= hi):
            c.add("code value outside the response scale", f"response.codes.{code}",
                  f"a number from {lo} to {hi}, or null", value)
        else:
            codes[code.strip().lower()] = None if value is None else float(value)
    for value, lab in raw_labels.items():
        if not (_number(value) and scale_ok and lo <= value <= hi):
            c.add("label for a value outside the response scale", f"response.labels.{value}",
                  f"a value from {lo} to {hi}", value)
        resp_labels[value] = c.labels(lab, f"response.labels.{value}")
    # items
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        c.add("missing items", "items", "a non-empty list of items", raw_items)
        raw_items = []
    keys, item_labels, reverse, components = [], {}, [], {}
    for i, it in enumerate(raw_items):
        where = f"items[{i}]"
        if not isinstance(it, Mapping):
            c.add("item is not a mapping", where, "{key, label, reverse}", it)
            continue
        for k in sorted(set(map(str, it)) - {"key", "label", "reverse", "component"}):
            c.add("unknown key", f"{where}.{k}", "key, label, reverse, component")
        key = c.text(it.get("key"), f"{where}.key")
        if key in keys:
            c.add("duplicate item key", f"{where}.key", "unique keys", key)
        if not key or key in keys:
            continue
        keys.append(key)
        item_labels[key] = c.labels(it.get("label"), f"{where}.label")
        if not isinstance(it.get("reverse", False), bool):
            c.add("reverse must be true or false", f"{where}.reverse", "true or false",
                  it["reverse"])
        elif it.get("reverse"):
            reverse.append(key)
        if it.get("component") is not None:
            components[key] = c.text(it["component"], f"{where}.component")

    def item_list(raw, where: str) -> list[str]:
        if not isinstance(raw, list) or not raw:
            c.add("missing item list", where, "a non-empty list of item keys", raw)
            return []
        for k in raw:
            if k not in keys:
                c.add("names an item that does not exist", where,
                      "an item key of this instrument", k)
        if len(set(map(str, raw))) < len(raw):
            c.add("item listed twice", where, "each item once")
        listed = [k for k in raw if isinstance(k, str) and k in keys]
        return list(dict.fromkeys(listed))  # each item once, in the order listed

    # subscales
    raw_subs = _mapping(c, data.get("subscales"), "subscales")
    subscales, sub_labels = {}, {}
    for name, spec in raw_subs.items():
        where = f"subscales.{name}"
        if not isinstance(name, str) or name in keys or name == "n_answered":
            c.add("subscale name clashes with an item or is not text", where,
                  "a new name", name)
            continue
        spec = {"items": spec} if isinstance(spec, list) else spec
        if not isinstance(spec, Mapping):
            c.add("subscale is not a mapping", where, "{label, items}", spec)
            continue
        subscales[name] = item_list(spec.get("items"), f"{where}.items")
        sub_labels[name] = c.labels(spec.get("label"), f"{where}.label", default=name)
    # scoring, total, thresholds
    scoring = data.get("scoring")
    if scoring not in ("mean", "sum"):
        c.add("unknown scoring", "scoring", "mean or sum", scoring)
    raw_total = data.get("total", False)
    total = None
    if raw_total is True or isinstance(raw_total, str):
        raw_total = {"name": "total" if raw_total is True else raw_total}
    if isinstance(raw_total, Mapping):
        for k in sorted(set(map(str, raw_total)) - {"name", "of", "reverse", "label"}):
            c.add("unknown key", f"total.{k}", "name, of, reverse, label")
        name = raw_total.get("name", "total")
        if not isinstance(name, str) or name in subscales or name in keys \
                or name == "n_answered":
            c.add("total name clashes with a subscale or item, or is not text", "total.name",
                  "a new name", name)
        of = raw_total.get("of", "items")
        if of not in ("items", "subscales") or (of == "subscales" and not raw_subs):
            c.add("total must be of items or of (existing) subscales", "total.of",
                  "items or subscales", of)
        rev = item_list(raw_total["reverse"], "total.reverse") if raw_total.get("reverse") else []
        total = {"name": str(name), "of": of, "reverse": rev,
                 "label": c.labels(raw_total.get("label"), "total.label", default=str(name))}
    elif raw_total not in (False, None):
        c.add("total must be false, true, a name or a mapping", "total", "{name, of, reverse}",
              raw_total)
    if not raw_subs and total is None:
        c.add("defines no scale to score", "subscales", "subscales or a total")
    min_answered = data.get("min_answered", 0.75)
    if not (_number(min_answered) and 0 < min_answered <= 1):
        c.add("min_answered must be a share of items", "min_answered", "0 < x ≤ 1",
              min_answered)
    fractional = data.get("allow_fractional", False)
    if not isinstance(fractional, bool):
        c.add("allow_fractional must be true or false", "allow_fractional", "true or false",
              fractional)
    cert = data.get("certification_level")
    if cert is not None and not (_number(cert) and scale_ok and lo <= cert <= hi):
        c.add("certification level outside the response scale", "certification_level",
              f"a number from {lo} to {hi}", cert)
    kind = data.get("kind", "survey")
    if kind not in _KINDS:
        c.add("unknown kind", "kind", ", ".join(_KINDS), kind)
    if c.problems:
        raise ValidationError(c.problems)
    labels = out.pop("labels")
    return {**out, "min": lo, "max": hi, "scoring": scoring, "min_answered": min_answered,
            "allow_fractional": fractional, "certification_level": cert, "kind": kind,
            "spec": {"labels": labels, "items": keys, "item_labels": item_labels,
                     "reverse": reverse, "components": components, "subscales": subscales,
                     "subscale_labels": sub_labels, "total": total, "codes": codes,
                     "response_labels": resp_labels}}


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
                   resource: str) -> pd.Series:
    """Turn one column of answers into floats (NaN = not answered), listing bad rows."""
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
        for pos in np.flatnonzero(mask.to_numpy(dtype=bool)):
            problems.append(Problem(message, resource=resource, row=int(pos) + 1,
                                    column=column, expected=expected,
                                    found=safe_value(raw.iloc[pos])))
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
    >>> long = pd.DataFrame({"respondent_id": ["p1"] * 4, "site": ["0301"] * 4,
    ...                      "instrument": ["fim"] * 4, "wave": [1] * 4,
    ...                      "item": ["fim_1", "fim_2", "fim_3", "fim_4"], "value": [4, 4, 5, 3]})
    >>> wide = responses_from_long(long, "fim")
    >>> list(wide.columns)
    ['respondent_id', 'site', 'wave', 'fim_1', 'fim_2', 'fim_3', 'fim_4']
    >>> score_instrument(wide, "fim")["feasibility"].tolist()
    [4.0]
    """
    from .tables import validate_table

    inst = load_instrument(instrument)
    table = validate_table(df, "survey_responses")
    mine = table["instrument"] == inst.id
    problems: list[Problem] = []
    unknown = mine & ~table["item"].isin(inst.items)
    for pos in np.flatnonzero(unknown.to_numpy(dtype=bool)):
        problems.append(Problem("item not in the instrument", resource="survey_responses",
                                row=int(pos) + 1, column="item",
                                expected=f"an item of {inst.id}",
                                found=safe_value(table["item"].iloc[pos])))
    parse_problems: list[Problem] = []
    _parse_answers(table["value"], inst, "value", parse_problems, "survey_responses")
    problems += [p for p in parse_problems if mine.iloc[p.row - 1]]
    if problems:
        raise ValidationError(problems)
    rows = table.loc[mine & table["item"].isin(inst.items)]
    wide = rows.pivot(index=_LONG_IDS, columns="item", values="value")
    wide = wide.reindex(columns=inst.items).astype("float64").reset_index()
    wide.columns.name = None
    return wide
