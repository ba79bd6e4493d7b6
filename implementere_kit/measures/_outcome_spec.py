"""Checking of outcome instrument definitions (private; see
:mod:`implementere_kit.measures.family_outcomes`).

A definition (``measures/outcome_data/<id>.yaml``, or a file of one's own made from
``_template.yaml``) holds item *numbers*, never item wording, the scoring rule and, per
scale, its range, direction, reliability with its source and optionally its link to a
result box of an intervention's theory of change. :func:`parse_outcome_definition`
reports every problem of a definition at once, each naming the file and the key.

Examples
--------
>>> from implementere_kit.errors import ValidationError
>>> try:
...     parse_outcome_definition({"id": "x", "items": 0}, "x.yaml")
... except ValidationError as e:
...     print(sorted({p.column for p in e.problems})[:3])
['items', 'key_prefix', 'label']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._data import LANGS
from ..errors import Problem, ValidationError, safe_value

__all__ = ["OutcomeScale", "parse_outcome_definition", "TOC_RESULT_ID"]

_KEYS = ("id", "name", "label", "informants", "source", "terms", "response", "items",
         "key_prefix", "reverse", "scoring", "scales", "primary", "notes")
_SCALE_KEYS = ("label", "items", "of", "range", "higher_is_better", "reliability", "alpha",
               "sd", "toc")
_REL_KINDS = ("test_retest", "cronbach_alpha", "omega", "icc")
#: A result box of a theory of change: R1 is the first entry of ``results``.
TOC_RESULT_ID = re.compile(r"^R([1-9]\d*)$")


@dataclass(frozen=True)
class OutcomeScale:
    """One scale of an outcome instrument: its items (numbers) or the scales it sums."""

    name: str
    labels: Mapping[str, str]
    items: tuple[int, ...] = ()
    of: tuple[str, ...] = ()
    low: float = math.nan
    high: float = math.nan
    higher_is_better: bool = True
    reliability: float | None = None
    reliability_kind: str = ""
    reliability_source: str = ""
    alpha: float | None = None
    sd: float | None = None
    sd_source: str = ""
    toc: Mapping[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.name


def _num(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class _Check:
    def __init__(self, file):
        self.file, self.problems = file, []

    def add(self, message, key, expected=None, found=None):
        self.problems.append(Problem(message, file=self.file, resource="outcome instrument",
                                     column=key, expected=expected,
                                     found=None if found is None else safe_value(found)))

    def text(self, raw, key, required=True) -> str:
        if isinstance(raw, str) and raw.strip():
            return raw.strip()
        if required or raw is not None:
            self.add("missing or empty text", key, "non-empty text", raw)
        return ""

    def labels(self, raw, key) -> dict[str, str]:
        if not isinstance(raw, Mapping):
            self.add("labels are not a mapping", key, "nb, da and en texts", raw)
            return {}
        for lang in LANGS:
            if not (isinstance(raw.get(lang), str) and raw[lang].strip()):
                self.add(f"label lacks language {lang!r}", f"{key}.{lang}", "non-empty text")
        return {lang: str(raw.get(lang) or "").strip() for lang in LANGS}

    def share(self, raw, key, default) -> float:
        value = default if raw is None else raw
        if not (_num(value) and 0 < value <= 1):
            self.add("not a share", key, "0 < x ≤ 1", value)
            return default
        return float(value)


def _scale(c: _Check, name: str, raw, n_items: int) -> OutcomeScale | None:
    where = f"scales.{name}"
    if not isinstance(raw, Mapping):
        c.add("scale is not a mapping", where, "label, items or of, range, reliability", raw)
        return None
    for k in sorted(set(map(str, raw)) - set(_SCALE_KEYS)):
        c.add("unknown key", f"{where}.{k}", ", ".join(_SCALE_KEYS))
    items: tuple[int, ...] = ()
    of: tuple[str, ...] = ()
    if "items" in raw and "of" in raw:
        c.add("give items or of, not both", where, "one of them")
    if raw.get("items") == "all":
        items = tuple(range(1, n_items + 1))
    elif "items" in raw:
        ok = isinstance(raw["items"], list) and raw["items"] and all(
            isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= n_items
            for i in raw["items"])
        if not ok or len(set(raw["items"])) < len(raw["items"]):
            c.add("item numbers not understood", f"{where}.items",
                  f"'all' or distinct numbers 1–{n_items}", raw["items"])
        else:
            items = tuple(raw["items"])
    elif isinstance(raw.get("of"), list) and raw["of"]:
        of = tuple(str(s) for s in raw["of"])
    else:
        c.add("scale has no items", where, "items: [numbers] or of: [scales]")
    rng = raw.get("range")
    low = high = math.nan
    if isinstance(rng, list) and len(rng) == 2 and all(map(_num, rng)) and rng[0] < rng[1]:
        low, high = float(rng[0]), float(rng[1])
    else:
        c.add("range not understood", f"{where}.range", "[lowest, highest]", rng)
    hib = raw.get("higher_is_better")
    if not isinstance(hib, bool):
        c.add("direction missing", f"{where}.higher_is_better", "true or false", hib)
        hib = True
    rel = raw.get("reliability")
    value = kind = source = None
    if not isinstance(rel, Mapping):
        c.add("reliability missing", f"{where}.reliability", "{value, kind, source}", rel)
    else:
        value = rel.get("value")
        if not (_num(value) and 0 < value < 1):
            c.add("reliability not a coefficient", f"{where}.reliability.value", "0 < r < 1",
                  value)
            value = None
        kind = rel.get("kind")
        if kind not in _REL_KINDS:
            c.add("unknown reliability kind", f"{where}.reliability.kind", ", ".join(_REL_KINDS),
                  kind)
        source = c.text(rel.get("source"), f"{where}.reliability.source")
    alpha = raw.get("alpha")
    if alpha is not None and not (_num(alpha) and 0 < alpha < 1):
        c.add("alpha not a coefficient", f"{where}.alpha", "0 < α < 1", alpha)
        alpha = None
    sd = raw.get("sd")
    sd_value, sd_source = None, ""
    if sd is not None:
        if isinstance(sd, Mapping) and _num(sd.get("value")) and sd["value"] > 0:
            sd_value = float(sd["value"])
            sd_source = c.text(sd.get("source"), f"{where}.sd.source")
        else:
            c.add("sd not understood", f"{where}.sd", "{value: > 0, source}", sd)
    toc = raw.get("toc") or {}
    if not isinstance(toc, Mapping):
        c.add("toc is not a mapping", f"{where}.toc", "intervention id: R<n>", toc)
        toc = {}
    for iv, rid in toc.items():
        if not (isinstance(rid, str) and TOC_RESULT_ID.match(rid)):
            c.add("not a result id", f"{where}.toc.{iv}", "R1, R2, … (a result box)", rid)
    return OutcomeScale(name=name, labels=c.labels(raw.get("label"), f"{where}.label"),
                        items=items, of=of, low=low, high=high, higher_is_better=hib,
                        reliability=value, reliability_kind=kind or "",
                        reliability_source=source or "", alpha=alpha, sd=sd_value,
                        sd_source=sd_source, toc={str(k): str(v) for k, v in toc.items()})


def parse_outcome_definition(data, file: str | None) -> dict:
    """Check a parsed definition; return plain data or raise listing every problem."""
    if not isinstance(data, Mapping):
        raise ValidationError([Problem("outcome instrument is not a mapping", file=file,
                                       expected="a YAML mapping", found=type(data).__name__)])
    c = _Check(file)
    for k in sorted(set(map(str, data)) - set(_KEYS)):
        c.add("unknown key", k, ", ".join(_KEYS))
    out = {"id": c.text(data.get("id"), "id"), "name": c.text(data.get("name"), "name"),
           "source": c.text(data.get("source"), "source"),
           "terms": c.text(data.get("terms"), "terms"),
           "notes": c.text(data.get("notes"), "notes", required=False),
           "labels": c.labels(data.get("label"), "label")}
    if out["id"] and not re.fullmatch(r"[a-z][a-z0-9_]*", out["id"]):
        c.add("id must be lower-case letters, digits and _", "id", "e.g. my_outcome", out["id"])
    informants = data.get("informants") or []
    from ..store.tables import table_schema

    allowed = table_schema("outcome_scores").field("informant")["enum"]
    if not isinstance(informants, list) or any(i not in allowed for i in informants):
        c.add("unknown informant", "informants", ", ".join(allowed), informants)
        informants = []
    resp = data.get("response") if isinstance(data.get("response"), Mapping) else {}
    lo, hi = resp.get("min"), resp.get("max")
    if not (_num(lo) and _num(hi) and lo < hi):
        c.add("response scale not understood", "response", "{min, max} with min < max",
              data.get("response"))
        lo, hi = 0, 1
    n = data.get("items")
    if not (isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 500):
        c.add("items must be the number of items", "items", "a whole number 1–500", n)
        n = 0
    prefix = c.text(data.get("key_prefix"), "key_prefix")
    rev = data.get("reverse") or []
    if not (isinstance(rev, list) and all(isinstance(i, int) and 1 <= i <= n for i in rev)):
        c.add("reverse must list item numbers", "reverse", f"numbers 1–{n}", rev)
        rev = []
    sc = data.get("scoring") if isinstance(data.get("scoring"), Mapping) else {}
    method = sc.get("method")
    if method not in ("sum", "mean"):
        c.add("unknown scoring method", "scoring.method", "sum or mean", method)
    rounding = sc.get("round", False)
    if not isinstance(rounding, bool):
        c.add("round must be true or false", "scoring.round", "true or false", rounding)
    min_answered = c.share(sc.get("min_answered"), "scoring.min_answered", 0.75)
    raw_scales = data.get("scales")
    scales: dict[str, OutcomeScale] = {}
    if not isinstance(raw_scales, Mapping) or not raw_scales:
        c.add("no scales", "scales", "at least one scale")
        raw_scales = {}
    for name, raw in raw_scales.items():
        s = _scale(c, str(name), raw, n)
        if s is not None:
            scales[str(name)] = s
    for s in scales.values():
        for part in s.of:
            if part not in scales or scales[part].of:
                c.add("sums a scale that is not an item scale of this instrument",
                      f"scales.{s.name}.of", "names of scales with items", part)
    primary = data.get("primary")
    if primary not in scales:
        c.add("primary is not a scale", "primary", ", ".join(scales) or "a scale name", primary)
    if c.problems:
        raise ValidationError(c.problems)
    return {**out, "informants": tuple(informants), "min": float(lo), "max": float(hi),
            "n_items": n, "key_prefix": prefix, "reverse": frozenset(rev),
            "method": method, "round": rounding, "min_answered": min_answered,
            "scales": scales, "primary": primary}
