"""Shareable data packages: what a municipality may send to the network.

A package is a folder or ``.zip`` with a ``datapackage.json`` that follows the Frictionless
Data Package spec — one resource per table, each with its Table Schema (fields, types,
constraints, primary and foreign keys) and a ``sha256`` hash — plus our own metadata under
``implementere_kit`` (see :mod:`.descriptor`). Tables are Parquet (default) or CSV.

What leaves is decided by the allow-list in ``store/schemas/tables.yaml`` (see
:mod:`.allowlist` and ``docs/privacy.md``), per level:

``pseudonymised``
    The project's rows with every linking key (participant, group or case, practitioner,
    check, respondent, rater) replaced by a keyed HMAC-SHA256 pseudonym (the key stays in
    the project), dates of people's events cut to the month, codes kept only when they
    come from a controlled vocabulary, and no free text.
``aggregate``
    The sums behind every network measure for the whole period and per year
    (``agg_measures``), with figures of fewer than ``k`` people suppressed (see
    :mod:`.aggregate`), plus the plan, SIC events and eligible counts; no linking key at all.

The identifier scanner then runs on exactly what is about to be written — every table,
the column names and every string of the descriptor — and refuses the export (nothing
written) on a finding, unless a reviewed exception in the project's audit log covers it
(:mod:`.privacy_exceptions`); what an exception let through is listed in the descriptor
(``implementere_kit.privacy_exceptions``). Each export takes the project's next export
sequence number, which tells the network which of two packages for the same period is
newer.

References
----------
Frictionless Data Package and Table Schema specifications, https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .._io import atomic_write, text_cells
from ..errors import PrivacyError, Problem, ProjectError, ValidationError, safe_value
from .allowlist import FOREIGN_KEYS, LEVELS, resource_schema
from .descriptor import FREE_TEXT_DOSAGE, PACKAGE_SCHEMA_VERSION

__all__ = ["PACKAGE_SCHEMA_VERSION", "LEVELS", "FOREIGN_KEYS", "export_package",
           "write_package", "resource_schema", "sha256_file", "exceptions_record"]



def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _to_arrow(df: pd.DataFrame, name: str):
    """Arrow table with our column order, dates as ``date32`` (Table Schema's ``date`` is a
    day, and frictionless reads missing dates only in that form)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
    return table


