"""The network store: merge, provenance, replacement, rejection, indicators and share-back."""

import json

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
    paths = []
    for folder in sorted(network_dir.glob("*/project.json")):
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
    folder = network_dir / "dk-901-keep"
    old = export_package(folder, tmp_path / "old.zip", level="pseudonymised")
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge([old])
        n_old = store.query("SELECT count(*) n FROM attendance")["n"][0]
        # a newer export of the same site and period, with fewer attendance rows
        copy = tmp_path / "copy"
        import shutil

        shutil.copytree(folder, copy)
        p = Project.open(copy)
        p.set_table("attendance", p.table("attendance").iloc[:100])
        p.set_table("participants", p.table("participants"))
        p.save()
        import time

        time.sleep(1.1)  # created timestamps have one-second resolution
        new = export_package(copy, tmp_path / "new.zip", level="pseudonymised")
        assert [r.action for r in store.merge([new])] == ["replaced"]
        assert store.query("SELECT count(*) n FROM attendance")["n"][0] == 100 < n_old
        assert len(store.provenance()) == 1
        assert store.query("SELECT count(DISTINCT _package) n FROM attendance")["n"][0] == 1
        # the older one coming in late does not win
        assert [r.action for r in store.merge([old])] == ["older"]
        assert store.query("SELECT count(*) n FROM attendance")["n"][0] == 100


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


def test_pseudonymised_and_aggregate_give_the_same_indicators(network_dir, tmp_path):
    folder = network_dir / "dk-903-keep"
    vals = {}
    for level in ("pseudonymised", "aggregate"):
        pkg = export_package(folder, tmp_path / f"{level}.zip", level=level, k=1)
        with NetworkStore(tmp_path / f"{level}.duckdb") as store:
            store.merge([pkg])
            vals[level] = store.indicators().set_index("indicator")["value"]
    for ind in ("completion", "dropout", "dose", "adherence", "acceptability", "reach",
                "adoption", "sic_stage"):
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
        assert b["network_median"].isna().all() and b["network_q1"].isna().all()
        assert set(b["intervention"]) == {"keep"}
        assert b["as_of"].notna().all()
        assert pkg.meta["share_back"] is True and pkg.meta["as_of"]


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
    """Within one merge the newer package wins and the older is reported, not dropped."""
    import time

    folder = network_dir / "dk-901-keep"
    first = export_package(folder, tmp_path / "first.zip", level="pseudonymised")
    time.sleep(1.1)
    second = export_package(folder, tmp_path / "second.zip", level="pseudonymised")
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge([second, first])
        assert [r.action for r in results] == ["imported", "older"]
        results = NetworkStore.merge(store, [first])
        assert results[0].action == "older"
        assert len(store.provenance()) == 1
        files = sorted(p.name for p in (store.data_dir / "attendance").iterdir())
        assert files == [f"{store.provenance()['package_id'][0]}.parquet"]  # no leftovers
    with NetworkStore(tmp_path / "net2.duckdb") as store:
        results = store.merge([first, second])
        assert [r.action for r in results] == ["older", "imported"]
        assert len(list((store.data_dir / "attendance").iterdir())) == 1


def test_store_with_a_missing_data_file_is_reported_damaged(packages, tmp_path):
    from implementere_kit import ImplementereError

    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(packages[:2])
        victim = next((store.data_dir / "attendance").iterdir())
    victim.unlink()
    with pytest.raises(ImplementereError, match="damaged"):
        NetworkStore(tmp_path / "net.duckdb")
