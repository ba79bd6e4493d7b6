"""The network store: merge, provenance, replacement, rejection, indicators and share-back."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from implementere_kit import NetworkStore, Project
from implementere_kit.cli import main
from implementere_kit.exchange.indicators import benchmark, funnel_limits
from implementere_kit.exchange.package import export_package
from implementere_kit.exchange.validate import open_package

AGGREGATE = {"905", "9902", "9904"}


@pytest.fixture(scope="module")
def packages(network_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("pkgs")
    # exporting records in the project (export number, audit log): never in the shared copy
    sites = out / "sites"
    shutil.copytree(network_dir, sites)
    paths = []
    for folder in sorted(sites.glob("*/project.json")):
        # a mix of levels, as a real network would have
        level = "aggregate" if folder.parent.name.split("-")[1] in AGGREGATE else "pseudonymised"
        paths.append(export_package(folder.parent, out / f"{folder.parent.name}.zip",
                                    level=level))
    return paths


def _counts(store):
    return {t: store.query(f'SELECT count(*) AS n FROM "{t}"')["n"][0] for t in store.tables()}


def test_merge_and_provenance(packages, tmp_path):
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge(packages)
        assert [r.action for r in results] == ["imported"] * len(packages)
        prov = store.provenance()
        assert len(prov) == 9 and prov["site"].is_unique
        assert set(prov["level"]) == {"aggregate", "pseudonymised"}
        assert prov["package_id"].str.len().eq(64).all()
        before = _counts(store)
        again = store.merge(packages[:2])
        assert [r.action for r in again] == ["unchanged", "unchanged"]
        assert _counts(store) == before


def test_newer_package_replaces_older(network_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(network_dir / "dk-901-keep", copy)
    old = export_package(copy, tmp_path / "old.zip", level="pseudonymised")
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge([old])
        n_old = store.query("SELECT count(*) n FROM attendance")["n"][0]
        # a newer export of the same site and period, with fewer attendance rows, made in
        # the same second: the export sequence number tells them apart, not the clock
        p = Project.open(copy)
        p.set_table("attendance", p.table("attendance").iloc[:100])
        p.save()
        new = export_package(copy, tmp_path / "new.zip", level="pseudonymised")
        assert [r.action for r in store.merge([new])] == ["replaced"]
        assert store.query("SELECT count(*) n FROM attendance")["n"][0] == 100 < n_old
        prov = store.provenance()
        seq = Project.open(copy).meta["export_seq"]
        assert len(prov) == 1 and prov["export_seq"].tolist() == [seq]
        assert store.query("SELECT count(DISTINCT _package) n FROM attendance")["n"][0] == 1
        # the older one coming in late does not win
        late = store.merge([old])
        assert [r.action for r in late] == ["older"]
        assert late[0].problems[0].found == str(seq - 1)
        assert late[0].problems[0].expected == f"> {seq}"
        assert store.query("SELECT count(*) n FROM attendance")["n"][0] == 100


def test_a_package_from_the_future_cannot_lock_a_site(network_dir, tmp_path):
    """created in 2999 is refused; a later export with a higher number but an earlier
    clock still replaces an earlier one."""
    import shutil

    from tests.craft import rewrite

    copy = tmp_path / "copy"
    shutil.copytree(network_dir / "dk-902-keep", copy)
    first = export_package(copy, tmp_path / "first", level="pseudonymised")
    second = export_package(copy, tmp_path / "second", level="pseudonymised")
    future = export_package(copy, tmp_path / "future", level="pseudonymised")

    def year(value):
        def fn(d):
            d["created"] = d["implementere_kit"]["created"] = value
            return d
        return fn
    rewrite(future, desc_fn=year("2999-01-01T00:00:00+00:00"))
    rewrite(first, desc_fn=year("2030-01-01T00:00:00+00:00"))  # a fast clock
    with NetworkStore(tmp_path / "net.duckdb") as store:
        res = store.merge([future], now=__import__("datetime").datetime(
            2030, 1, 1, tzinfo=__import__("datetime").UTC))
        assert res[0].action == "rejected"
        assert any(p.message == "package created in the future" for p in res[0].problems)
        assert store.provenance().empty
        when = __import__("datetime").datetime(2030, 1, 2, tzinfo=__import__("datetime").UTC)
        assert [r.action for r in store.merge([first], now=when)] == ["imported"]
        assert [r.action for r in store.merge([second], now=when)] == ["replaced"]


def test_invalid_package_rejected_whole(packages, tmp_path):
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(packages[1]) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "datapackage.json":
                d = json.loads(data)
                d["implementere_kit"]["site"] = "999"
                data = json.dumps(d).encode()
            if info.filename == "attendance.parquet":
                data = data[:-10] + b"0123456789"  # damaged: checksum no longer matches
            dst.writestr(info, data)
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages[:1])
        before = _counts(store)
        res = store.merge([bad])
        assert res[0].action == "rejected" and res[0].problems
        assert _counts(store) == before
        assert "999" not in set(store.provenance()["site"])
    assert main(["merge", str(bad), "--into", str(tmp_path / "net.duckdb"), "-q"]) == 1


def test_indicators_and_benchmarks(packages, tmp_path):
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages)
        ind = store.indicators(as_of="2026-06-30")
        assert {"completion", "dropout", "adherence", "sic_stage", "acceptability", "reach",
                "dose"} <= set(ind["indicator"])
        props = ind[ind["indicator"].isin(["completion", "dropout", "adherence", "dose"])]
        assert props["value"].dropna().between(0, 1).all()
        wide = ind.pivot_table(index="site", columns="indicator", values="value")
        assert wide.loc["902", "adherence"] < wide.loc["901", "adherence"]  # Bøgely poor
        assert wide.loc["904", "dropout"] > wide.loc["901", "dropout"]  # Mosebjerg loses families
        assert wide.loc["905", "sic_stage"] == 3  # Kildeby still preparing
        # sites in code order within each intervention, KEEP before FFT
        order = ind.drop_duplicates("site")[["intervention", "site"]].values.tolist()
        assert order == [["fft", "9901"], ["fft", "9902"], ["fft", "9903"], ["fft", "9904"],
                         ["keep", "901"], ["keep", "902"], ["keep", "903"], ["keep", "904"],
                         ["keep", "905"]]
        bench = store.benchmarks(as_of="2026-06-30")
        # per intervention: KEEP and FFT never share a network value
        adh = bench[bench["indicator"] == "adherence"]
        per = adh.groupby("intervention")["network_value"].nunique(dropna=False)
        assert per.tolist() == [1, 1]
        assert adh.groupby("intervention")["network_value"].first().nunique() == 2
        shown = adh[adh["lower95"].notna()]
        assert len(shown) >= 6  # every site with checklists, Kildeby (none yet) without
        assert shown["lower95"].le(shown["upper95"]).all()
        assert (shown["lower998"] <= shown["lower95"]).all()
        for iv, g in adh.groupby("intervention"):
            # pooled over the sites compared (a site with 1-4 participants is left out)
            kept = set(g.loc[g["lower95"].notna(), "site"])
            rows = ind[(ind["intervention"] == iv) & (ind["indicator"] == "adherence")
                       & ind["site"].isin(kept)]
            assert g["network_value"].iloc[0] == pytest.approx(
                rows["numerator"].sum() / rows["denominator"].sum())
            assert (g["n_sites_excluded"] == g["site"].nunique() - len(kept)
                    - g["value"].isna().sum()).all()
        monthly = store.indicators(by_month=True)
        assert monthly["period"].str.match(r"^\d{4}-\d{2}$").all()
        # aggregate packages publish the whole period and years, never months
        assert not set(monthly["site"]) & AGGREGATE


def test_pseudonymised_and_aggregate_give_the_same_indicators(tmp_path):
    """Where an aggregate package shows a measure, it gives the same value as the rows.

    (Merged: main's aggregate packages publish the sums of the whole period, so the measures
    are compared over the whole period; k = 1 is no longer allowed, so the smallest k, 3
    with the flag, on a site large enough that every measure compared is shown.)"""
    from implementere_kit.examples import make_network

    make_network(tmp_path / "net", seed=3, scale=3, sites=["903"])
    folder = tmp_path / "net" / "dk-903-keep"
    vals = {}
    for level in ("pseudonymised", "aggregate"):
        pkg = export_package(folder, tmp_path / f"{level}.zip", level=level, k=3,
                             allow_small_k=True)
        with NetworkStore(tmp_path / f"{level}.duckdb") as store:
            store.merge([pkg])
            vals[level] = store.indicators().set_index("indicator")["value"]
    for ind in ("completion", "dropout", "dose", "adherence", "acceptability", "reach",
                "adoption", "sic_stage"):
        assert not np.isnan(vals["aggregate"][ind]), ind  # shown, so compared
        assert vals["pseudonymised"][ind] == pytest.approx(vals["aggregate"][ind], abs=1e-12)


def _ind(values, numerators, n, indicator="completion", intervention="keep"):
    return pd.DataFrame({"site": [f"{i + 1:03d}" for i in range(len(values))],
                         "intervention": intervention, "period": "all",
                         "indicator": indicator, "n": n, "numerator": numerators,
                         "denominator": n, "value": values, "suppressed": False,
                         "reason": None})


def test_funnel_limits_and_flags():
    lo, hi = funnel_limits(0.2, np.array([25, 400]), 1.959963984540054)
    assert hi[0] - lo[0] > hi[1] - lo[1]  # wider for small sites
    assert lo[1] == pytest.approx(0.2 - 1.96 * np.sqrt(0.2 * 0.8 / 400), abs=1e-4)
    ind = _ind([0.55, 0.55, 0.55, 0.9], [55, 55, 55, 90], [100] * 4)
    b = benchmark(ind).set_index("site")
    assert b.loc["001", "network_value"] == pytest.approx(255 / 400)
    assert b.loc["001", "network_median"] == 0.55
    assert b.loc["004", "flag"] == "above998" and b.loc["001", "flag"] == "within"
    few = benchmark(ind.iloc[:2])
    assert few["network_suppressed"].all() and few["network_median"].isna().all()
    assert (few["network_reason"] == "too_few_sites").all()
    # another intervention is another comparison: its sites never enter this one's value
    both = benchmark(pd.concat([ind, _ind([0.1] * 3, [10] * 3, [100] * 3,
                                          intervention="fft").assign(
        site=["9901", "9902", "9903"])], ignore_index=True))
    keep = both[both["intervention"] == "keep"]
    assert keep["network_value"].iloc[0] == pytest.approx(255 / 400)
    assert both[both["intervention"] == "fft"]["network_value"].iloc[0] == pytest.approx(0.1)


def test_share_back_packages(packages, tmp_path, capsys):
    store_path = tmp_path / "net.duckdb"
    assert main(["merge", *map(str, packages), "--into", str(store_path), "-q"]) == 0
    assert main(["benchmark", str(store_path), "-o", str(tmp_path / "share")]) == 0
    files = sorted((tmp_path / "share").glob("share-back-*.zip"))
    assert len(files) == 9
    with open_package(tmp_path / "share" / "share-back-903.zip") as pkg:
        assert list(pkg.resources) == ["benchmarks"]
        b = pkg.frame("benchmarks")
        assert set(b["site"]) == {"903"}  # only the site's own rows
        assert set(b["period"]) == {"all"}  # no breakdown that could be subtracted
        # medians and quartiles never leave: the share-back level of the allow-list has no
        # place for them (merged: main sent them empty, exchange's test expected values)
        assert not {"network_median", "network_q1", "network_q3"} & set(b.columns)
        assert set(b["intervention"]) == {"keep"}
        assert b["as_of"].notna().all()
        assert pkg.meta["share_back"] is True and pkg.meta["as_of"]
        assert pkg.meta["site_name"] == "Havnstrup"  # from the municipality list


def test_partitioned_export_reads_back_with_duckdb(packages, tmp_path):
    import duckdb

    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages)
        n = store.query("SELECT count(*) n FROM attendance")["n"][0]
        out = store.export_partitioned(tmp_path / "lake", tables=["attendance", "participants"])
    assert sorted(p.name for p in (out / "attendance").iterdir()) == ["country=DK", "country=NO"]
    con = duckdb.connect()
    back = con.execute(f"SELECT country, site, count(*) n FROM read_parquet("
                       f"'{out}/attendance/**/*.parquet', hive_partitioning = true) "
                       f"GROUP BY ALL").df()
    assert back["n"].sum() == n
    assert set(back["site"].astype(str)) >= {"903", "9901"}


def test_two_packages_for_one_period_in_one_merge(network_dir, tmp_path):
    """Within one merge the higher export number wins and the other is reported, not
    dropped — in either order, with no waiting between the exports."""
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(network_dir / "dk-901-keep", folder)
    first = export_package(folder, tmp_path / "first.zip", level="pseudonymised")
    second = export_package(folder, tmp_path / "second.zip", level="pseudonymised")
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge([second, first])
        assert [r.action for r in results] == ["imported", "older"]
        results = NetworkStore.merge(store, [first])
        assert results[0].action == "older"
        assert len(store.provenance()) == 1
        files = sorted(p.name for p in (store.data_dir / "attendance").iterdir())
        recorded = store.query("SELECT path FROM files WHERE resource = 'attendance'")
        assert [f"attendance/{f}" for f in files] == list(recorded["path"])  # no leftovers
    with NetworkStore(tmp_path / "net2.duckdb") as store:
        results = store.merge([first, second])
        assert [r.action for r in results] == ["older", "imported"]
        assert len(list((store.data_dir / "attendance").iterdir())) == 1


def test_invalid_packages_in_a_batch_do_not_take_valid_ones_down(packages, tmp_path):
    """period "2024", k "five" and dosage "twelve" are refused by validate; merged in one
    batch with valid packages, each is rejected whole and every valid one is imported."""
    import shutil

    from tests.craft import rewrite

    def bad(key, value):
        def fn(d):
            d["implementere_kit"][key] = value
            return d
        return fn
    cases = {"period": bad("period", "2024"), "k": bad("k", "five"),
             "dosage": bad("dosage", "twelve")}
    crafted = []
    for i, (name, fn) in enumerate(cases.items()):
        folder = tmp_path / name
        with __import__("zipfile").ZipFile(packages[i]) as zf:
            zf.extractall(folder)
        rewrite(folder, desc_fn=fn)
        assert any(name in (p.column or "") for p in
                   __import__("implementere_kit.exchange.validate", fromlist=["x"])
                   .validate_package(folder)), name
        crafted.append(folder)
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge([*crafted, *packages[3:6]])
        assert [r.action for r in results] == ["rejected"] * 3 + ["imported"] * 3
        assert set(store.provenance()["site"]) == {r.site for r in results[3:]}
    shutil.rmtree(tmp_path / "period")


def test_share_back_package_cannot_be_merged(packages, tmp_path):
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages)
        back = store.share_back(tmp_path / "share")
        res = store.merge(back[:1])
        assert res[0].action == "rejected" and "share-back" in res[0].problems[0].message


def test_store_with_a_missing_data_file_is_reported_damaged(packages, tmp_path):
    from implementere_kit import ImplementereError

    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages[:2])
        victim = next((store.data_dir / "attendance").iterdir())
    victim.unlink()
    with pytest.raises(ImplementereError, match="damaged"):
        NetworkStore(tmp_path / "net.duckdb")


def test_scanner_in_a_batch_names_the_package_it_refuses(packages, tmp_path):
    """The identifier scanner reads a whole batch in one call; a finding still rejects only
    the package that holds it, and names that package's file."""
    import zipfile

    from tests.craft import fodselsnummer, rewrite

    bad = tmp_path / "bad"
    with zipfile.ZipFile(packages[0]) as zf:
        zf.extractall(bad)
    rewrite(bad, "sic_events", lambda t: t.replace_schema_metadata(
        {**(t.schema.metadata or {}), b"by": f"Kari {fodselsnummer(3)}".encode()}))
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge([packages[1], bad, packages[2]])
    assert [r.action for r in results] == ["imported", "rejected", "imported"]
    assert {p.file for p in results[1].problems} == {"bad"}
    assert results[1].problems[0].message == "personal identifier in metadata"


