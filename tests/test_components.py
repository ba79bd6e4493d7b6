"""Which components matter: exposure from the one definition of dose and adherence; the
models checked against an independent computation."""

import numpy as np
import pandas as pd
import pytest

import implementere_kit as ik
from implementere_kit.errors import ValidationError
from implementere_kit.measures.components import _fit, component_data


def test_exposure_uses_attendance_summary_and_adherence(havnstrup):
    p = ik.Project.open(havnstrup)
    e = ik.participant_exposure(p, received="group").set_index("participant_id")
    s = ik.attendance_summary(p.table("attendance"), p.intervention.dosage,
                              p.table("participants")).set_index("participant_id")
    assert e["dose"].to_dict() == pytest.approx(s["attendance_rate"].to_dict())
    assert (e["graduated"] == s["graduated"]).all()
    per_group = ik.adherence(p.table("fidelity_checks"), by=("group_id", "component"))
    one = per_group[per_group["component"] == "role_play"].set_index("group_id")["adherence"]
    want = e["group_id"].map(one)
    assert e["adherence_role_play"].tolist() == pytest.approx(want.tolist(), nan_ok=True)
    core = ik.adherence(p.table("fidelity_checks"), by=("group_id",),
                        intervention=p.intervention).set_index("group_id")["core_adherence"]
    assert e["core_adherence"].tolist() == pytest.approx(e["group_id"].map(core).tolist(),
                                                         nan_ok=True)


def test_attended_delivery_counts_only_sessions_attended(havnstrup):
    p = ik.Project.open(havnstrup)
    e = ik.participant_exposure(p).set_index("participant_id")
    att, checks = p.table("attendance"), p.table("fidelity_checks")
    pid = e.index[e["core_adherence"].notna()][0]
    group = e.loc[pid, "group_id"]
    seen = set(att.loc[(att["participant_id"] == pid) & att["attended"], "session_no"])
    mine = checks[(checks["group_id"] == group) & checks["session_no"].isin(seen)
                  & (checks["component"] == "curriculum")]
    per_session = mine.assign(s=mine["delivered"].map({"yes": 1, "partly": 0.5, "no": 0})) \
        .groupby("session_no")["s"].mean()
    if len(per_session):
        assert e.loc[pid, "adherence_curriculum"] == pytest.approx(per_session.mean())


def _synthetic(n_sites: int, n_per: int = 60, slope: float = 3.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    site = np.repeat([f"9{i:02d}" for i in range(n_sites)], n_per)
    shift = np.repeat(rng.normal(0, 2, n_sites), n_per)
    dose = rng.uniform(0.2, 1, len(site))
    pre = rng.normal(40, 8, len(site))
    y = shift + slope * dose * 4 + 0.2 * (pre - 40) + rng.normal(0, 2, len(site))
    X = pd.DataFrame({"dose": dose, "pre_score": pre})
    return y, X, site


def test_one_site_ols_hc3_matches_the_sandwich_by_hand():
    y, X, site = _synthetic(1, 40)
    est, method, _ = _fit(y, X, site, 0.95)
    assert "OLS" in method and "one site" in method
    A = np.column_stack([np.ones(len(y)), X.to_numpy()])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ beta
    bread = np.linalg.inv(A.T @ A)
    h = np.einsum("ij,jk,ik->i", A, bread, A)
    meat = (A * (resid**2 / (1 - h) ** 2)[:, None]).T @ A
    se = np.sqrt(np.diag(bread @ meat @ bread))
    assert est["estimate"].tolist() == pytest.approx(beta[1:].tolist())
    half = (est["ci_high"] - est["ci_low"]).to_numpy() / 2
    assert half == pytest.approx(1.959964 * se[1:], rel=1e-5)


def test_several_sites_use_a_random_intercept_and_find_the_slope():
    y, X, site = _synthetic(5, 80, slope=3.0)
    est, method, _ = _fit(y, X, site, 0.95)
    assert method.startswith("MixedLM")
    lo, hi = est.loc["dose", ["ci_low", "ci_high"]]
    assert lo < 12.0 < hi  # the true dose effect: 3 × 4 points from no dose to full dose
    # with many families per site the site intercepts are estimated well: the fixed-effect
    # slope agrees with OLS on site dummies
    dummies = pd.get_dummies(site, drop_first=True, dtype=float)
    A = np.column_stack([np.ones(len(y)), X.to_numpy(), dummies.to_numpy()])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    assert est.loc["dose", "estimate"] == pytest.approx(beta[1], abs=0.3)


def test_two_sites_get_a_fixed_site_effect_with_a_reason():
    y, X, site = _synthetic(2, 50)
    _, method, _ = _fit(y, X, site, 0.95)
    assert "two sites are too few" in method


def test_analysis_of_a_network_says_it_is_observational(network_dir):
    projects = sorted(p.parent for p in network_dir.glob("dk-*/project.json"))
    ca = ik.component_analysis(projects)
    assert ca.attrs["design"].startswith("observational")
    assert set(ca["design"]) == {"observational"}
    assert set(ca["intervention"]) == {"keep"}
    fitted = ca.dropna(subset=["estimate"])
    # a random intercept, or, where that fit is singular, fixed site effects that say why
    assert (fitted["method"].str.startswith("MixedLM")
            | fitted["method"].str.contains("MixedLM gave no standard errors")).all()
    assert (fitted["n_sites"] >= 3).all()
    assert {"dose", "core", "component:role_play"} <= set(ca["model"])
    assert (fitted["ci_low"] <= fitted["estimate"]).all()
    assert (fitted["estimate"] <= fitted["ci_high"]).all()
    flexible = ca[ca["component"] == "refreshments"]
    assert set(flexible["kind"]) == {"flexible"}


def test_improvement_is_turned_so_that_positive_is_better(havnstrup):
    d = component_data(ik.Project.open(havnstrup), instrument="pss")
    assert d.attrs["higher_is_better"] is False
    assert (d["improvement"] == -(d["post"] - d["pre"])).all()


def test_no_outcomes_gives_an_empty_table_with_the_design_note(tmp_path):
    p = ik.Project.create(tmp_path / "p", site="905", country="DK", intervention="keep",
                          start="2025-09-01")
    ca = ik.component_analysis(p)
    assert ca.empty and ca.attrs["design"].startswith("observational")


@pytest.mark.parametrize("kwargs", [{"received": "all"}, {"level": 95}])
def test_bad_arguments(havnstrup, kwargs):
    with pytest.raises(ValidationError):
        ik.component_analysis(havnstrup, **kwargs)
