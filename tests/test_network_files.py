"""The network store's own files: only checked values reach them, batches share a file, a
replaced package leaves its file mates in place, and a store edited by hand is refused."""

import shutil
import struct
import zipfile

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from implementere_kit import ImplementereError, NetworkStore
from implementere_kit.exchange.package import export_package, sha256_file
from implementere_kit.exchange.validate import open_package
from tests.craft import cpr, descriptor, fodselsnummer, write_descriptor

SITES = ("dk-901-keep", "dk-902-keep", "dk-903-keep")


@pytest.fixture(scope="module")
def sites(network_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("files")
    # exporting records in the project (export number, audit log): never in the shared copy
    for name in SITES:
        shutil.copytree(network_dir / name, out / name)
    return out


@pytest.fixture(scope="module")
def packages(sites):
    return [export_package(sites / n, sites / f"{n}.zip", level="pseudonymised")
            for n in SITES]


def _stored_bytes(store) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(store.data_dir.rglob("*")) if p.is_file())


def _files_on_disk(store, table):
    return sorted(f"{table}/{p.name}" for p in (store.data_dir / table).iterdir())


def _recorded(store, table):
    return sorted(set(store.query(f"SELECT path FROM files WHERE resource = '{table}'")["path"]))


def _hide(folder, name, fnr, secret_cpr, note=None):
    """Places a Parquet file carries text that no row holds: a dictionary entry no row
    uses, bytes between the data and the footer, and (``note``) a field's metadata."""
    path = folder / f"{name}.parquet"
    table = pq.read_table(path)
    ids = table.column("participant_id").combine_chunks()
    used = ids.dictionary_encode()
    values = pa.concat_arrays([used.dictionary, pa.array([fnr])])
    col = pa.DictionaryArray.from_arrays(used.indices, values)
    field = pa.field("participant_id", col.type,
                     metadata={"note": note} if note else None)
    i = table.column_names.index("participant_id")
    pq.write_table(table.set_column(i, field, col).replace_schema_metadata(None), path)
    data = path.read_bytes()
    footer = struct.unpack("<I", data[-8:-4])[0]
    start = len(data) - 8 - footer
    path.write_bytes(data[:start] + f"hidden {secret_cpr} ".encode() + data[start:])
    desc = descriptor(folder)
    next(r for r in desc["resources"] if r["name"] == name)["sha256"] = sha256_file(path)
    write_descriptor(folder, desc)


def test_only_checked_values_reach_the_store(packages, tmp_path):
    """A package whose Parquet file hides identifiers outside its rows, where no check
    reads, is stored without them: the store writes the values it checked."""
    folder = tmp_path / "pkg"
    with zipfile.ZipFile(packages[0]) as zf:
        zf.extractall(folder)
    fnr, secret = fodselsnummer(7), cpr(7)
    _hide(folder, "attendance", fnr, secret)
    raw = (folder / "attendance.parquet").read_bytes()
    assert fnr.encode() in raw and secret.encode() in raw  # the attack is in the package
    with NetworkStore(tmp_path / "net.duckdb") as store:
        result = store.merge([folder])[0]
        stored = _stored_bytes(store)
        assert fnr.encode() not in stored and secret.encode() not in stored
        assert result.action == "imported"
        if result.action == "imported":
            n = store.query("SELECT count(*) n, count(DISTINCT participant_id) d "
                            "FROM attendance")
            back = pq.read_table(folder / "attendance.parquet")
            assert n["n"][0] == back.num_rows
            assert n["d"][0] == len(back.column("participant_id").unique())
    assert fnr.encode() not in (tmp_path / "net.duckdb").read_bytes()


