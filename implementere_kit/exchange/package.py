"""Shareable data packages: what a municipality may send to the network.

A package is a folder or ``.zip`` with a ``datapackage.json`` that follows the Frictionless
Data Package spec — one resource per table, each with its Table Schema (fields, types,
constraints, primary and foreign keys), a ``sha256`` hash and its size — plus our own
metadata under ``implementere_kit``: site, country, intervention, period, level, toolkit
and schema version and when it was made. Tables are Parquet (default) or CSV.

Two levels:

``pseudonymised``
    The project's tables with every person id replaced by a keyed HMAC-SHA256 pseudonym
    (the key stays in the project, so one person gets the same pseudonym in every export
    from that site) and free-text columns dropped, since names hide in free text.
``aggregate``
    Counts and rates by site, group and month; cells with fewer than ``k`` people are
    suppressed, with secondary suppression (see :mod:`.aggregate`).

The privacy guard runs on every export, on exactly the tables about to be written, and
refuses — nothing written — when any column holds identifiers.

References
----------
Frictionless Data Package and Table Schema specifications, https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from .. import __version__
from .._io import atomic_write, text_cells
from ..errors import ImplementereError, PrivacyError, Problem, ValidationError
from ..store.tables import table_schema

__all__ = ["PACKAGE_SCHEMA_VERSION", "LEVELS", "PERSON_COLUMNS", "export_package",
           "write_package", "sha256_file"]

PACKAGE_SCHEMA_VERSION = 1
LEVELS = ("aggregate", "pseudonymised")
#: Columns that identify a person, per table (``leaders`` is a ';'-separated list).
PERSON_COLUMNS = {
    "participants": ["participant_id"],
    "attendance": ["participant_id"],
    "sessions": ["leaders"],
    "fidelity_checks": ["practitioner_id"],
    "competence_ratings": ["practitioner_id", "rater_id"],
    "staff": ["practitioner_id"],
    "survey_responses": ["respondent_id"],
}
#: Free text where names and phone numbers hide: never exported.
FREE_TEXT = {"activities": ["notes"], "checklist_answers": ["answer", "answered_by"]}
#: Tables a project export leaves at home whatever the level (share-back packages do carry
#: ``benchmarks``: that is what they are for).
PRIVATE_TABLES = {"feedback", "benchmarks"}  # benchmarks: what the network sent back
#: Foreign keys declared in pseudonymised packages (child, column, parent, column).
FOREIGN_KEYS = [
    ("attendance", "participant_id", "participants", "participant_id"),
    ("competence_ratings", "practitioner_id", "staff", "practitioner_id"),
]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet with dates as ``date32``: Table Schema's ``date`` is a day, not an instant,
    and readers such as frictionless handle missing dates only in that form."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
    pq.write_table(table, path)


def _pseudonymise_tables(tables: dict[str, pd.DataFrame], key: bytes) -> dict[str, pd.DataFrame]:
    from .privacy import pseudonymise

    out = {}
    for name, df in tables.items():
        df = df.drop(columns=[c for c in FREE_TEXT.get(name, []) if c in df.columns])
        for col in PERSON_COLUMNS.get(name, []):
            if col not in df.columns:
                continue
            if col == "leaders":
                parts = df[col].astype("string").str.split(";").explode().str.strip()
                pseudo = pseudonymise(parts, key)
                df = df.assign(**{col: pseudo.groupby(level=0).agg(
                    lambda s: ";".join(v for v in s if isinstance(v, str)))})
            else:
                df = df.assign(**{col: pseudonymise(df[col], key)})
        out[name] = df
    return out


def _resource_schema(name: str, df: pd.DataFrame, level: str) -> dict:
    """Table Schema for a resource: ours when the table is in tables.yaml, else from dtypes."""
    try:
        desc = table_schema(name).to_frictionless()
        present = set(df.columns)
        desc["fields"] = [f for f in desc["fields"] if f["name"] in present]
        if "primaryKey" in desc and not set(desc["primaryKey"]) <= present:
            del desc["primaryKey"]
    except ImplementereError:
        kinds = {"b": "boolean", "i": "integer", "u": "integer", "f": "number", "M": "date"}
        desc = {"fields": [{"name": c, "type": kinds.get(df[c].dtype.kind, "string")}
                           for c in df.columns]}
    if level == "pseudonymised":
        fks = [{"fields": [c], "reference": {"resource": p, "fields": [pc]}}
               for child, c, p, pc in FOREIGN_KEYS if child == name]
        if fks:
            desc["foreignKeys"] = fks
    return desc


def write_package(tables: dict[str, pd.DataFrame], out, meta: dict, *, fmt: str = "parquet") -> Path:
    """Write ``tables`` as a data package (folder, or zip when ``out`` ends in ``.zip``).

    The privacy guard checks the tables first; on a finding a :class:`PrivacyError` is
    raised and nothing is written. The package appears atomically: it is assembled in a
    temporary folder and moved (folder) or renamed (zip) into place.
    """
    from .privacy import check_no_personal_ids

    if fmt not in ("parquet", "csv"):
        raise ValidationError([Problem("unknown table format", column="format",
                                       expected="parquet or csv", found=repr(fmt))])
    check_no_personal_ids(tables)
    out = Path(out)
    stage = Path(tempfile.mkdtemp(prefix=".pkg-", dir=out.parent if out.parent.exists() else None))
    try:
        resources = []
        for name, df in tables.items():
            path = stage / f"{name}.{fmt}"
            if fmt == "parquet":
                _write_parquet(df, path)
            else:
                frame = df.copy()
                for c in frame.columns:
                    if frame[c].dtype.kind == "M":
                        frame[c] = frame[c].dt.strftime("%Y-%m-%d")
                text_cells(frame).to_csv(path, index=False, encoding="utf-8")
            digest = sha256_file(path)
            res = {"name": name, "path": path.name, "profile": "tabular-data-resource",
                   "format": fmt,
                   "mediatype": ("application/vnd.apache.parquet" if fmt == "parquet"
                                 else "text/csv"),
                   "encoding": "utf-8", "sha256": digest,
                   "schema": _resource_schema(name, df, meta["level"])}
            if fmt == "csv":
                # Frictionless checks size and hash itself only for text formats; for
                # Parquet it reports them as missing, so there only our sha256 is given.
                res.update(bytes=path.stat().st_size, hash=f"sha256:{digest}")
            resources.append(res)
        descriptor = {
            "name": f"implementere-kit-{meta['site']}-{meta['intervention']}".lower(),
            "title": f"{meta.get('site_name') or meta['site']}: {meta['intervention']}",
            "profile": "tabular-data-package",
            "created": meta.get("created") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "implementere_kit": {**meta, "toolkit_version": __version__,
                                 "schema_version": PACKAGE_SCHEMA_VERSION},
            "resources": resources,
        }
        descriptor["implementere_kit"]["created"] = descriptor["created"]
        (stage / "datapackage.json").write_text(
            json.dumps(descriptor, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        if out.suffix == ".zip":
            def _zip(tmp: Path) -> None:
                import zipfile

                with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                    for f in sorted(stage.iterdir()):
                        zf.write(f, f.name)
            atomic_write(out, _zip)
        else:
            if out.exists():
                shutil.rmtree(out)
            stage.rename(out)
            stage = None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return out


def export_package(project, out, *, level: str = "aggregate", fmt: str = "parquet",
                   k: int = 5, as_of=None) -> Path:
    """Export a project as a shareable package.

    Parameters
    ----------
    project : Project or path
    out : path
        ``something.zip`` for an archive, otherwise a folder.
    level : {"aggregate", "pseudonymised"}
    fmt : {"parquet", "csv"}
    k : int
        Smallest group size shown in an aggregate package.
    as_of : date, optional
        The day an aggregate package's measures describe (default today).

    Raises
    ------
    PrivacyError
        When any table about to leave holds personal identifiers; nothing is written.
    """
    from ..store.project import Project

    if not isinstance(project, Project):
        project = Project.open(project)
    if level not in LEVELS:
        raise ValidationError([Problem("unknown package level", column="level",
                                       expected=" or ".join(LEVELS), found=repr(level))])
    names = [n for n in project.table_names if n not in PRIVATE_TABLES]
    tables = {n: project.table(n) for n in names if len(project.table(n))}
    if level == "pseudonymised":
        tables = _pseudonymise_tables(tables, project.ensure_key())
    else:
        from .aggregate import aggregate_tables

        tables = aggregate_tables(project, tables, k=k, as_of=as_of)
    meta = {"site": project.site, "site_name": project.site_name, "country": project.country,
            "intervention": project.intervention.id, "period": project.period, "level": level,
            "k": k if level == "aggregate" else None,
            "dosage": asdict(project.intervention.dosage) if project.intervention.dosage else None,
            "fidelity_threshold": project.intervention.fidelity_threshold}
    try:
        return write_package(tables, out, meta, fmt=fmt)
    except PrivacyError as exc:
        raise PrivacyError(f"export of {project.path} refused: {exc}", exc.findings) from None
