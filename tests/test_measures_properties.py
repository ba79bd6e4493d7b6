"""Property: on random sites with every end reason, each measure has one value — from the
project, from its aggregate package and from its pseudonymised package (through a network
store), for the whole period and per year; a value the aggregate package suppresses is
marked as suppressed with its reason, never shown as a smaller one."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from implementere_kit import NetworkStore, Project
from implementere_kit.exchange.aggregate import SAFE_K
from implementere_kit.exchange.package import export_package
from implementere_kit.measures import catalogue
from implementere_kit.measures.catalogue import measures
from implementere_kit.measures.summary import site_measures
from implementere_kit.plans.intervention import load_intervention

REASONS = [None, "graduated", "completed", "dropped_out", "moved", "referred_elsewhere",
           "other"]
AS_OF = pd.Timestamp("2026-06-30")
NETWORK = [i for i, m in measures().items() if m.network]


def make_site(root: Path, iv_id: str, reasons: list, seed: int) -> Path:
    """A small random project; ``reasons`` gives each participant's end reason."""
    rng = np.random.default_rng(seed)
    iv = load_intervention(iv_id)
    n = len(reasons)
    groups = [f"g{i}" for i in rng.integers(1, 4, n)]
    enrolled = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    ended = [e + pd.Timedelta(days=int(rng.integers(20, 200))) if r or rng.random() < 0.2
             else pd.NaT for e, r in zip(enrolled, reasons, strict=True)]
    ended = [d if pd.isna(d) or d <= AS_OF else AS_OF for d in ended]
    ended = [pd.NaT if (r is not None and rng.random() < 0.2) else d  # a reason, no date
             for d, r in zip(ended, reasons, strict=True)]
    parts = pd.DataFrame({"participant_id": [f"p{i:03d}" for i in range(n)], "site": "903",
                          "group_id": groups, "enrolled": enrolled, "ended": ended,
                          "end_reason": reasons})
    top = iv.dosage.max_sessions or iv.dosage.sessions
    rows = []
    for pid in parts["participant_id"]:
        k = int(rng.integers(0, top + 1))
        for s in rng.choice(np.arange(1, top + 1), k, replace=False):
            rows.append((pid, int(s), bool(rng.random() < 0.9), bool(rng.random() < 0.15)))
    att = pd.DataFrame(rows, columns=["participant_id", "session_no", "attended", "makeup"])
    staff_ids = [f"s{i}" for i in range(int(rng.integers(2, 9)))]
    ses = pd.DataFrame({"site": "903", "group_id": [g for g in sorted(set(groups))
                                                    for _ in range(3)],
                        "session_no": [s for _ in sorted(set(groups)) for s in (1, 2, 3)]})
    ses["date"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(
        rng.integers(0, 800, len(ses)), unit="D")
    ses["date"] = ses["date"].clip(upper=AS_OF)
    ses["duration_min"] = rng.choice([60.0, 76.0, 90.0, np.nan], len(ses))
    ses["leaders"] = [";".join(rng.choice(staff_ids, int(rng.integers(1, 3)))) for _ in
                      range(len(ses))]
    staff = pd.DataFrame({"practitioner_id": staff_ids, "site": "903",
                          "trained": pd.Timestamp("2023-10-01")})
    comps = [c.id for c in iv.components]
    n_chk = int(rng.integers(1, 5))
    chk = pd.DataFrame({"check_id": np.repeat([f"k{i}" for i in range(n_chk)], len(comps)),
                        "site": "903", "date": pd.Timestamp("2025-02-01"),
                        "item": np.tile(comps, n_chk), "component": np.tile(comps, n_chk),
                        "delivered": rng.choice(["yes", "partly", "no", "na"],
                                                n_chk * len(comps))})
    surveys = pd.DataFrame([(r, "903", "aim", w, pd.Timestamp(f"202{4 + w}-01-10"),
                             f"aim_{i}", int(rng.integers(1, 6)))
                            for r in staff_ids for w in (1, 2) for i in range(1, 5)
                            if rng.random() < 0.9],
                           columns=["respondent_id", "site", "instrument", "wave", "date",
                                    "item", "value"])
    elig = pd.DataFrame({"site": "903", "period": ["2023", "2024", "2025", "2026"],
                         "n_eligible": rng.integers(0, 40, 4)})
    sic = pd.DataFrame({"site": "903", "stage": [1, 2, 3, 4, 5],
                        "activity": list("abcde"),
                        "date": pd.to_datetime(["2023-01-05", "2023-02-01", "2023-04-01",
                                                "2023-09-01", None])})
    p = Project.create(root / iv_id, site="903", country="DK", intervention=iv,
                       start="2023-01-01", site_name="Havnstrup")
    for name, df in (("participants", parts), ("attendance", att), ("sessions", ses),
                     ("staff", staff), ("fidelity_checks", chk), ("survey_responses", surveys),
                     ("eligible", elig), ("sic_events", sic)):
        p.set_table(name, df)
    p.save()
    return p.path


def from_store(pkg: Path, root: Path, level: str) -> pd.DataFrame:
    with NetworkStore(root / f"{level}.duckdb") as store:
        store.merge([pkg])
        return pd.concat([store.indicators(as_of=AS_OF, level=lv) for lv in ("all", "year")],
                         ignore_index=True)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(iv_id=st.sampled_from(["keep", "fft"]),
       reasons=st.lists(st.sampled_from(REASONS), min_size=1, max_size=16),
       completion=st.sampled_from(catalogue.COMPLETION_RULES),
       seed=st.integers(0, 2**31 - 1), k=st.sampled_from([3, 5]))
@example(iv_id="keep", reasons=REASONS * 2, completion="attendance", seed=1, k=5)
@example(iv_id="fft", reasons=REASONS * 2, completion="recorded", seed=2, k=5)
def test_one_value_from_project_and_both_packages(iv_id, reasons, completion, seed, k):
    real = catalogue.completion_rule
    catalogue.completion_rule = lambda iv: completion  # how this intervention completes
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            folder = make_site(root, iv_id, reasons, seed)
            # one as-of date for all three
            own = site_measures(folder, as_of=AS_OF, ids=NETWORK, lang="en",
                                levels=("all", "year"))
            pseudo = from_store(export_package(folder, root / "p.zip", level="pseudonymised"),
                                root, "pseudonymised")
            agg = from_store(export_package(folder, root / "a.zip", level="aggregate", k=k,
                                            allow_small_k=k < SAFE_K, as_of=AS_OF),
                              root, "aggregate")
    finally:
        catalogue.completion_rule = real
    whole = own[own["level"] == "all"].set_index("measure")
    assert whole.loc["participants", "value"] == len(reasons)  # every family, counted once
    key = ["period", "indicator"]
    ps = pseudo.set_index(key)
    ag = agg.set_index(key)
    for _, r in own.iterrows():
        at = (r["period"], r["measure"])
        mine = r["value"]
        # pseudonymised: always the project's value (no row-level cell is hidden)
        theirs = ps.loc[at, "value"] if at in ps.index else np.nan
        assert (np.isnan(mine) and np.isnan(theirs)) or theirs == pytest.approx(
            mine, abs=1e-12), at
        if r["level"] == "month":
            continue
        if at in ag.index and ag.loc[at, "suppressed"]:
            assert np.isnan(ag.loc[at, "value"])
            assert ag.loc[at, "reason"] in ("below_k", "small_count", "breakdown"), at
            continue
        theirs = ag.loc[at, "value"] if at in ag.index else np.nan
        assert (np.isnan(mine) and np.isnan(theirs)) or theirs == pytest.approx(
            mine, abs=1e-12), at
    # what the aggregate package published never shows 1 … k−1 people or drop-outs
    shown = agg[~agg["suppressed"]].set_index("indicator")
    for i in ("participants", "dropout"):
        if i in shown.index:
            counts = shown.loc[[i], "numerator"].astype(float)
            assert not counts.between(1, k - 1).any(), i
    # nor the families who did not drop out, when they are 1 … k−1 (docs/privacy.md)
    if "dropout" in shown.index:
        rest = (shown.loc[["dropout"], "denominator"] - shown.loc[["dropout"], "numerator"])
        assert not rest.astype(float).between(1, k - 1).any()