def test_an_identifier_in_a_fields_metadata_is_refused(packages, tmp_path):
    """Field metadata travels base64-encoded inside ARROW:schema; it is read as text and
    scanned like every other piece of metadata, and never echoed."""
    folder = tmp_path / "pkg"
    with zipfile.ZipFile(packages[0]) as zf:
        zf.extractall(folder)
    fnr = fodselsnummer(8)
    _hide(folder, "attendance", "p_00000000000000a0", cpr(8), note=f"born {fnr}")
    with NetworkStore(tmp_path / "net.duckdb") as store:
        result = store.merge([folder])[0]
        assert result.action == "rejected"
        assert any("attendance.parquet" in str(p) for p in result.problems)
        assert fnr not in " ".join(map(str, result.problems))
        assert not store.data_dir.exists() or fnr.encode() not in _stored_bytes(store)


def test_a_batch_shares_one_file_per_table(packages, tmp_path):
    with NetworkStore(tmp_path / "net.duckdb") as store:
        assert [r.action for r in store.merge(packages)] == ["imported"] * 3
        for table in ("attendance", "participants", "sessions"):
            assert _files_on_disk(store, table) == _recorded(store, table)
            assert len(_recorded(store, table)) == 1
        per_package = store.query("SELECT _package, count(*) n FROM attendance GROUP BY 1")
        files = store.query("SELECT package_id, n_rows FROM files "
                            "WHERE resource = 'attendance'")
        assert dict(zip(per_package["_package"], per_package["n"], strict=True)) == dict(
            zip(files["package_id"], files["n_rows"], strict=True))
        assert set(files["package_id"]) == set(store.provenance()["package_id"])
        # every value as the package holds it (text read as dictionaries, one per package,
        # written as one table)
        for path in packages:
            with open_package(path) as pkg:
                for table in ("attendance", "sessions"):
                    key = ["participant_id", "session_no"] if table == "attendance" \
                        else ["group_id", "session_no"]
                    want = pkg.frame(table).sort_values(key).reset_index(drop=True)
                    got = store.query(f"SELECT * EXCLUDE (_package) FROM {table} WHERE "
                                      f"_package = ? ORDER BY ALL", [pkg.package_id])
                    got = got.sort_values(key).reset_index(drop=True)
                    assert list(got.columns) == list(want.columns)
                    for c in want.columns:
                        assert got[c].astype(str).tolist() == want[c].astype(str).tolist(), c


def test_replacing_one_package_keeps_its_file_mates(sites, packages, tmp_path):
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages)
        before = store.query("SELECT _package, count(*) n FROM attendance GROUP BY 1")
        ids = store.query("SELECT _package, participant_id FROM attendance")
        old_file = _recorded(store, "attendance")
        newer = export_package(sites / SITES[1], tmp_path / "newer.zip",
                               level="pseudonymised")
        assert [r.action for r in store.merge([newer])] == ["replaced"]
        prov = store.provenance()
        gone = (set(before["_package"]) - set(prov["package_id"])).pop()
        gone_ids = ids.loc[ids["_package"] == gone, "participant_id"]
        ids_kept = ids.loc[ids["_package"] != gone, "participant_id"]
        after = store.query("SELECT _package, count(*) n FROM attendance GROUP BY 1")
        assert gone not in set(after["_package"]) and len(after) == 3
        kept = before[before["_package"] != gone].set_index("_package")["n"]
        assert after.set_index("_package")["n"].loc[kept.index].tolist() == kept.tolist()
        # the old file is gone; its two other packages live on in a file of their own
        files = _recorded(store, "attendance")
        assert _files_on_disk(store, "attendance") == files
        assert old_file[0] not in files and len(files) == 2
        for path in files:
            ids = pq.read_table(store.data_dir / path, columns=["_package"]).column(0)
            assert gone not in ids.cast(pa.string()).to_pylist()
            assert gone not in ids.combine_chunks().dictionary.to_pylist()
        # the file its mates were written into holds no value only the replaced package
        # held, not even in a dictionary page
        only_gone = set(gone_ids) - set(ids_kept)
        assert only_gone
        mates = [p for p in files if set(pq.read_table(
            store.data_dir / p, columns=["_package"]).column(0).cast(pa.string()).to_pylist())
            == set(kept.index)]
        assert len(mates) == 1
        col = pq.read_table(store.data_dir / mates[0], columns=["participant_id"]).column(0)
        assert not only_gone & {v for c in col.chunks for v in c.dictionary.to_pylist()}


