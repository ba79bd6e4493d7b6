"""Checking of instrument definitions (private; see :mod:`implementere_kit.measures.instruments`).

:func:`_parse_definition` turns a parsed YAML definition into plain data for
:class:`~implementere_kit.measures.instruments.Instrument`, or raises one
:class:`~implementere_kit.errors.ValidationError` listing every problem in the definition,
each with the file and the key path (``items[2].label.da``, ``response.min``, …). The format
itself is described in the docstring of :mod:`implementere_kit.measures.instruments`.

Examples
--------
>>> from implementere_kit.errors import ValidationError
>>> try:
...     _parse_definition({"id": "x", "response": {"min": 5, "max": 1}}, "x.yaml")
... except ValidationError as e:
...     print([p.column for p in e.problems])
['name', 'source', 'label', 'response.min', 'items', 'scoring', 'subscales']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from .._data import LANGS
from ..errors import Problem, ValidationError, safe_value

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
