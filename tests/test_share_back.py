"""Disclosure control that survives differencing: attacks on share-back packages and on the
breakdowns of aggregate packages, by a site that knows its own counts, recover nothing
about another site below k."""

from __future__ import annotations

import itertools
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from implementere_kit import NetworkStore
from implementere_kit.exchange.aggregate import suppress_sums
from implementere_kit.exchange.outputs import share_back_rows
from implementere_kit.exchange.package import export_package
from implementere_kit.exchange.validate import open_package

K = 5


def ind(rows, indicator="completion", intervention="keep"):
    """Site indicator rows: (site, numerator, denominator[, suppressed])."""
    out = []
    for r in rows:
        site, num, den = r[:3]
        hidden = r[3] if len(r) > 3 else False
        out.append({"site": site, "intervention": intervention, "period": "all",
                    "indicator": indicator, "n": den, "numerator": num, "denominator": den,
                    "value": np.nan if hidden or not den else num / den, "suppressed": hidden,
                    "reason": "small_count" if hidden else None})
    return pd.DataFrame(out)


def participants(sites):
    """Participant counts per site: what decides who is compared at all."""
    return pd.DataFrame([{"site": s, "intervention": "keep", "period": "all",
                          "indicator": "participants", "n": n, "numerator": n,
                          "denominator": np.nan, "value": float(n), "suppressed": False,
                          "reason": None} for s, n in sites])


def solutions(p0: float, own_num: int, own_den: int, most: int = 150):
    """Every (others' numerator, others' denominator) an attacker finds consistent with a
    published network value, knowing its own counts (exact rational reconstruction)."""
    return {(x, y) for y in range(1, most) for x in range(y + 1)
            if (own_num + x) / (own_den + y) == p0}


def test_three_sites_quartiles_never_leave():
    """Median and quartiles of three sites are the three values: never shared back."""
    data = ind([("901", 8, 10), ("902", 14, 20), ("903", 30, 40)])
    for site in ("901", "902", "903"):
        rows = share_back_rows(data, site, K)
        assert rows[["network_median", "network_q1", "network_q3"]].isna().all().all()
        assert len(rows) == 1 and set(rows["site"]) == {site}


def test_pooled_value_pins_only_the_others_together():
    data = ind([("901", 8, 10), ("902", 14, 20), ("903", 30, 40)])
    row = share_back_rows(data, "901", K).iloc[0]
    assert row["network_value"] == pytest.approx(52 / 70)
    found = solutions(row["network_value"], 8, 10)
    assert (44, 60) in found
    # the attacker learns the other two sites' total at best; each split of it into the
    # two sites' counts (both at least k people) is possible, so neither site is solved
    splits = {(a, b) for x, y in found for a in range(x + 1) for b in range(y + 1)
              if K <= b <= y - K and a <= b and x - a <= y - b}
    assert len({a for a, _ in splits}) > 1 and len({b for _, b in splits}) > 1


def test_one_other_site_is_never_compared():
    """Two sites: the network value would be the other site's value."""
    rows = share_back_rows(ind([("901", 8, 10), ("902", 14, 20)]), "901", K)
    assert rows["network_value"].isna().all()
    assert rows["network_reason"].tolist() == ["too_few_sites"]
    # three sites where one has no data: the same
    rows = share_back_rows(ind([("901", 8, 10), ("902", 14, 20), ("903", 0, 0)]), "901", K)
    assert rows["network_value"].isna().all()


def test_a_small_count_of_the_others_is_withheld():
    """Others' non-completers 2 + 1 = 3 < k: the pooled value would reveal them."""
    data = ind([("901", 8, 10), ("902", 18, 20), ("903", 39, 40)])
    row = share_back_rows(data, "901", K).iloc[0]
    assert np.isnan(row["network_value"]) and row["network_reason"] == "small_count"
    # 902 sees 901's 2 and 903's 1 non-completers: 3 again
    assert share_back_rows(data, "902", K)["network_reason"].tolist() == ["small_count"]


def test_a_suppressed_site_withholds_the_figure_for_everyone():
    """A pool without 902 beside a pool with it would give 902 away."""
    data = ind([("901", 8, 10), ("902", 2, 20, True), ("903", 30, 40), ("904", 5, 9)])
    for site in ("901", "903", "904"):
        row = share_back_rows(data, site, K).iloc[0]
        assert np.isnan(row["network_value"]) and row["network_reason"] == "site_suppressed"


def test_a_site_with_fewer_than_k_participants_is_in_no_figure():
    base = [("901", 8, 10), ("902", 14, 20), ("903", 30, 40)]
    seen = []
    for small in ((0, 3), (3, 3), (1, 2)):
        data = pd.concat([ind([*base, ("904", *small)]),
                          participants([("901", 10), ("902", 20), ("903", 40),
                                        ("904", small[1])])], ignore_index=True)
        rows = share_back_rows(data, "901", K).set_index("indicator")
        assert rows.loc["completion", "n_sites_excluded"] == 1
        seen.append(rows.loc["completion", ["network_value", "n_sites"]].tolist())
    # whatever 904 did, what 901 receives is the same: nothing about 904 leaves
    assert seen[0] == seen[1] == seen[2] and seen[0][0] == pytest.approx(52 / 70)


