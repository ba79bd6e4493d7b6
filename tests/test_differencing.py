"""Disclosure control over time: a receiver who keeps every package a site exported, or every
share-back it was sent, and subtracts them, learns nothing about fewer than k people."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implementere_kit import NetworkStore
from implementere_kit.errors import ImplementereError
from implementere_kit.exchange.differencing import suppress_differences
from implementere_kit.exchange.outputs import share_back_rows
from implementere_kit.exchange.package import export_package
from implementere_kit.exchange.validate import open_package
from implementere_kit.measures.catalogue import measures

from .test_share_back import ind, participants

K = 5
EXAMPLE = "data/example/dk-903-keep"  # KEEP, 2022-06 onwards, aggregate level in the demo


def windows(agg: pd.DataFrame) -> pd.DataFrame:
    """The attacker's own reading of what each published cell covers: the whole period
    counts every row up to its day, whatever the project's start says."""
    out = agg.copy()
    as_of = pd.Timestamp(out["as_of"].iloc[0])
    year = out["level"] == "year"
    out["lo"] = [pd.Timestamp(f"{p}-01-01") if y else pd.Timestamp.min
                 for p, y in zip(out["period"], year, strict=True)]
    out["hi"] = [min(pd.Timestamp(f"{p}-12-31"), as_of) if y else as_of
                 for p, y in zip(out["period"], year, strict=True)]
    return out


def leaks(packages: list[pd.DataFrame], k: int) -> list[tuple]:
    """Every difference of two published figures about 1 … k−1 people or sensitive events:
    the population, the sensitive count or its rest, of the same measure, over two nested
    windows of any two packages."""
    found = []
    cells = []
    for i, agg in enumerate(packages):
        w = windows(agg[~agg["suppressed"]])
        for (lv, pe), g in w.groupby(["level", "period"]):
            cells.append((i, lv, pe, g["lo"].iloc[0], g["hi"].iloc[0],
                          dict(zip(g["sum_id"], g["value"], strict=True))))
    for a, b in itertools.combinations(cells, 2):
        if a[0] == b[0]:
            continue  # within one package: the breakdown rule's business, tested elsewhere
        nested = (a[3] <= b[3] and b[4] <= a[4]) or (b[3] <= a[3] and a[4] <= b[4])
        if not nested:
            continue
        va, vb = a[5], b[5]
        for m in measures().values():
            def diff(s, va=va, vb=vb):
                return va[s] - vb[s] if s in va and s in vb else np.nan
            counts = {}
            if m.population:
                counts["population"] = diff(m.population)
            if "numerator" in m.sensitive:
                counts["numerator"] = diff(m.numerator)
            if "complement" in m.sensitive and m.denominator:
                counts["complement"] = diff(m.denominator) - diff(m.numerator)
            for what, d in counts.items():
                if not np.isnan(d) and 1 <= abs(d) < k:
                    found.append((m.id, what, a[:3], b[:3], d))
    return found


def published(path) -> pd.DataFrame:
    with open_package(path) as pkg:
        return pkg.frame("agg_measures")


@pytest.fixture
def project(tmp_path):
    dst = tmp_path / "p"
    shutil.copytree(EXAMPLE, dst)
    return dst


def test_monthly_exports_cannot_be_subtracted(project, tmp_path):
    """Six month-end exports of one site: the unprotected figures would leak (the rule has
    work to do), the exported ones do not, and a hidden figure carries the reason."""
    from implementere_kit.exchange.aggregate import aggregate_tables
    from implementere_kit.store.project import Project

    days = ["2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31", "2025-01-31", "2025-02-28"]
    p = Project.open(project)
    tables = {n: p.table(n) for n in p.table_names if len(p.table(n))}
    raw = [aggregate_tables(p, tables, k=K, as_of=d)["agg_measures"] for d in days]
    assert leaks(raw, K), "without the ledger the exports can be subtracted"

    out = [published(export_package(project, tmp_path / f"e{i}.zip", as_of=d))
           for i, d in enumerate(days)]
    assert leaks(out, K) == []
    reasons = set(pd.concat(out)["reason"].dropna())
    assert "differencing" in reasons
    log = Project.open(project).audit_log()
    assert list(log.loc[log["action"] == "aggregate_published", "export_seq"]) == [1, 2, 3, 4,
                                                                                     5, 6]


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.dates(min_value=pd.Timestamp("2023-01-01").date(),
                              max_value=pd.Timestamp("2025-12-31").date()),
                     min_size=2, max_size=4),
       k=st.sampled_from([5, 7]))
def test_random_export_days_never_leak(project, tmp_path_factory, days, k):
    """Exports on random days, in any order (a back-dated export is subtracted too)."""

    folder = tmp_path_factory.mktemp("run")
    work = folder / "p"
    shutil.copytree(project, work)
    out = [published(export_package(work, folder / f"e{i}.zip", as_of=d, k=k))
           for i, d in enumerate(days)]
    assert leaks(out, k) == []


