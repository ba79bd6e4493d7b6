"""One checker for definition files: frameworks, interventions, instruments and their kin.

Every kind of definition has a JSON Schema, written as YAML, in ``definition_schemas/``;
``common.yaml`` holds what all kinds share, above all the one rule for labels: a mapping
with a non-empty text for each of ``nb``, ``da`` and ``en`` (or one plain text, taken as the
same in every language — for proper names such as "AIM"). :func:`problems` runs a schema with
jsonschema and turns each failure into our :class:`~implementere_kit.errors.Problem` (file,
key path, expected, found), so a definition typed by a person is reported in one pass.

What a schema cannot say — that a role named by an activity exists, that ids are unique —
each module checks after the schema with :func:`unique_ids` and :func:`unknown_refs`, which
report in the same form.

Key paths name list elements by their ``id`` where the list's elements have unique ids
(``core_elements.3.activities.ke3_plan.role``) and by position otherwise
(``items[1].key``), so the key in a message is the one a person can find in the file.

Examples
--------
>>> bad = {"id": "x", "label": {"nb": "X", "en": "X"}, "source": "ours", "phases": []}
>>> [(p.column, p.message) for p in problems(bad, "framework")]
[('label.da', 'missing key'), ('phases', 'empty list')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from ._data import LANGS, list_data, load_yaml, package_file
from .errors import Problem, ValidationError, safe_value

__all__ = ["problems", "check", "unique_ids", "unknown_refs", "labels", "texts"]

_FOLDER = "definition_schemas"
_BASE = "https://implementere-kit.invalid/definitions/"
_NOTHING = object()


@lru_cache(maxsize=1)
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resources(
        (f"{_BASE}{name}.yaml", Resource.from_contents(
            load_yaml(package_file(_FOLDER, f"{name}.yaml")), default_specification=DRAFT202012))
        for name in list_data(_FOLDER))


@lru_cache(maxsize=32)
def _validator(kind: str):
    from jsonschema import Draft202012Validator

    name, _, part = kind.partition("#")
    if name not in list_data(_FOLDER):
        raise ValueError(f"no definition schema {name!r}")
    ref = f"{_BASE}{name}.yaml" + (f"#/$defs/{part}" if part else "")
    return Draft202012Validator({"$ref": ref}, registry=_registry())


def _segment(container, key) -> str:
    """One step of a key path: ``.name`` for mappings, ``.id`` or ``[i]`` for lists."""
    if isinstance(container, list) and isinstance(key, int):
        item = container[key] if key < len(container) else None
        ident = item.get("id") if isinstance(item, Mapping) else None
        ids = [e.get("id") for e in container if isinstance(e, Mapping)]
        if isinstance(ident, str | int) and not isinstance(ident, bool) and ids.count(ident) == 1:
            return f".{ident}"
        return f"[{key}]"
    return f".{key}"


def _path(data, parts: Iterable, prefix: str = "") -> str:
    out, node = prefix, data
    for key in parts:
        out += _segment(node, key)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return out.lstrip(".")


def _type_name(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a text", bool: "true/false",
            int: "a whole number", float: "a number", type(None): "nothing"}.get(
        type(value), type(value).__name__)


def _allowed_keys(schema: Mapping) -> list[str]:
    """Keys an object schema allows: its own properties and those of a shared base it
    extends with ``$ref: common.yaml#/$defs/<name>``."""
    keys = list(schema.get("properties", {}))
    ref = str(schema.get("$ref", ""))
    if ref.startswith("common.yaml#/$defs/"):
        common = load_yaml(package_file(_FOLDER, "common.yaml"))["$defs"]
        keys += list(common.get(ref.rsplit("/", 1)[1], {}).get("properties", {}))
    return sorted(set(keys), key=keys.index)


