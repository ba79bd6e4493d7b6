"""Checking instrument definitions (private; see :mod:`implementere_kit.measures.instruments`).

:func:`_parse_definition` checks a parsed YAML definition with the one definition checker
(``definition_schemas/instrument.yaml``, :mod:`implementere_kit._definitions`), adds what a
schema cannot say — items named by subscales exist, codes and levels lie on the answer scale,
names do not clash — and turns it into plain data for
:class:`~implementere_kit.measures.instruments.Instrument`. Every problem is reported in one
:class:`~implementere_kit.errors.ValidationError`, each with the file and the key path
(``items[2].label.da``, ``response.min``, …).

Examples
--------
>>> from implementere_kit.errors import ValidationError
>>> try:
...     _parse_definition({"id": "x", "response": {"min": 5, "max": 1}}, "x.yaml")
... except ValidationError as e:
...     print(sorted(p.column for p in e.problems))
['items', 'label', 'name', 'response.min', 'scoring', 'source', 'subscales']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from .._definitions import check, labels
from ..errors import Problem, safe_value


def _freeze(x):
    """Deep read-only copy, so a cached instrument cannot be changed through its parts."""
    if isinstance(x, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, list | tuple):
        return tuple(_freeze(v) for v in x)
    return x


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _map(x) -> Mapping:
    return x if isinstance(x, Mapping) else {}


def _subscale_items(spec) -> list:
    return spec if isinstance(spec, list) else _map(spec).get("items", [])


def _cross(data: Mapping, file: str | None) -> list[Problem]:
    """What the schema cannot say. Runs on faulty definitions too, so one pass reports all."""
    out: list[Problem] = []

    def add(message, key, expected=None, found=None):
        out.append(Problem(message, file=file, resource="instrument", column=key,
                           expected=expected, found=None if found is None else safe_value(found)))

    resp = _map(data.get("response"))
    lo, hi = resp.get("min"), resp.get("max")
    scale_ok = _number(lo) and _number(hi) and lo < hi
    if _number(lo) and _number(hi) and not lo < hi:
        add("min must be below max", "response.min", f"< {hi}", lo)
    if scale_ok:
        for code, value in _map(resp.get("codes")).items():
            if _number(value) and not lo <= value <= hi:
                add("code value outside the response scale", f"response.codes.{code}",
                    f"a number from {lo} to {hi}, or null", value)
        for value in _map(resp.get("labels")):
            if not (_number(value) and lo <= value <= hi):
                add("label for a value outside the response scale",
                    f"response.labels.{value}", f"a value from {lo} to {hi}", value)
    keys: list[str] = []
    for i, it in enumerate(data.get("items") if isinstance(data.get("items"), list) else []):
        key = _map(it).get("key")
        if isinstance(key, str) and key in keys:
            add("duplicate item key", f"items[{i}].key", "unique keys", key)
        elif isinstance(key, str):
            keys.append(key)

    def item_list(raw, where: str) -> None:
        raw = raw if isinstance(raw, list) else []
        for k in raw:
            if k not in keys:
                add("names an item that does not exist", where, "an item key of this instrument",
                    k if isinstance(k, str) else type(k).__name__)
        if len(set(map(str, raw))) < len(raw):
            add("item listed twice", where, "each item once")

    subs = _map(data.get("subscales"))
    for name, spec in subs.items():
        if name in keys or name == "n_answered":
            add("subscale name clashes with an item", f"subscales.{name}", "a new name", name)
        item_list(_subscale_items(spec), f"subscales.{name}.items")
    total = data.get("total", False)
    if total is True or isinstance(total, str):
        total = {"name": "total" if total is True else total}
    if isinstance(total, Mapping):
        name = total.get("name", "total")
        if name in subs or name in keys or name == "n_answered":
            add("total name clashes with a subscale or item", "total.name", "a new name", name)
        if total.get("of") == "subscales" and not subs:
            add("total of subscales, but there are none", "total.of", "items", "subscales")
        if total.get("reverse"):
            item_list(total["reverse"], "total.reverse")
    elif not subs:
        add("defines no scale to score", "subscales", "subscales or a total")
    cert = data.get("certification_level")
    if _number(cert) and scale_ok and not lo <= cert <= hi:
        add("certification level outside the response scale", "certification_level",
            f"a number from {lo} to {hi}", cert)
    return out


def _build(data: Mapping) -> dict:
    """Plain data for :class:`Instrument` from a checked definition."""
    resp = data["response"]
    keys = [it["key"] for it in data["items"]]
    subs = {n: list(dict.fromkeys(_subscale_items(s))) for n, s in
            _map(data.get("subscales")).items()}
    sub_labels = {n: labels(_map(s).get("label", n)) for n, s in
                  _map(data.get("subscales")).items()}
    total = data.get("total", False)
    if total is True or isinstance(total, str):
        total = {"name": "total" if total is True else total}
    if isinstance(total, Mapping):
        name = str(total.get("name", "total"))
        total = {"name": name, "of": total.get("of", "items"),
                 "reverse": list(dict.fromkeys(total.get("reverse") or [])),
                 "label": labels(total.get("label", name))}
    else:
        total = None
    spec = {"labels": labels(data["label"]), "items": keys,
            "item_labels": {it["key"]: labels(it["label"]) for it in data["items"]},
            "reverse": [it["key"] for it in data["items"] if it.get("reverse")],
            "components": {it["key"]: it["component"] for it in data["items"]
                           if it.get("component") is not None},
            "subscales": subs, "subscale_labels": sub_labels, "total": total,
            "codes": {c.strip().lower(): None if v is None else float(v)
                      for c, v in _map(resp.get("codes")).items()},
            "response_labels": {v: labels(lab) for v, lab in _map(resp.get("labels")).items()}}
    return {"id": data["id"].strip(), "name": data["name"].strip(),
            "source": data["source"].strip(), "notes": str(data.get("notes", "")).strip(),
            "min": resp["min"], "max": resp["max"], "scoring": data["scoring"],
            "min_answered": data.get("min_answered", 0.75),
            "allow_fractional": data.get("allow_fractional", False),
            "certification_level": data.get("certification_level"),
            "kind": data.get("kind", "survey"), "spec": spec}


def _parse_definition(data, file: str | None) -> dict:
    """Check a parsed YAML definition; return plain data or raise listing every problem."""
    check(data, "instrument", file=file, more=lambda d: _cross(d, file))
    return _build(data)
