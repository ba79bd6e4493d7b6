"""``datapackage.json``: built from controlled fields only, read with limits, checked strictly.

Every value in a descriptor we write comes from a controlled source: the site code, the
official municipality name from ``store/municipalities.csv``, a shipped intervention id
(another intervention's id becomes a keyed pseudonym), ISO dates, numbers, the
allow-list's schemas and checksums. Nothing typed by a person goes in.

An arriving descriptor is read with its size and nesting depth checked before JSON is
parsed (duplicate keys and ``NaN`` refused), then checked key by key: unknown keys, wrong
types, a name or title other than the one its fields give, a site name that is not the
official one, a ``created`` in the future beyond :data:`CLOCK_SKEW`, and every string
through the identifier scanner (:func:`scan_metadata`).

Examples
--------
>>> import pathlib, tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "datapackage.json"
>>> _ = path.write_text("[" * 100_000 + "]" * 100_000)
>>> read_descriptor(path, "pkg.zip")[1][0].message
'datapackage.json is nested too deeply'
>>> tmp.cleanup()
>>> [p.message for p in check_descriptor(["a list"], "pkg.zip")]
['datapackage.json is not a JSON object']
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from pathlib import Path

from ..errors import Problem, safe_value

__all__ = ["PACKAGE_SCHEMA_VERSION", "CLOCK_SKEW", "read_descriptor", "check_descriptor",
           "build_descriptor", "descriptor_name", "scan_metadata"]

#: 2: allow-listed contents, export sequence numbers, names from the municipality list.
PACKAGE_SCHEMA_VERSION = 2
#: How far in the future a package's ``created`` may lie (clocks of two machines differ).
CLOCK_SKEW = dt.timedelta(minutes=15)
MAX_DESCRIPTOR_BYTES = 4 * 1024**2
MAX_DEPTH = 32
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_TOP_KEYS = {"name", "title", "profile", "created", "implementere_kit", "resources"}
_RESOURCE_KEYS = {"name", "path", "profile", "format", "mediatype", "encoding", "sha256",
                  "schema", "bytes", "hash"}
#: Fields of the dosage rule holding typed text: they never leave (see export_package).
FREE_TEXT_DOSAGE = ("min_attendance_note",)
_MEDIATYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}


def _problem(message, file, column=None, expected=None, found=None, resource=None):
    return Problem(message, file=file, resource=resource, column=column, expected=expected,
                   found=found)


# -- reading -------------------------------------------------------------------------------
def _depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings, without parsing."""
    import numpy as np

    if "\\" in text:  # escaped characters: cut the strings out properly first
        text = _STRING.sub('""', text)
    code = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    # without escapes, a quote always opens or closes a string: count them
    outside = (np.cumsum(code == ord('"')) % 2 == 0) & (code != ord('"'))
    step = (outside & ((code == ord("[")) | (code == ord("{")))).astype(np.int64) - (
        outside & ((code == ord("]")) | (code == ord("}")))).astype(np.int64)
    return int(np.cumsum(step).max(initial=0))