def test_a_failed_commit_changes_nothing(sites, packages, tmp_path, monkeypatch):
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages)
        files = {t: _files_on_disk(store, t) for t in store.tables() if t != "provenance"}
        counts = store.query("SELECT _package, count(*) n FROM attendance GROUP BY ALL "
                             "ORDER BY 1")
        newer = export_package(sites / SITES[0], tmp_path / "newer.zip",
                               level="pseudonymised")
        real = NetworkStore._insert_rows

        def failing(self, table, columns, rows):
            if table == "provenance":
                raise duckdb.IOException("disk full")
            return real(self, table, columns, rows)

        monkeypatch.setattr(NetworkStore, "_insert_rows", failing)
        with pytest.raises(duckdb.IOException):
            store.merge([newer])
        monkeypatch.undo()
        assert {t: _files_on_disk(store, t) for t in files} == files
        assert store.query("SELECT _package, count(*) n FROM attendance GROUP BY ALL "
                           "ORDER BY 1").equals(counts)
    with NetworkStore(tmp_path / "net.duckdb") as store:  # and it opens as before
        assert len(store.provenance()) == 3


def test_a_listed_file_outside_the_data_folder_is_refused(packages, tmp_path):
    outside = tmp_path / "keep-me.parquet"
    pq.write_table(pa.table({"a": [1]}), outside)
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages[:1])
        store.con.execute("UPDATE files SET path = '../keep-me.parquet' "
                          "WHERE resource = 'attendance'")
    with pytest.raises(ImplementereError, match="damaged") as exc:
        NetworkStore(tmp_path / "net.duckdb")
    assert outside.is_file()
    from implementere_kit.i18n import message_text

    assert "er skadet: den viser til en datafil utenfor" in message_text(str(exc.value), "nb")


def test_a_listed_file_of_another_table_is_refused(packages, tmp_path):
    """A ``files`` row naming another table's file (edited by hand) would make a view read
    that table's rows, and a replacement rewrite and delete that file: refused."""
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages[:1])
        sessions = _recorded(store, "sessions")
        store.con.execute("UPDATE files SET path = ? WHERE resource = 'attendance'",
                          [sessions[0]])
    with pytest.raises(ImplementereError, match="another table"):
        NetworkStore(tmp_path / "net.duckdb")
    assert (tmp_path / "net.duckdb.data" / sessions[0]).is_file()


def test_a_store_with_a_file_per_package_is_reported(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE TABLE provenance (package_id VARCHAR, export_seq BIGINT)")
    con.execute("CREATE TABLE files (package_id VARCHAR, resource VARCHAR, path VARCHAR, "
                "columns VARCHAR)")
    con.close()
    with pytest.raises(ImplementereError, match="older implementere-kit") as exc:
        NetworkStore(tmp_path / "old.duckdb")
    from implementere_kit.i18n import message_text

    assert "eldre implementere-kit" in message_text(str(exc.value), "nb")
    assert "ældre implementere-kit" in message_text(str(exc.value), "da")


def test_a_package_the_store_cannot_convert_is_refused_alone(packages, monkeypatch, tmp_path):
    """Checked, yet failing on the way into the store's types: that package is refused,
    in the user's language, and the others of its batch are stored."""
    from implementere_kit.i18n import message_text

    real = NetworkStore.prepare

    def prepare(pkg):
        if pkg.meta["site"] == "902":
            raise pa.ArrowInvalid("Integer value 18446744073709551615 not in range")
        return real(pkg)

    monkeypatch.setattr(NetworkStore, "prepare", staticmethod(prepare))
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge(packages)
        assert [r.action for r in results] == ["imported", "rejected", "imported"]
        problem = results[1].problems[0]
        assert problem.found == "ArrowInvalid" and "18446744073709551615" not in str(problem)
        assert message_text(problem.message, "nb") != problem.message
        assert set(store.provenance()["site"]) == {"901", "903"}
        assert _files_on_disk(store, "attendance") == _recorded(store, "attendance")