def _convert(e, data, file, resource, prefix) -> list[Problem]:
    """Our Problem(s) for one jsonschema error."""
    where = _path(data, e.absolute_path, prefix)
    schema = e.schema if isinstance(e.schema, Mapping) else {}
    expected = schema.get("x-expected")

    def p(message, column=where, exp=expected, found=_NOTHING):
        message = schema.get("x-message", message)  # a schema may name the fault itself
        return Problem(message, file=file, resource=resource, column=column or "(top level)",
                       expected=exp, found=None if found is _NOTHING else safe_value(found))

    kind, inst = e.validator, e.instance
    if "propertyNames" in e.schema_path:  # a key itself is wrong (YAML made yes/no a boolean)
        return [p("key is not text (quote yes, no, on, off in YAML)",
                  _path(data, [*e.absolute_path, inst], prefix), "quoted text", inst)]
    if kind == "required":
        return [p("missing key", _path(data, [*e.absolute_path, k], prefix), None)
                for k in e.validator_value if isinstance(inst, Mapping) and k not in inst]
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = _allowed_keys(schema)
        is_labels = set(allowed) == set(LANGS)
        message = ("unknown language (quote a text that holds a comma)" if is_labels
                   else "unknown key")
        return [p(message, _path(data, [*e.absolute_path, k], prefix), ", ".join(allowed))
                for k in inst if k not in allowed]
    if kind == "enum":
        return [p("unknown value", exp=", ".join(map(str, e.validator_value)), found=inst)]
    if kind == "type":
        return [p("wrong kind of value", exp=expected or str(e.validator_value),
                  found=_type_name(inst))]
    if kind in ("pattern", "minLength"):
        return [p("empty text", exp=expected or "a text", found=inst)]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sign = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">",
                "exclusiveMaximum": "<"}[kind]
        return [p("out of range", exp=expected or f"{sign} {e.validator_value}", found=inst)]
    if kind == "minItems":
        return [p("empty list", exp=expected or "at least one entry")]
    if kind == "uniqueItems":
        return [p("listed twice", exp="each entry once")]
    if kind in ("oneOf", "anyOf"):
        # Report the branch meant for this kind of value (a mapping of languages for a
        # mapping), so the message names the missing language, not "no form matched".
        branches: dict = {}
        for sub in e.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [errs for errs in branches.values()
                   if not any(s.validator == "type" and not s.relative_path for s in errs)]
        if len(fitting) == 1:
            return [q for s in fitting[0] for q in _convert(s, data, file, resource, prefix)]
        return [p("not an accepted form", exp=expected, found=_type_name(inst))]
    return [p(f"does not satisfy {kind}")]


def problems(data, kind: str, *, file: str | None = None, resource: str | None = None,
             prefix: str = "") -> list[Problem]:
    """Every way ``data`` breaks the definition schema ``kind``.

    Parameters
    ----------
    data : object
        The parsed definition (or one part of it).
    kind : str
        Schema name (``framework``, ``intervention``, ``instrument``, …), optionally with a
        part: ``intervention#component`` checks one component against ``$defs/component``.
    file, resource : str, optional
        Named in every problem.
    prefix : str
        Put before each key path (``components.c`` when checking one component).
    """
    resource = resource or kind.partition("#")[0]
    errors = sorted(_validator(kind).iter_errors(data), key=lambda e: list(map(str, e.path)))
    out: list[Problem] = []
    for e in errors:
        for prob in _convert(e, data, file, resource, prefix):
            if prob not in out:
                out.append(prob)
    return out


def check(data, kind: str, *, file: str | None = None, resource: str | None = None,
          more=None) -> None:
    """Check a whole definition: raise one :class:`ValidationError` listing every problem —
    the schema's, then those ``more(data)`` finds (the checks across parts a schema cannot
    express, written to run on faulty data too) — or return quietly."""
    resource = resource or kind.partition("#")[0]
    if not isinstance(data, Mapping):
        raise ValidationError([Problem(f"{resource} definition is not a mapping", file=file,
                                       resource=resource, expected="a YAML mapping",
                                       found=type(data).__name__)])
    found = problems(data, kind, file=file, resource=resource)
    if more is not None:
        found += [p for p in more(data) if p not in found]
    if found:
        raise ValidationError(found)


def unique_ids(entries, column: str, *, file=None, resource=None, key="id") -> list[Problem]:
    """A problem naming the ids used more than once in ``entries`` (mappings or objects)."""
    ids = [e.get(key) if isinstance(e, Mapping) else getattr(e, key, None) for e in entries]
    ids = [str(i) for i in ids if i is not None]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    return [Problem(f"duplicate {key}", file=file, resource=resource, column=column,
                    expected=f"unique {key}s", found=safe_value(", ".join(dup)))] if dup else []


def unknown_refs(values, known, column: str, what: str, *, file=None,
                 resource=None) -> list[Problem]:
    """A problem when ``values`` (one value or a list) name something not in ``known``."""
    values = values if isinstance(values, list | tuple) else [values]
    bad = [v for v in values if v is not None and str(v) not in {str(k) for k in known}]
    return [Problem(f"unknown {what}", file=file, resource=resource, column=column,
                    expected=", ".join(map(str, known)), found=safe_value(", ".join(map(str, bad))))
            ] if bad else []


def labels(raw) -> dict[str, str]:
    """``{lang: text}`` from a checked label: a mapping as it is, a plain text for all three."""
    if isinstance(raw, str):
        return dict.fromkeys(LANGS, raw.strip())
    if isinstance(raw, Mapping):
        return {lang: str(raw.get(lang) or "").strip() for lang in LANGS}
    return {}


def texts(raw) -> tuple[str, dict[str, str]]:
    """A checked text field as ``(English text, translations)``; plain text has none."""
    if isinstance(raw, Mapping):
        lab = labels(raw)
        return lab["en"], lab
    return ("" if raw is None else str(raw)), {}