def _no_duplicates(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return out


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def read_descriptor(path: Path, file: str) -> tuple[object, list[Problem]]:
    """Parse ``datapackage.json`` safely: ``(descriptor, [])`` or ``(None, problems)``.

    The file is ``lstat``-ed first (a FIFO or a link is refused without being opened),
    its size and nesting depth are checked before parsing.
    """
    from ..errors import ValidationError
    from .archive import read_regular

    if not os.path.lexists(path):
        return None, [_problem("datapackage.json is missing", file)]
    try:
        raw = read_regular(path, MAX_DESCRIPTOR_BYTES)
    except ValidationError as exc:
        return None, [_problem(f"datapackage.json: {exc.problems[0].message}", file,
                               expected=exc.problems[0].expected, found=exc.problems[0].found)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [_problem("datapackage.json is not UTF-8 text", file)]
    depth = _depth(text)
    if depth > MAX_DEPTH:
        return None, [_problem("datapackage.json is nested too deeply", file,
                               expected=f"≤ {MAX_DEPTH} levels", found=f"{depth} levels")]
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates,
                          parse_constant=_no_constant), []
    except (ValueError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return None, [_problem("datapackage.json is not valid JSON", file, found=msg)]


# -- building ------------------------------------------------------------------------------
def descriptor_name(site: str, intervention: str) -> str:
    return f"implementere-kit-{site}-{intervention}".lower().replace("_", "-")


def _title(meta: dict) -> str:
    return f"{meta.get('site_name') or meta['site']}: {meta['intervention']}"


def build_descriptor(meta: dict, resources: list[dict]) -> dict:
    """The descriptor of a package whose (controlled) metadata is ``meta``."""
    from .. import __version__
    from ..store.municipalities import municipality_name

    meta = {**meta, "site_name": municipality_name(meta.get("country"), meta.get("site")),
            "toolkit_version": __version__, "schema_version": PACKAGE_SCHEMA_VERSION}
    meta.setdefault("created", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return {"name": descriptor_name(meta["site"], meta["intervention"]),
            "title": _title(meta), "profile": "tabular-data-package",
            "created": meta["created"], "implementere_kit": meta, "resources": resources}


# -- checking ------------------------------------------------------------------------------
def _is_int(v, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _iso_date(v) -> dt.date | None:
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        return None


def _created(v) -> dt.datetime | None:
    if not isinstance(v, str) or len(v) > 40:
        return None
    try:
        t = dt.datetime.fromisoformat(v)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@functools.cache
def _shipped() -> tuple[str, ...]:
    from ..plans.intervention import list_interventions

    return tuple(list_interventions())


@functools.lru_cache(maxsize=256)
def _dosage_problems(text: str) -> tuple[Problem, ...]:
    """Problems of a dosage rule as JSON: checked once per distinct rule, not per package."""
    from ..errors import ValidationError
    from ..plans.intervention import DosageRule

    try:
        DosageRule.from_dict(json.loads(text))
    except ValidationError as exc:
        return tuple(exc.problems)
    return ()


def _check_meta(meta: dict, file: str, now: dt.datetime) -> list[Problem]:
    from ..store.municipalities import municipality_name
    from ..store.project import COUNTRIES
    from .allowlist import LEVELS, OTHER_PATTERN

    out: list[Problem] = []

    def bad(key, expected, found="the value given"):
        out.append(_problem("metadata field is invalid", file, f"implementere_kit.{key}",
                            expected, found))

    share_back = meta.get("share_back", False)
    allowed = {"site", "site_name", "country", "intervention", "period", "level", "k",
               "allow_small_k", "export_seq", "dosage", "fidelity_threshold",
               "toolkit_version", "schema_version", "created", "share_back", "n_sites",
               "as_of", "privacy_exceptions"}
    for key in meta:
        if key not in allowed:
            bad(key, "only " + ", ".join(sorted(allowed)), "a field not allowed")
    version = meta.get("schema_version")
    if not _is_int(version, 1, 10**6):
        bad("schema_version", f"a whole number 1–{PACKAGE_SCHEMA_VERSION}",
            safe_value(version))
    elif version != PACKAGE_SCHEMA_VERSION:
        newer = version > PACKAGE_SCHEMA_VERSION
        out.append(_problem("package written by a newer schema version" if newer else
                            "package written by an older toolkit; export it again",
                            file, "implementere_kit.schema_version",
                            f"{PACKAGE_SCHEMA_VERSION} (what this toolkit reads)", str(version)))
        return out
    if not isinstance(share_back, bool):
        bad("share_back", "true or false")
    site, country = meta.get("site"), meta.get("country")
    if not (isinstance(site, str) and re.fullmatch(r"\d{3,4}", site)):
        bad("site", "a municipality code of 3–4 digits as text")
    if country not in COUNTRIES:
        bad("country", " or ".join(COUNTRIES), safe_value(country))
    if meta.get("site_name") != municipality_name(country, site):
        bad("site_name", "the official name from the municipality list (or null)")
    interv = meta.get("intervention")
    if not (interv in _shipped() or (isinstance(interv, str) and re.fullmatch(
            OTHER_PATTERN, interv)) or (share_back and interv == "network")):
        bad("intervention", "a shipped intervention id or a keyed pseudonym x_…",
            safe_value(interv))
    level = meta.get("level")
    if level not in LEVELS:
        bad("level", " or ".join(LEVELS), safe_value(level))
    out += _check_period(meta.get("period"), share_back, bad)
    k, small = meta.get("k"), meta.get("allow_small_k", False)
    if not isinstance(small, bool):
        bad("allow_small_k", "true or false")
    if level == "aggregate":
        from .aggregate import MIN_K, SAFE_K

        if not _is_int(k, MIN_K, 10**6):
            bad("k", f"a whole number ≥ {MIN_K}", safe_value(k))
        elif k < SAFE_K and small is not True:
            bad("k", f"≥ {SAFE_K}, or allow_small_k: true recorded by the export", str(k))
    elif k is not None:
        bad("k", "null (k applies to aggregate packages)", safe_value(k))
    seq = meta.get("export_seq")
    if not (_is_int(seq, 1, 10**12) or (share_back and seq is None)):
        bad("export_seq", "a whole number ≥ 1 (the site's export sequence number)",
            safe_value(seq))
    dosage = meta.get("dosage")
    if dosage is not None:
        if isinstance(dosage, dict) and any(not _is_int(v, 0, 10_000) for v in dosage.values()
                                            if isinstance(v, int) and not isinstance(v, bool)):
            bad("dosage", "whole numbers ≤ 10000")
        for field in FREE_TEXT_DOSAGE:
            if isinstance(dosage, dict) and dosage.get(field) not in (None, ""):
                bad(f"dosage.{field}", "absent: typed text never leaves a municipality")
        text = json.dumps(dosage, ensure_ascii=False)  # keys in order: the very same rule
        found = (_dosage_problems if len(text) <= 2000 else _dosage_problems.__wrapped__)(text)
        out += [_problem("metadata field is invalid", file, f"implementere_kit.{p.column}",
                         p.expected, p.found) for p in found]
    thr = meta.get("fidelity_threshold")
    if thr is not None and not (isinstance(thr, int | float) and not isinstance(thr, bool)
                                and 0 <= thr <= 1):
        bad("fidelity_threshold", "a share 0–1 or null", safe_value(thr))
    if not (isinstance(meta.get("toolkit_version"), str)
            and re.fullmatch(r"\d+\.\d+(\.\d+)?[a-z0-9.+-]{0,20}", meta["toolkit_version"])):
        bad("toolkit_version", "a version number such as 0.1.0")
    n_sites = meta.get("n_sites")
    if n_sites is not None and not (share_back and _is_int(n_sites, 1, 10**6)):
        bad("n_sites", "a whole number (share-back packages only)")
    as_of = meta.get("as_of")
    if as_of is not None and _iso_date(as_of) is None:
        bad("as_of", "a date YYYY-MM-DD (the day the measures describe) or null",
            safe_value(as_of))
    out += _check_exceptions(meta.get("privacy_exceptions"), level, share_back, file)
    created = _created(meta.get("created"))
    if created is None:
        bad("created", "an ISO date and time, e.g. 2026-01-31T12:00:00+00:00")
    elif created > now + CLOCK_SKEW:
        out.append(_problem("package created in the future", file, "implementere_kit.created",
                            f"no later than {(now + CLOCK_SKEW).isoformat(timespec='minutes')}",
                            safe_value(meta.get("created"))))
    return out


#: Fields of each entry of ``implementere_kit.privacy_exceptions``.
_EXCEPTION_KEYS = {"table", "column", "kind", "count", "exception_id", "date"}
MAX_EXCEPTIONS = 1000


def _check_exceptions(entries, level, share_back: bool, file: str) -> list[Problem]:
    """What an export recorded of the reviewed exceptions it applied: each one on a table
    and column its level allows, never a key column (see :mod:`.privacy_exceptions`)."""
    from ..store.tables import table_names
    from .allowlist import export_forms
    from .privacy import KINDS
    from .privacy_exceptions import is_key_column

    if entries is None:
        return []
    where = "implementere_kit.privacy_exceptions"
    if share_back or not isinstance(entries, list) or not 1 <= len(entries) <= MAX_EXCEPTIONS:
        return [_problem("metadata field is invalid", file, where,
                         f"a list of 1–{MAX_EXCEPTIONS} exceptions (site packages only)")]
    out = []
    for i, e in enumerate(entries):
        at = f"{where}[{i}]"
        if not isinstance(e, dict) or set(e) != _EXCEPTION_KEYS:
            out.append(_problem("recorded exception is invalid", file, at,
                                "only " + ", ".join(sorted(_EXCEPTION_KEYS))))
            continue
        table, column = e["table"], e["column"]
        forms = export_forms(table, level) if isinstance(table, str) and isinstance(
            level, str) and re.fullmatch(r"[a-z_]{1,64}", table) and table in table_names() else {}
        if not (isinstance(column, str) and column in forms) or is_key_column(column):
            out.append(_problem("recorded exception is not for a column this level allows",
                                file, at, "a column of the allow-list that is not a key",
                                resource=table if isinstance(table, str) else None))
        if e["kind"] not in KINDS or not _is_int(e["count"], 1, 10**9) or not _is_int(
                e["exception_id"], 1, 10**9) or _iso_date(e["date"]) is None:
            out.append(_problem("recorded exception is invalid", file, at,
                                "a known kind, a count, the exception's id and its date"))
    return out


def _check_period(period, share_back: bool, bad) -> list[Problem]:
    if period is None and share_back:
        return []
    if not isinstance(period, dict) or set(period) - {"start", "end"}:
        bad("period", "an object {start: YYYY-MM-DD, end: YYYY-MM-DD or null}",
            safe_value(period))
        return []
    start, end = _iso_date(period.get("start")), period.get("end")
    if start is None:
        bad("period.start", "a date YYYY-MM-DD", safe_value(period.get("start")))
    if end is not None:
        end_d = _iso_date(end)
        if end_d is None:
            bad("period.end", "a date YYYY-MM-DD or null", safe_value(end))
        elif start is not None and end_d < start:
            bad("period.end", "on or after period.start", safe_value(end))
    return []


def _check_resources(d: dict, file: str, level_key: str) -> list[Problem]:
    from .allowlist import allowed_schema

    out: list[Problem] = []
    names = []
    for i, res in enumerate(d["resources"]):
        where = f"resources[{i}]"
        if not isinstance(res, dict):
            out.append(_problem("resource is not an object", file, where))
            continue
        name, path, fmt = res.get("name"), res.get("path"), res.get("format", "parquet")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
            out.append(_problem("resource name is invalid", file, f"{where}.name",
                                "a table name", safe_value(name)))
            continue
        names.append(name)
        extra = set(res) - _RESOURCE_KEYS
        if extra:
            out.append(_problem("resource has fields not allowed", file, where,
                                "only " + ", ".join(sorted(_RESOURCE_KEYS)), resource=name))
        if not isinstance(fmt, str) or fmt not in _MEDIATYPES:
            out.append(_problem("unknown resource format", file, f"{where}.format",
                                "parquet or csv", safe_value(fmt), resource=name))
            continue
        if path != f"{name}.{fmt}":
            out.append(_problem("resource path is not the table's file", file, f"{where}.path",
                                f"{name}.{fmt}", safe_value(path), resource=name))
        if res.get("mediatype") != _MEDIATYPES[fmt] or res.get("encoding") != "utf-8" or \
                res.get("profile") != "tabular-data-resource":
            out.append(_problem("resource profile, mediatype or encoding is wrong", file, where,
                                f"tabular-data-resource, {_MEDIATYPES[fmt]}, utf-8",
                                resource=name))
        digest = res.get("sha256")
        if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            out.append(_problem("resource has no sha256 checksum", file, f"{where}.sha256",
                                "64 hex digits", resource=name))
        if fmt == "csv" and not (_is_int(res.get("bytes"), 0, 10**13)
                                 and res.get("hash") == f"sha256:{digest}"):
            out.append(_problem("CSV resource lacks its size and hash", file, where,
                                "bytes and hash sha256:<sha256>", resource=name))
        schema = res.get("schema")
        fields = schema.get("fields") if isinstance(schema, dict) else None
        cols = [f.get("name") for f in fields if isinstance(f, dict)] if isinstance(
            fields, list) else None
        if (cols is None or not all(isinstance(c, str) for c in cols)
                or schema != allowed_schema(name, tuple(cols), level_key)):
            out.append(_problem("resource schema is not the allow-listed schema of its table",
                                file, f"{where}.schema",
                                f"the schema tables.yaml gives {name} at level {level_key}",
                                resource=name))
    for n in sorted({n for n in names if names.count(n) > 1}):
        out.append(_problem("resource listed twice", file, "resources", resource=n))
    return out


def check_descriptor(d: object, file: str, *, now: dt.datetime | None = None) -> list[Problem]:
    """Every problem of a parsed descriptor (empty when it is one we would write)."""
    now = now or dt.datetime.now(dt.UTC)
    if not isinstance(d, dict):
        return [_problem("datapackage.json is not a JSON object", file, expected="an object",
                         found=type(d).__name__)]
    meta = d.get("implementere_kit")
    if not isinstance(meta, dict):
        return [_problem("datapackage.json lacks the implementere_kit metadata", file,
                         "implementere_kit", "an object")]
    if not isinstance(d.get("resources"), list):
        return [_problem("datapackage.json has no list of resources", file, "resources",
                         "a list")]
    out = [_problem("datapackage.json has a field not allowed", file, str(k)[:40],
                    "only " + ", ".join(sorted(_TOP_KEYS)))
           for k in d if k not in _TOP_KEYS]
    out += _check_meta(meta, file, now)
    if out:
        return out
    if d.get("profile") != "tabular-data-package" or d.get("created") != meta["created"]:
        out.append(_problem("datapackage.json profile or created is inconsistent", file))
    if d.get("name") != descriptor_name(meta["site"], meta["intervention"]) or \
            d.get("title") != _title(meta):
        out.append(_problem("package name or title is not the one its metadata gives", file,
                            "name", descriptor_name(meta["site"], meta["intervention"])))
    level_key = "share_back" if meta.get("share_back") else meta["level"]
    return out + _check_resources(d, file, level_key)


# -- the identifier scanner on metadata ----------------------------------------------------
def scan_metadata(obj, file: str) -> list[Problem]:
    """Problems for every place in nested metadata (keys included) holding an identifier.

    The scanner's own :func:`.privacy.find_ids_in_metadata` does the work: every string,
    number and key of ``obj``; a finding names the JSON path and the kind, never the value
    (a key holding an identifier is shown as ``<key i>``). Metadata too large or deep to
    scan is a problem too.
    """
    from ..errors import ValidationError
    from .privacy import find_ids_in_metadata

    try:
        found = find_ids_in_metadata(obj, file=file)
    except ValidationError as exc:
        return [_problem(p.message, file, expected=p.expected, found=p.found)
                for p in exc.problems]
    return [_problem("personal identifier in metadata", file, str(path)[:120],
                     "no personal identifiers", kind)
            for path, kind in zip(found["path"], found["kind"], strict=True)]