def test_a_refused_export_does_not_hold_back_the_next(project, tmp_path):
    """A package refused before writing is recorded as not written, and later exports are
    not compared with it."""
    from implementere_kit.errors import ValidationError
    from implementere_kit.store.project import Project

    with pytest.raises(ValidationError):
        export_package(project, tmp_path / "x.zip", fmt="xml", as_of="2024-09-30")
    log = Project.open(project).audit_log()
    assert log["action"].tolist() == ["aggregate_published", "aggregate_not_written"]
    assert log["export_seq"].nunique() == 1 and not (tmp_path / "x.zip").exists()
    a = published(export_package(project, tmp_path / "a.zip", as_of="2024-10-31"))
    b = published(export_package(project, tmp_path / "b.zip", as_of="2024-10-31"))
    # the same day twice: nothing changed, nothing more is hidden
    pd.testing.assert_frame_equal(a, b)


def test_a_figure_returns_once_it_changed_by_k():
    before = pd.DataFrame({"export": 1, "level": "all", "period": "all",
                           "sum": ["n_enrolled", "n_dropped_out"], "value": [20.0, 6.0],
                           "lo": "2024-01-01", "hi": "2024-06-30"})

    def now(n, d):
        return pd.DataFrame({"site": "903", "level": "all", "period": "all",
                             "sum": ["n_enrolled", "n_dropped_out"], "value": [n, d],
                             "suppressed": False, "reason": None,
                             "as_of": pd.Timestamp("2024-09-30")})

    # four more families, none dropped out: the four are under k
    assert suppress_differences(now(24.0, 6.0), before, K)["value"].isna().all()
    # five more, two of them dropped out: the population may show, the drop-outs not
    out = suppress_differences(now(25.0, 8.0), before, K)
    assert out["value"].tolist()[0] == 25.0 and np.isnan(out["value"].tolist()[1])
    assert out["reason"].tolist() == [None, "differencing"] or \
        list(out["reason"].fillna("-")) == ["-", "differencing"]
    # ten more, five dropped out: everything shows again
    out = suppress_differences(now(30.0, 11.0), before, K)
    assert not out["suppressed"].any() and out["value"].tolist() == [30.0, 11.0]


def test_windows_that_are_not_nested_are_not_compared():
    before = pd.DataFrame({"export": 1, "level": "year", "period": "2023",
                           "sum": ["n_enrolled"], "value": [20.0],
                           "lo": "2023-01-01", "hi": "2023-12-31"})
    now = pd.DataFrame({"site": "903", "level": "year", "period": "2024", "sum": ["n_enrolled"],
                        "value": [21.0], "suppressed": False, "reason": None,
                        "as_of": pd.Timestamp("2024-09-30")})
    assert not suppress_differences(now, before, K)["suppressed"].any()


# -- share-back ---------------------------------------------------------------------------
def network_of(num: int, den: int):
    """Three sites of KEEP; site 902 has ``den`` families, ``num`` of them completed."""
    data = ind([("901", 8, 10), ("902", num, den), ("903", 30, 40)])
    return pd.concat([data, participants([("901", 10), ("902", den), ("903", 40)])],
                     ignore_index=True)


def told(rows, site="901"):
    shown = rows[rows["network_value"].notna()]
    return pd.DataFrame({"site": site, "intervention": shown["intervention"],
                         "indicator": shown["indicator"], "as_of": "2025-01-31",
                         "n": shown["others_n"], "numerator": shown["others_numerator"],
                         "denominator": shown["others_denominator"]})


def test_a_share_back_is_not_subtracted_from_the_last_one():
    first = share_back_rows(network_of(14, 20), "901", K)
    comp = first[first["indicator"] == "completion"]
    assert comp["network_value"].notna().all()
    earlier = told(first)
    # one more family completed at 902: the pooled value would give it away
    again = share_back_rows(network_of(14, 21), "901", K, earlier)
    comp = again[again["indicator"] == "completion"]
    assert comp["network_value"].isna().all()
    assert comp["network_reason"].tolist() == ["differencing"]
    # nothing changed: the same figure may go out again
    same = share_back_rows(network_of(14, 20), "901", K, earlier)
    assert same.loc[same["indicator"] == "completion", "network_value"].notna().all()
    # other sites' records say nothing about this one's
    other = earlier.assign(site="903")
    fine = share_back_rows(network_of(14, 21), "901", K, other)
    assert fine.loc[fine["indicator"] == "completion", "network_value"].notna().all()


