"""Helpers for tests that craft packages by hand: rewrite a resource or the descriptor while
keeping every checksum right (so only the intended problem remains), zip a folder, and
make identifiers with valid control digits (generated, never a real person's)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from implementere_kit.exchange.package import sha256_file

W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def fodselsnummer(seed: int = 0, *, day: int = 1, month: int = 1, yy: int = 75) -> str:
    """A fødselsnummer with both control digits valid (individual number from ``seed``)."""
    for ind in range(seed % 500, 500):
        d = [int(c) for c in f"{day:02d}{month:02d}{yy:02d}{ind:03d}"]
        k1 = 11 - sum(a * b for a, b in zip(d, W1, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        d.append(k1)
        k2 = 11 - sum(a * b for a, b in zip(d, W2, strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        return "".join(map(str, d + [k2]))
    raise ValueError("no valid number for this seed")


def cpr(seed: int = 0) -> str:
    """A CPR number with a real date (1 January 1975) and sequence number from ``seed``."""
    return f"010175-{1000 + seed % 3000:04d}"


def descriptor(pkg_dir: Path) -> dict:
    return json.loads((pkg_dir / "datapackage.json").read_text(encoding="utf-8"))


def write_descriptor(pkg_dir: Path, desc) -> None:
    (pkg_dir / "datapackage.json").write_text(json.dumps(desc, ensure_ascii=False),
                                              encoding="utf-8")


def rewrite(pkg_dir: Path, name: str | None = None, table_fn=None, desc_fn=None) -> None:
    """Change one resource (``table_fn`` on its Arrow table) and/or the descriptor
    (``desc_fn`` returns the new one), fixing the resource's checksum and schema fields."""
    desc = descriptor(pkg_dir)
    if name is not None and table_fn is not None:
        res = next(r for r in desc["resources"] if r["name"] == name)
        path = pkg_dir / res["path"]
        table = table_fn(pq.read_table(path))
        pq.write_table(table, path)
        res["sha256"] = sha256_file(path)
        known = {f["name"]: f for f in res["schema"]["fields"]}
        res["schema"]["fields"] = [known.get(c, {"name": c, "type": "string"})
                                   for c in table.column_names]
    if desc_fn is not None:
        desc = desc_fn(desc)
    write_descriptor(pkg_dir, desc)


def zip_folder(folder: Path, out: Path, **writestr_kw) -> Path:
    """Zip a package folder with ``zipfile.writestr`` (entries get mode 0600, no type bits)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.writestr(f.name, f.read_bytes(), **writestr_kw)
    return out


def package_strings(pkg: Path) -> tuple[list[str], list[str]]:
    """``(raw, values)``: every file of a package (zip or folder) as decoded bytes, and every
    single value in it — file names, text files, Parquet cells and metadata."""
    import io

    if pkg.is_dir():
        files = {f.name: f.read_bytes() for f in pkg.iterdir()}
        raw = []
    else:
        with zipfile.ZipFile(pkg) as zf:
            files = {n: zf.read(n) for n in zf.namelist()}
        raw = [pkg.read_bytes().decode("latin-1")]
    raw += [data.decode("latin-1") for data in files.values()]
    values = list(files)
    for name, data in files.items():
        if name.endswith(".parquet"):
            table = pq.read_table(io.BytesIO(data))
            values += [k.decode() + v.decode() for k, v in (table.schema.metadata or {}).items()]
            values += table.column_names
            for col in table.columns:
                values += [str(v) for v in col.to_pylist() if v is not None]
        else:  # datapackage.json, CSV: text, one value per line and field
            text = data.decode("utf-8", "replace")
            values += [part for line in text.splitlines() for part in line.split(",")]
    return raw, values


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def leaks(pkg: Path, secrets) -> list[str]:
    """The secrets (identifiers) found in the package: as typed anywhere in its bytes, or
    digit-normalised (separators dropped) in any single value."""
    raw, values = package_strings(pkg)
    normalised = [digits(v) for v in values]
    found = []
    for s in secrets:
        d = digits(s)
        if any(s in r for r in raw) or any(s in v for v in values) or (
                len(d) >= 8 and any(d in n for n in normalised)):
            found.append(s)
    return found


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
