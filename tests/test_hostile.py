"""Hostile and malformed packages and projects: each case of the issue has its own crafted
file, is refused with problems naming the file — never a traceback — and leaves no
temporary folder behind."""

import json
import os
import shutil
import struct
import threading
import warnings
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from implementere_kit import ImplementereError, NetworkStore, Project, ProjectError
from implementere_kit.cli import main
from implementere_kit.exchange.package import export_package, sha256_file
from implementere_kit.exchange.validate import validate_package
from tests.craft import descriptor, fodselsnummer, rewrite, write_descriptor, zip_folder


@pytest.fixture
def pkg(havnstrup, tmp_path, quiet_tmp):
    return export_package(havnstrup, tmp_path / "pkg", level="pseudonymised")


def refused(path, needle, capsys=None, **kw):
    """``validate`` finds a problem containing ``needle``, naming the package's file, and
    the command line says so in one line on stderr, without a traceback."""
    problems = validate_package(path, **kw)
    assert problems, "the package was accepted"
    assert any(needle in p.message or needle in (p.column or "") for p in problems), \
        [str(p) for p in problems]
    assert all((p.file or "").startswith(path.name) or p.file == str(path) for p in problems)
    if capsys is not None:
        capsys.readouterr()
        assert main(["validate", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    return problems


# -- the descriptor ------------------------------------------------------------------------
def test_descriptor_that_is_a_list(pkg, capsys):
    write_descriptor(pkg, [descriptor(pkg)])
    refused(pkg, "not a JSON object", capsys)


@pytest.mark.parametrize("change", [
    lambda d: {**d, "resources": "all of them"},
    lambda d: {**d, "implementere_kit": "yes"},
    lambda d: {**d, "implementere_kit": {**d["implementere_kit"], "site": 903}},
    lambda d: {**d, "implementere_kit": {**d["implementere_kit"], "level": ["pseudonymised"]}},
    lambda d: {**d, "implementere_kit": {**d["implementere_kit"], "export_seq": "1"}},
    lambda d: {**d, "implementere_kit": {**d["implementere_kit"], "created": 2026}},
    lambda d: {**d, "implementere_kit": {**d["implementere_kit"], "schema_version": None}},
    lambda d: {**d, "resources": [5, *d["resources"][1:]]},
    lambda d: {**d, "resources": [{**d["resources"][0], "schema": "any"}]},
    lambda d: {**d, "resources": [{**d["resources"][0], "sha256": 12}]},
    lambda d: {**d, "extra": {"note": "hello"}},
])
def test_descriptor_with_wrong_types(pkg, change):
    write_descriptor(pkg, change(descriptor(pkg)))
    assert validate_package(pkg)


def test_descriptor_nested_100000_deep(pkg, capsys):
    (pkg / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(pkg, "nested too deeply", capsys)
    (pkg / "datapackage.json").write_text('{"a": ' * 100_000 + "1" + "}" * 100_000)
    refused(pkg, "nested too deeply")


def test_descriptor_too_large_duplicate_keys_and_nan(pkg):
    (pkg / "datapackage.json").write_text(" " * (5 * 1024**2) + "{}")
    refused(pkg, "larger than the limit")
    text = json.dumps(descriptor(pkg))
    (pkg / "datapackage.json").write_text(text[:-1] + ', "title": "x"}')
    refused(pkg, "not valid JSON")
    (pkg / "datapackage.json").write_text('{"k": NaN}')
    refused(pkg, "not valid JSON")


def test_resource_names_that_are_lists(pkg, capsys):
    d = descriptor(pkg)
    d["resources"][0]["name"] = ["participants", "staff"]
    write_descriptor(pkg, d)
    refused(pkg, "resource name is invalid", capsys)


@pytest.mark.parametrize("key,value", [("period", "2024"), ("k", "five"),
                                       ("dosage", "twelve"), ("dosage", {"sessions": "twelve"}),
                                       ("dosage", {"sessions": 10**30}), ("k", 0)])
def test_metadata_values_that_crashed_merge(pkg, key, value, capsys):
    def fn(d):
        d["implementere_kit"][key] = value
        return d
    rewrite(pkg, desc_fn=fn)
    refused(pkg, key, capsys)


def test_created_in_the_future(pkg, capsys):
    def fn(d):
        d["created"] = d["implementere_kit"]["created"] = "2999-01-01T00:00:00+00:00"
        return d
    rewrite(pkg, desc_fn=fn)
    refused(pkg, "created in the future", capsys)


def test_typed_site_name_refused(pkg):
    def fn(d):
        d["implementere_kit"]["site_name"] = f"Havnstrup {fodselsnummer(1)}"
        d["title"] = f"{d['implementere_kit']['site_name']}: keep"
        return d
    rewrite(pkg, desc_fn=fn)
    problems = refused(pkg, "site_name")
    assert all(fodselsnummer(1) not in str(p) for p in problems)


# -- archives ------------------------------------------------------------------------------
def test_zip_from_writestr_is_accepted(pkg, tmp_path, quiet_tmp):
    """zipfile.writestr stores mode 0600 without file-type bits; external_attr 0 too."""
    assert validate_package(zip_folder(pkg, tmp_path / "w.zip")) == []
    plain = tmp_path / "zero.zip"
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(pkg.iterdir()):
            info = zipfile.ZipInfo(f.name)
            info.external_attr = 0
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, f.read_bytes())
    assert validate_package(plain) == []
    assert not list(quiet_tmp.iterdir())


def test_corrupt_deflate_data(pkg, tmp_path, capsys):
    z = zip_folder(pkg, tmp_path / "c.zip")
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("participants.parquet")
    start = info.header_offset + 30 + len(info.filename) + 20
    data[start:start + 200] = bytes(range(200))  # garbage in the deflate stream
    z.write_bytes(bytes(data))
    refused(z, "damaged", capsys)


def test_encrypted_entry(pkg, tmp_path, capsys):
    z = zip_folder(pkg, tmp_path / "e.zip")
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        infos = zf.infolist()
    cd = data.rindex(b"PK\x05\x06")
    cd_start = struct.unpack("<I", data[cd + 16:cd + 20])[0]
    pos = cd_start
    for _ in infos:  # set the "encrypted" bit in every central directory record
        flags = struct.unpack("<H", data[pos + 8:pos + 10])[0] | 0x1
        data[pos + 8:pos + 10] = struct.pack("<H", flags)
        n, m, k = struct.unpack("<HHH", data[pos + 28:pos + 34])
        pos += 46 + n + m + k
    z.write_bytes(bytes(data))
    refused(z, "encrypted", capsys)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 99])