def test_share_back_records_what_it_told_and_needs_a_writable_store(tmp_path):
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE.rsplit("/", 1)[0], example)
    folders = sorted(p.parent for p in example.glob("*/project.json"))
    pkgs = [export_package(f, tmp_path / f"{f.name}.zip", level="pseudonymised")
            for f in folders]
    store_path = tmp_path / "n.duckdb"
    with NetworkStore(store_path) as store:
        store.merge(pkgs)
        store.share_back(tmp_path / "sb1")
        first = store.shared_back()
        assert len(first) and set(first["site"]) <= {f.name.split("-")[1] for f in folders}
        assert first[["n", "denominator"]].notna().all().all()
        store.share_back(tmp_path / "sb2")  # unchanged data: told the same again
        assert len(store.shared_back()) == 2 * len(first)
    with NetworkStore(store_path, read_only=True) as store, \
            pytest.raises(ImplementereError, match="read-only"):
        store.share_back(tmp_path / "sb3")
    assert not (tmp_path / "sb3").exists()


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=2,
                      max_size=6))
def test_share_backs_over_time_never_reveal_a_small_change(steps):
    """Site 902 grows by random numbers of families and completers between share-backs to
    901; every pair of figures 901 was shown differs in the others' people and completers
    (and non-completers) by 0 or at least k."""
    den, num = 20, 14
    earlier = None
    seen = []
    for add_den, add_num in steps:
        den += add_den
        num += min(add_num, add_den)
        rows = share_back_rows(network_of(num, den), "901", K, earlier)
        rec = told(rows)
        earlier = rec if earlier is None else pd.concat([earlier, rec], ignore_index=True)
        comp = rows[(rows["indicator"] == "completion") & rows["network_value"].notna()]
        seen += [(r.others_numerator, r.others_denominator) for r in comp.itertuples()]
    for (n1, d1), (n2, d2) in itertools.combinations(seen, 2):
        for change in (d2 - d1, n2 - n1, (d2 - n2) - (d1 - n1)):
            assert change == 0 or abs(change) >= K


def test_two_exports_at_once_are_compared_with_each_other(project, tmp_path, monkeypatch):
    """The app and the command line export at the same moment: the one that records second
    compares its figures again with what the first published."""
    from implementere_kit.exchange import package
    from implementere_kit.store.project import Project

    real = package._export_tables
    calls = []

    def racing(*args, **kw):
        out = real(*args, **kw)
        calls.append(1)
        if len(calls) == 1:  # another export lands while this one computes
            export_package(project, tmp_path / "other.zip", as_of="2024-10-31")
        return out

    monkeypatch.setattr(package, "_export_tables", racing)
    mine = export_package(project, tmp_path / "mine.zip", as_of="2024-11-30")
    monkeypatch.setattr(package, "_export_tables", real)
    assert len(calls) == 3  # mine, the other, mine again
    both = [published(tmp_path / "other.zip"), published(mine)]
    assert leaks(both, K) == []
    log = Project.open(project).audit_log()
    assert log.loc[log["action"] == "aggregate_published", "export_seq"].tolist() == [1, 2]


def test_a_lost_record_stops_aggregate_exports_until_confirmed(project, tmp_path):
    """audit.jsonl deleted after two exports: the next aggregate export would compare with
    nothing, so it is refused (row-level exports go on) until a reviewer confirms the loss,
    which the log keeps."""
    from implementere_kit.errors import ProjectError, ValidationError
    from implementere_kit.store.project import Project

    export_package(project, tmp_path / "a.zip", as_of="2024-09-30")
    export_package(project, tmp_path / "b.zip", level="pseudonymised")
    (project / "audit.jsonl").unlink()
    with pytest.raises(ProjectError, match="record-lost"):
        export_package(project, tmp_path / "c.zip", as_of="2024-10-31")
    assert not (tmp_path / "c.zip").exists()
    export_package(project, tmp_path / "d.zip", level="pseudonymised")  # rows: no record read
    p = Project.open(project)
    with pytest.raises(ValidationError):
        p.confirm_lost_export_record(reason="short", reviewer="DPO")
    p.confirm_lost_export_record(reason="Laptop replaced, no backup of the log",
                                 reviewer="Data protection officer")
    export_package(project, tmp_path / "e.zip", as_of="2024-10-31")
    actions = Project.open(project).audit_log()["action"].tolist()
    assert actions == ["rows_exported", "export_record_lost", "aggregate_published"]


def test_record_lost_at_the_command_line(project, tmp_path, capsys):
    """One line, exit 1, in the project's language (Danish) while the record is incomplete;
    the reviewer's confirmation lets the next export go."""
    from implementere_kit.cli import main

    assert main(["export", str(project), "-o", str(tmp_path / "a.zip")]) == 0
    (project / "audit.jsonl").unlink()
    capsys.readouterr()
    assert main(["export", str(project), "-o", str(tmp_path / "b.zip")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "revisionsloggen" in err and "record-lost" in err
    assert main(["privacy", "record-lost", str(project), "--reason",
                 "Loggen blev slettet ved en fejl", "--reviewer", "DPO"]) == 0
    assert "nummer 1" in capsys.readouterr().out
    assert main(["export", str(project), "-o", str(tmp_path / "b.zip")]) == 0