def test_equal_export_numbers_keep_the_stored_package(network_dir, tmp_path):
    """Two different packages with one export number (a restored project folder): the one
    already stored stays, the other is reported, with the number it would need."""
    import shutil

    from tests.craft import rewrite

    folder = tmp_path / "copy"
    shutil.copytree(network_dir / "dk-904-keep", folder)
    first = export_package(folder, tmp_path / "first", level="pseudonymised")
    second = export_package(folder, tmp_path / "second", level="pseudonymised")
    seq = json.loads((first / "datapackage.json").read_text())["implementere_kit"]["export_seq"]

    def same_number(d):
        d["implementere_kit"]["export_seq"] = seq
        return d
    rewrite(second, "sic_events", lambda t: t.slice(1), desc_fn=same_number)
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge([first, second])
        assert [r.action for r in results] == ["imported", "older"]
        assert results[1].problems[0].expected == f"> {seq}"
        assert store.provenance()["package_id"].tolist() == [results[0].package_id]


def test_views_line_up_packages_with_different_columns(packages, tmp_path):
    """A package whose attendance lacks the optional makeup column (or stores session
    numbers as int32) sits in the same view as the others."""
    import zipfile

    import pyarrow as pa

    from tests.craft import rewrite

    odd = tmp_path / "odd"
    with zipfile.ZipFile(packages[0]) as zf:
        zf.extractall(odd)
    rewrite(odd, "attendance", lambda t: t.drop(["makeup"]).set_column(
        1, "session_no", t["session_no"].cast(pa.int32())))
    with NetworkStore(tmp_path / "net.duckdb") as store:
        assert {r.action for r in store.merge([odd, packages[1]])} == {"imported"}
        got = store.query("SELECT count(*) n, count(makeup) m FROM attendance")
        n_odd = len(__import__("pyarrow.parquet", fromlist=["x"]).read_table(
            odd / "attendance.parquet"))
        assert got["n"][0] > n_odd and got["m"][0] == got["n"][0] - n_odd
    with NetworkStore(tmp_path / "net.duckdb") as store:  # the views again on opening
        assert store.query("SELECT count(*) n FROM attendance")["n"][0] == got["n"][0]


def test_a_stale_project_object_does_not_reuse_an_export_number(havnstrup, tmp_path):
    """A screen holding the project saves after an export made elsewhere: the next export
    still gets a new number."""
    screen = Project.open(havnstrup)
    first = export_package(havnstrup, tmp_path / "a", level="pseudonymised")
    screen.save()  # its meta still has the number from before the export
    second = export_package(havnstrup, tmp_path / "b", level="pseudonymised")
    seqs = [json.loads((p / "datapackage.json").read_text())["implementere_kit"]["export_seq"]
            for p in (first, second)]
    assert seqs[1] == seqs[0] + 1