def test_unknown_compression_method(pkg, tmp_path, method, capsys):
    z = tmp_path / "m.zip"
    real = method if method != 99 else zipfile.ZIP_STORED
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(pkg.iterdir()):
            zf.writestr(f.name, f.read_bytes(), compress_type=real)
    if method == 99:  # a method no library knows: patch the central directory
        data = bytearray(z.read_bytes())
        pos = struct.unpack("<I", data[data.rindex(b"PK\x05\x06") + 16:][:4])[0]
        data[pos + 10:pos + 12] = struct.pack("<H", 99)
        z.write_bytes(bytes(data))
    refused(z, "compression method", capsys)


def test_duplicate_entries(pkg, tmp_path, capsys):
    z = zip_folder(pkg, tmp_path / "d.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(z, "a") as zf:
            zf.writestr("participants.parquet", b"other bytes")
    refused(z, "two entries of one name", capsys)


def test_overlapping_entries_write_nothing(tmp_path, quiet_tmp, capsys):
    """A small zip whose central directory lists one big compressed entry 400 times."""
    z = tmp_path / "overlap.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("datapackage.json", b"\0" * 10_000_000)
    data = z.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    cd_start = struct.unpack("<I", data[eocd + 16:eocd + 20])[0]
    record = data[cd_start:eocd]
    name = b"datapackage.json"
    records = [record.replace(name, f"f{i:015d}.parquet".encode()[:len(name)]) for i in range(400)]
    cd = b"".join(records)
    end = bytearray(data[eocd:eocd + 22])
    end[8:12] = struct.pack("<HH", 400, 400)
    end[12:16] = struct.pack("<I", len(cd))
    z.write_bytes(data[:cd_start] + cd + bytes(end))
    assert z.stat().st_size < 160_000
    refused(z, "overlap", capsys)
    assert not list(quiet_tmp.rglob("*"))  # not a byte was written


def test_fifty_million_rows_refused_from_metadata(pkg, tmp_path, capsys):
    """A small package whose attendance table holds 50 million rows: refused from the
    Parquet metadata before a row is decoded."""
    n = 50_000_000
    big = pa.table({c: pa.nulls(n) for c in ("participant_id", "session_no", "attended",
                                             "makeup")})
    path = pkg / "attendance.parquet"
    pq.write_table(big, path, row_group_size=n, compression="zstd")
    d = descriptor(pkg)
    next(r for r in d["resources"] if r["name"] == "attendance")["sha256"] = sha256_file(path)
    write_descriptor(pkg, d)
    problems = refused(pkg, "more rows than the limit", capsys)
    assert any("50000000" in (p.found or "") for p in problems)
    z = zip_folder(pkg, tmp_path / "rows.zip")
    assert z.stat().st_size < 600_000
    refused(z, "zip bomb")  # zipped, it does not even get unpacked


def test_duplicate_column_names_in_parquet(pkg, capsys):
    path = pkg / "staff.parquet"
    t = pq.read_table(path)
    pq.write_table(pa.Table.from_arrays([t.column(0), *t.columns],
                                        names=[t.column_names[0], *t.column_names]), path)
    d = descriptor(pkg)
    next(r for r in d["resources"] if r["name"] == "staff")["sha256"] = sha256_file(path)
    write_descriptor(pkg, d)
    refused(pkg, "two columns of one name", capsys)


def test_undeclared_file_and_sub_folder(pkg, capsys):
    (pkg / "notes.txt").write_text(f"ring {fodselsnummer(2)}")
    refused(pkg, "not declared", capsys)
    (pkg / "notes.txt").unlink()
    (pkg / "sub").mkdir()
    refused(pkg, "sub-folder")


def _in_time(fn, seconds=20):
    out = {}
    t = threading.Thread(target=lambda: out.update(result=fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "hung"
    return out["result"]


def test_fifo_in_a_folder_package_never_hangs(pkg, capsys):
    (pkg / "datapackage.json").unlink()
    os.mkfifo(pkg / "datapackage.json")
    problems = _in_time(lambda: validate_package(pkg))
    assert any("special file" in p.message for p in problems)
    os.unlink(pkg / "datapackage.json")
    os.mkfifo(pkg / "datapackage.json")
    assert _in_time(lambda: main(["validate", str(pkg)])) == 1


def test_fifo_given_as_the_package(tmp_path):
    os.mkfifo(tmp_path / "pkg.zip")
    problems = _in_time(lambda: validate_package(tmp_path / "pkg.zip"))
    assert problems[0].message == "package is neither a zip file nor a folder"


def test_symlinked_resource_refused(pkg, tmp_path):
    target = tmp_path / "elsewhere.parquet"
    shutil.move(pkg / "staff.parquet", target)
    os.symlink(target, pkg / "staff.parquet")
    refused(pkg, "symbolic link")


def test_no_temporary_folder_left_on_any_path(pkg, tmp_path, quiet_tmp):
    cases = [zip_folder(pkg, tmp_path / "good.zip")]
    bad = tmp_path / "bad"
    shutil.copytree(pkg, bad)
    rewrite(bad, desc_fn=lambda d: {**d, "implementere_kit": {**d["implementere_kit"],
                                                               "k": "five"}})
    cases.append(zip_folder(bad, tmp_path / "bad.zip"))
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not a zip")
    cases.append(tmp_path / "junk.zip")
    for case in cases * 3:
        validate_package(case)
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(cases)
    assert not list(quiet_tmp.iterdir())


# -- data against the descriptor ------------------------------------------------------------
def test_package_claiming_another_site(pkg, capsys):
    def fn(d):
        meta = d["implementere_kit"]
        meta["site"], meta["site_name"] = "901", "Ålund"
        d["name"], d["title"] = "implementere-kit-901-keep", "Ålund: keep"
        return d
    rewrite(pkg, desc_fn=fn)
    refused(pkg, "another site", capsys)


def test_package_with_another_interventions_data(network_dir, tmp_path):
    shutil.copytree(network_dir / "no-9903-fft", tmp_path / "skogheim")  # exports record
    fft = export_package(tmp_path / "skogheim", tmp_path / "fft", level="pseudonymised")

    def fn(d):
        d["implementere_kit"]["intervention"] = "keep"
        d["name"], d["title"] = "implementere-kit-9903-keep", "Skogheim: keep"
        return d
    rewrite(fft, desc_fn=fn)
    refused(fft, "another intervention")


def test_level_and_period_disagreeing_with_the_data(pkg, tmp_path):
    agg = tmp_path / "as-aggregate"
    shutil.copytree(pkg, agg)

    def as_aggregate(d):
        d["implementere_kit"].update(level="aggregate", k=5)
        for r in d["resources"]:
            r["schema"] = {"fields": r["schema"]["fields"]}
        return d
    rewrite(agg, desc_fn=as_aggregate)
    assert validate_package(agg)  # rows of people do not pass as an aggregate package

    def later(d):
        d["implementere_kit"]["period"] = {"start": "2026-01-01", "end": None}
        return d
    rewrite(pkg, desc_fn=later)
    refused(pkg, "outside the package's period")


def plant_participant_id(pkg, value: str) -> None:
    """Give the first participant of ``pkg`` the id ``value``, in attendance too (so only
    the id itself is wrong)."""
    raw = {}

    def plant(t):
        ids = t["participant_id"].to_pylist()
        raw.update({ids[0]: value})
        return t.set_column(0, "participant_id", pa.array([value] + ids[1:]))
    rewrite(pkg, "participants", plant)
    rewrite(pkg, "attendance", lambda t: t.set_column(0, "participant_id", pa.array(
        [raw.get(v, v) for v in t["participant_id"].to_pylist()])))


def test_raw_fodselsnummer_in_a_pseudonymised_package(pkg, tmp_path):
    """A hand-made "pseudonymised" package with raw ids is refused and never reaches the
    store's views."""
    fnr = fodselsnummer(7)
    plant_participant_id(pkg, fnr)
    problems = refused(pkg, "form this level allows")
    assert any(p.message == "personal identifier in a table" and p.found == "fodselsnummer"
               and p.column == "participant_id" for p in problems)
    assert all(fnr not in str(p) for p in problems)
    with NetworkStore(tmp_path / "net.duckdb") as store:
        assert store.merge([pkg])[0].action == "rejected"
        assert "participants" not in store.tables()


def test_identifier_in_parquet_metadata(pkg):
    fnr = fodselsnummer(9)
    rewrite(pkg, "staff", lambda t: t.replace_schema_metadata(
        {**(t.schema.metadata or {}), b"note": f"leder {fnr}".encode()}))
    problems = refused(pkg, "personal identifier in metadata")
    assert all(fnr not in str(p) for p in problems)


# -- the project folder ----------------------------------------------------------------------
PROJECT_DAMAGE = {
    "not an object": lambda m: [m],
    "site": lambda m: {**m, "site": 903},
    "country": lambda m: {**m, "country": ["DK"]},
    "language": lambda m: {**m, "language": 5},
    "period": lambda m: {**m, "period": "2024"},
    "period.start": lambda m: {**m, "period": {"start": "2024-02-31", "end": None}},
    "tables": lambda m: {**m, "tables": {"activities": "activities-1.parquet"}},
    "tables path": lambda m: {**m, "tables": {"activities": {"file": "../../etc/passwd"}}},
    "tables list": lambda m: {**m, "tables": []},
    "generation": lambda m: {**m, "generation": "2"},
    "export_seq": lambda m: {**m, "export_seq": -1},
    "intervention": lambda m: {**m, "intervention": "keep"},
    "site_name": lambda m: {**m, "site_name": {"nb": "x"}},
}


@pytest.mark.parametrize("case", sorted(PROJECT_DAMAGE))
def test_damaged_project_json(havnstrup, case, capsys):
    meta_file = havnstrup / "project.json"
    meta_file.write_text(json.dumps(PROJECT_DAMAGE[case](json.loads(meta_file.read_text()))))
    with pytest.raises(ProjectError) as exc:
        Project.open(havnstrup)
    msg = str(exc.value)
    assert "project.json" in msg
    field = case.split(" ")[0].split(".")[0]
    assert case == "not an object" or field in msg, msg
    assert main(["status", str(havnstrup)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("content", [b"not hex at all", b"abcd", "æøå".encode(), b"\xff\xfe"])
def test_damaged_secret_key(havnstrup, tmp_path, content, capsys):
    (havnstrup / ".secret.key").write_bytes(content)
    with pytest.raises(ProjectError, match=".secret.key"):
        Project.open(havnstrup).key  # noqa: B018
    capsys.readouterr()
    assert main(["export", str(havnstrup), "-o", str(tmp_path / "x.zip"),
                 "--level", "pseudonymised"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".secret.key" in err and "Traceback" not in err
    assert content.decode("latin-1") not in err or content == b"abcd"
    assert not (tmp_path / "x.zip").exists()


def test_old_network_store_is_reported(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE TABLE provenance (package_id VARCHAR, created VARCHAR)")
    con.close()
    with pytest.raises(ImplementereError, match="older implementere-kit"):
        NetworkStore(tmp_path / "old.duckdb")


def test_identifier_dressed_as_a_pseudonym(pkg):
    """``p_`` + a fødselsnummer + five digits has a pseudonym's length and characters; a
    pseudonym always has a letter among its hex digits, so this one is refused by its form
    (the scanner, which reads a run of sixteen digits as one number, would not see it)."""
    fnr = fodselsnummer(11)
    dressed = "p_" + fnr + "00000"
    assert len(dressed) == 18
    plant_participant_id(pkg, dressed)
    problems = refused(pkg, "form this level allows")
    assert any("form" in p.message and p.column == "participant_id" for p in problems)
    assert all(fnr not in str(p) for p in problems)


def test_pseudonyms_are_never_all_decimal():
    """About one HMAC in 1,900 starts with sixteen decimal digits: those get a letter, the
    same every time, and still pass the form check."""
    import hashlib
    import hmac
    import re

    import pandas as pd

    from implementere_kit.exchange.allowlist import form_pattern
    from implementere_kit.exchange.privacy import pseudonymise

    key = b"k" * 32
    digits = [str(i) for i in range(20000)
              if hmac.new(key, str(i).encode(), hashlib.sha256).hexdigest()[:16].isdigit()]
    assert digits, "no all-decimal digest among 20,000 ids: widen the search"
    out = pseudonymise(pd.Series(digits), key)
    assert out.equals(pseudonymise(pd.Series(digits), key))
    assert all(re.fullmatch(form_pattern("pseudonym"), p) for p in out)
    assert not any(p[2:].isdigit() for p in out)