def _write_resource(table, df: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
        return
    frame = df.copy()
    for c in frame.columns:
        if frame[c].dtype.kind == "M":
            frame[c] = frame[c].dt.strftime("%Y-%m-%d")
    # text that a spreadsheet would run as a formula stays text (OWASP CSV injection)
    text_cells(frame).to_csv(path, index=False, encoding="utf-8")


def write_package(tables: dict[str, pd.DataFrame], out, meta: dict, *,
                  fmt: str = "parquet", exceptions=None) -> Path:
    """Write ``tables`` as a data package (folder, or zip when ``out`` ends in ``.zip``).

    ``tables`` must already be in their allow-listed form (see
    :func:`.allowlist.apply_allow_list`); ``meta`` holds the controlled metadata (site,
    country, intervention, period, level, k, export_seq, …; a ``site_name`` in it is
    ignored: the name comes from the municipality list). Before anything is written the
    allow-list, the descriptor's own rules, the data-against-descriptor checks and the
    identifier scanner run on exactly what would be written; any finding raises
    (:class:`PrivacyError` for identifiers, else :class:`ValidationError`) and nothing is
    written. ``exceptions`` are the reviewed exceptions in force (``Project.
    privacy_exceptions()``): a table finding one covers passes and is recorded in the
    descriptor, without the reviewer's name or reason (they stay in the audit log). The
    package appears atomically.
    """
    from .descriptor import build_descriptor, check_descriptor, scan_metadata
    from .intake import check_contents
    from .privacy import check_no_personal_ids

    if fmt not in ("parquet", "csv"):
        raise ValidationError([Problem("unknown table format", column="format",
                                       expected="parquet or csv", found=safe_value(fmt))])
    waived = check_no_personal_ids(tables, exceptions=exceptions)
    level_key = "share_back" if meta.get("share_back") else meta.get("level")
    arrow = {name: _to_arrow(df, name) for name, df in tables.items()}
    meta = {k: v for k, v in meta.items() if k not in ("site_name", "privacy_exceptions")}
    if len(waived):
        meta["privacy_exceptions"] = exceptions_record(waived)
    descriptor = build_descriptor(meta, [])
    out = Path(out)
    problems = check_contents(descriptor["implementere_kit"], arrow, file=out.name)
    if problems:
        raise ValidationError(problems)
    stage = Path(tempfile.mkdtemp(prefix=".pkg-", dir=out.parent if out.parent.exists() else None))
    try:
        for name, table in arrow.items():
            path = stage / f"{name}.{fmt}"
            _write_resource(table, tables[name], path, fmt)
            digest = sha256_file(path)
            res = {"name": name, "path": path.name, "profile": "tabular-data-resource",
                   "format": fmt, "mediatype": ("application/vnd.apache.parquet"
                                                if fmt == "parquet" else "text/csv"),
                   "encoding": "utf-8", "sha256": digest,
                   "schema": resource_schema(name, table.column_names, level_key)}
            if fmt == "csv":
                # Frictionless checks size and hash itself only for text formats; for
                # Parquet it reports them as missing, so there only our sha256 is given.
                res.update(bytes=path.stat().st_size, hash=f"sha256:{digest}")
            descriptor["resources"].append(res)
        problems = check_descriptor(descriptor, "datapackage.json")
        if problems:
            raise ValidationError(problems)
        findings = scan_metadata(descriptor, "datapackage.json")
        if findings:
            raise PrivacyError("personal identifiers in the package metadata: "
                               + "; ".join(f"{p.column}: {p.found}" for p in findings))

        (stage / "datapackage.json").write_text(
            json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
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


def exceptions_record(waived: pd.DataFrame) -> list[dict]:
    """What a package records of the findings reviewed exceptions let through: table,
    column, kind, how many rows, the exception's id and the date of its review (see
    :func:`.privacy.check_no_personal_ids`; the reason and reviewer stay at home)."""
    return [{"table": str(r.table), "column": str(r.column), "kind": str(r.kind),
             "count": int(r.count), "exception_id": int(r.exception_id), "date": str(r.date)}
            for r in waived.itertuples(index=False)]


def _intervention_code(project, key: bytes) -> str:
    """The intervention as it may leave: a shipped id, else a keyed pseudonym (an id the
    municipality typed could hold anything)."""
    from ..plans.intervention import list_interventions
    from .privacy import pseudonymise

    iid = project.intervention.id
    if iid in list_interventions():
        return iid
    return pseudonymise(pd.Series([iid]), key, prefix="x_").iloc[0]


def _dosage_meta(dosage) -> dict | None:
    """The dosage rule as it may leave: its numbers and codes. The note is text a
    municipality may type (a name, a phone number), so it stays home."""
    from dataclasses import asdict

    if dosage is None:
        return None
    return {k: v for k, v in asdict(dosage).items() if k not in FREE_TEXT_DOSAGE}


def _export_tables(project, level: str, key: bytes, k: int, as_of, entries: list[dict]
                   ) -> dict[str, pd.DataFrame]:
    """What leaves at ``level``, in its allow-listed form; at the aggregate level compared
    with the figures published before (the audit log's ``entries``)."""
    from .aggregate import aggregate_tables
    from .allowlist import apply_allow_list
    from .differencing import published_before, suppress_differences

    tables = {n: project.table(n) for n in project.table_names if len(project.table(n))}
    if level == "aggregate":
        sums = aggregate_tables(project, tables, k=k, as_of=as_of)
        if "agg_measures" in sums:
            sums["agg_measures"] = suppress_differences(sums["agg_measures"],
                                                        published_before(entries), k)
        tables = {**tables, **sums}
    return apply_allow_list(tables, level, key=key, intervention=project.intervention)


def export_package(project, out, *, level: str = "aggregate", fmt: str = "parquet",
                   k: int = 5, allow_small_k: bool = False, as_of=None) -> Path:
    """Export a project as a shareable package.

    Parameters
    ----------
    project : Project or path
    out : path
        ``something.zip`` for an archive, otherwise a folder.
    level : {"aggregate", "pseudonymised"}
    fmt : {"parquet", "csv"}
    k : int
        Smallest number of people a published cell may describe (aggregate level):
        default 5, never below 3; 3 or 4 only with ``allow_small_k=True``, which the
        package records.
    allow_small_k : bool
        Allow k = 3 or 4.
    as_of : date, optional
        The day an aggregate package's measures describe (default today).

    Raises
    ------
    PrivacyError
        When anything about to leave holds a personal identifier no reviewed exception of
        the project covers (``Project.add_privacy_exception``); nothing is written.
    ValidationError
        For a bad level, format or k, or data that disagree with the project (a row of
        another site, an event outside the project period); nothing is written.
    """
    from ..store._meta import export_seq, seq_on_disk
    from ..store.audit import AuditLog, StaleAuditLog
    from ..store.project import Project
    from .aggregate import check_k
    from .differencing import (
        EXPORTED_ACTION,
        PUBLISHED_ACTION,
        WITHDRAWN_ACTION,
        check_record,
        record_published,
    )
    from .pseudonyms import project_key

    if not isinstance(project, Project):
        project = Project.open(project)
    if level not in LEVELS:
        raise ValidationError([Problem("unknown package level", column="level",
                                       expected=" or ".join(LEVELS), found=safe_value(level))])
    k = check_k(k, allow_small_k)
    # the first export of a copied folder makes its key; a copied key is bound to this
    # project's site and intervention, so two projects never share pseudonyms
    key = project_key(project.ensure_key(), str(project.site), project.intervention.id)
    log = AuditLog(project.path)
    interv = project.intervention
    meta = {"site": project.site, "country": project.country,
            "intervention": _intervention_code(project, key), "period": project.period,
            "level": level, "k": k if level == "aggregate" else None,
            "dosage": _dosage_meta(interv.dosage),
            "fidelity_threshold": interv.fidelity_threshold}
    if level == "aggregate" and k < 5:
        meta["allow_small_k"] = True
    for _ in range(5):
        entries = log.entries()
        if level == "aggregate" and "export_seq" not in meta:
            file = project.path / "project.json"
            check_record(entries, max(seq_on_disk(file), export_seq(project.meta, file)),
                         project.path)
        tables = _export_tables(project, level, key, k, as_of, entries)
        if "export_seq" not in meta:  # taken once, kept if the figures are compared again
            meta["export_seq"] = project.next_export_seq()
        cells = record_published(tables["agg_measures"]) if "agg_measures" in tables else []
        action, fields = (PUBLISHED_ACTION, {"cells": cells}) if cells else \
            (EXPORTED_ACTION, {"level": level})
        try:
            # recorded before the write, so a package that left is never missing from the
            # record; and only if no other export was recorded since the figures were
            # compared with the record (two exports at once: the later one compares again)
            log.append(action, {"export_seq": meta["export_seq"], **fields},
                       after=len(entries))
            break
        except StaleAuditLog:
            continue
    else:
        raise ProjectError(f"{project.path}: the audit log kept changing during the export; "
                           "export again when no other export is running")
    try:
        return write_package(tables, out, meta, fmt=fmt,
                             exceptions=project.privacy_exceptions())
    except (PrivacyError, ValidationError) as exc:
        # refused before anything was written: later exports need not be careful of it
        # (any other failure keeps the record — the careful side)
        if cells:
            log.append(WITHDRAWN_ACTION, {"export_seq": meta["export_seq"]})
        if isinstance(exc, PrivacyError):
            raise PrivacyError(f"export of {project.path} refused: {exc}",
                               exc.findings) from None
        raise