def test_breakdowns_of_an_aggregate_package_cannot_be_subtracted():
    def sums(values):
        return pd.DataFrame([{"site": "903", "intervention": "keep", "level": lv, "period": p,
                              "sum": s, "value": float(v), "suppressed": False, "reason": None}
                             for (lv, p, s), v in values.items()])

    # drop-outs: 9 in all, 3 in 2024 (hidden), 6 in 2025 — the total minus 2025 gives 2024
    out = suppress_sums(sums({("all", "all", "n_enrolled"): 30, ("year", "2024", "n_enrolled"): 10,
                              ("year", "2025", "n_enrolled"): 20,
                              ("all", "all", "n_dropped_out"): 9,
                              ("year", "2024", "n_dropped_out"): 3,
                              ("year", "2025", "n_dropped_out"): 6}))
    got = out.set_index(["period", "sum"])
    assert got.loc[("all", "n_dropped_out"), "value"] == 9
    assert got.loc[("2024", "n_dropped_out"), "reason"] == "small_count"
    assert got.loc[("2025", "n_dropped_out"), "reason"] == "breakdown"
    assert got.loc[("2025", "n_enrolled"), "value"] == 20  # other sums keep their years
    # a hidden total withholds its years too (they would add up to it)
    out = suppress_sums(sums({("all", "all", "n_enrolled"): 30,
                              ("all", "all", "n_dropped_out"): 3,
                              ("year", "2024", "n_enrolled"): 10,
                              ("year", "2024", "n_dropped_out"): 0,
                              ("year", "2025", "n_enrolled"): 20,
                              ("year", "2025", "n_dropped_out"): 3}))
    assert out[out["sum"] == "n_dropped_out"]["value"].isna().all()
    # fewer than k people: every sum of the measures they stand behind
    out = suppress_sums(sums({("all", "all", "n_enrolled"): 4, ("all", "all", "n_ended"): 2,
                              ("all", "all", "n_dropped_out"): 0}))
    assert out["suppressed"].all() and set(out["reason"]) == {"below_k"}


def test_share_back_of_the_example_network_survives_the_attacks(tmp_path):
    # full scale; a copy, since an export numbers itself in the project (export_seq)
    example = tmp_path / "example"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "example", example)
    pkgs = [export_package(f.parent, tmp_path / f"{f.parent.name}.zip",
                           level="aggregate" if i % 2 else "pseudonymised")
            for i, f in enumerate(sorted(example.glob("*/project.json")))]
    with NetworkStore(tmp_path / "net.duckdb") as store:
        store.merge(pkgs)
        written = store.share_back(tmp_path / "sb")
        truth = store.indicators()  # what the coordinator holds, unsuppressed
    assert len(written) == 9
    published = attacked = 0
    for path in written:
        with open_package(path) as pkg:
            b = pkg.frame("benchmarks")
        site = b["site"].iloc[0]
        assert set(b["site"]) == {site} and set(b["period"]) == {"all"}
        # never shared back; since the merge with the allow-list not even as empty columns
        assert not {"network_median", "network_q1", "network_q3"} & set(b.columns)
        for _, r in b[b["network_value"].notna()].iterrows():
            assert r["n_sites"] >= 3
            published += 1
            same = truth[(truth["intervention"] == r["intervention"])
                         & (truth["indicator"] == r["indicator"])]
            if r["indicator"] not in ("completion", "dropout", "completion_enrolled"):
                continue
            attacked += 1
            people = truth[(truth["indicator"] == "participants")
                           & (truth["intervention"] == r["intervention"])]
            small = set(people.loc[people["value"].between(1, K - 1), "site"])
            others = same[(same["site"] != site) & ~same["site"].isin(small)]
            mine = same[same["site"] == site].iloc[0]
            x, y = int(others["numerator"].sum()), int(others["denominator"].sum())
            # what the others' part really is passes the threshold …
            assert y >= K and not 1 <= x < K and not 1 <= y - x < K
            # … and where the attacker's equations leave one answer, it is that part,
            # a total over two or more sites
            found = solutions(r["network_value"], int(mine["numerator"]),
                              int(mine["denominator"]), most=y + 5)
            assert (x, y) in found and len(others) >= 2
    # figures do go back, people's counts among them, and the attack found nothing
    assert published > 20 and attacked > 0


def test_rational_reconstruction_is_what_the_rules_assume():
    """The attacker's tool works: a float pooled value does give the others' total."""
    p0 = (8 + 44) / (10 + 60)
    assert (44, 60) in solutions(p0, 8, 10)
    assert Fraction(p0).limit_denominator(200) == Fraction(52, 70)
    assert len(list(itertools.islice(iter(solutions(p0, 8, 10)), 3))) >= 1
