"""outcome_change: per instrument, informant, scale and wave, against hand computation."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import implementere_kit as ik
from implementere_kit.errors import ValidationError
from implementere_kit.measures.change import hedges_j


def _scores(pre, post, instrument="pss", scale="total", informant="foster_carer", fu=None):
    n = len(pre)
    ids = [f"f{i}" for i in range(n)]
    rows = {"participant_id": ids * 2, "site": "903", "instrument": instrument,
            "informant": informant, "scale": scale, "wave": ["pre"] * n + ["post"] * n,
            "score": list(pre) + list(post)}
    df = pd.DataFrame(rows)
    if fu is not None:
        df = pd.concat([df, pd.DataFrame({"participant_id": ids[:len(fu)], "site": "903",
                                          "instrument": instrument, "informant": informant,
                                          "scale": scale, "wave": "follow_up", "score": fu})])
    return df


PRE = [60, 55, 70, 48, 66, 59]
POST = [48, 50, 52, 47, 60, 49]


def test_by_hand():
    res = ik.outcome_change(_scores(PRE, POST)).set_index("statistic")
    d = np.subtract(POST, PRE)
    assert res.loc["mean_change", "estimate"] == pytest.approx(d.mean())
    ci = stats.ttest_rel(POST, PRE).confidence_interval()
    assert res.loc["mean_change", ["ci_low", "ci_high"]].tolist() == pytest.approx([ci.low, ci.high])
    s_av = (np.std(PRE, ddof=1) + np.std(POST, ddof=1)) / 2
    assert res.loc["hedges_g_av", "estimate"] == pytest.approx(d.mean() / s_av * hedges_j(6))
    # RCI with the PSS's test-retest .81 and the sample's pre SD
    s_diff = math.sqrt(2) * np.std(PRE, ddof=1) * math.sqrt(1 - 0.81)
    improved = int((d < -1.96 * s_diff).sum())
    row = res.iloc[0]
    assert (row["n_improved"], row["n_deteriorated"]) == (improved, 0)
    assert row["rci_threshold"] == pytest.approx(1.96 * s_diff)
    assert row["reliability"] == 0.81 and not row["higher_is_better"]
    assert "Berry" in row["reliability_source"]


def test_share_improved_has_the_wilson_interval():
    from statsmodels.stats.proportion import proportion_confint

    res = ik.outcome_change(_scores(PRE, POST), level=0.9).set_index("statistic")
    share = res.loc["share_reliably_improved"]
    lo, hi = proportion_confint(share["n_improved"], 6, alpha=0.1, method="wilson")
    assert (share["estimate"], share["ci_low"], share["ci_high"]) == pytest.approx(
        (share["n_improved"] / 6, lo, hi))


def test_follow_up_rows_and_the_design_statement():
    res = ik.outcome_change(_scores(PRE, POST, fu=[50, 52, 55, 45]))
    assert res["wave_to"].unique().tolist() == ["post", "follow_up"]
    assert res.loc[res["wave_to"] == "follow_up", "n"].iloc[0] == 4
    assert "not an estimate" in res.attrs["design"]


def test_informants_and_scales_are_kept_apart():
    a = _scores(PRE, POST, instrument="sdq", scale="conduct", informant="parent")
    b = _scores(PRE, POST, instrument="sdq", scale="conduct", informant="teacher")
    b["score"] = b["score"] / 10
    res = ik.outcome_change(pd.concat([a, b]))
    means = res.groupby("informant")["mean_pre"].first()
    assert means["parent"] == pytest.approx(np.mean(PRE))
    assert means["teacher"] == pytest.approx(np.mean(PRE) / 10)


def test_unknown_instrument_gets_change_but_no_reliable_change():
    res = ik.outcome_change(_scores(PRE, POST, instrument="local_scale", informant=None))
    assert res["note"].str.contains("not known").all()
    assert res["reliability"].isna().all()
    share = res.set_index("statistic").loc["share_reliably_improved", "estimate"]
    assert math.isnan(share)
    assert res["informant"].isna().all()


def test_d_z_and_instrument_choice():
    df = pd.concat([_scores(PRE, POST), _scores(PRE, POST, "sdq", "conduct", "parent")])
    res = ik.outcome_change(df, instrument="sdq", effect_size="d_z")
    assert set(res["instrument"]) == {"sdq"}
    assert "cohens_d_z" in set(res["statistic"])


@pytest.mark.parametrize("kwargs", [{"effect_size": "eta"}, {"instrument": 12}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValidationError):
        ik.outcome_change(_scores(PRE, POST), **kwargs)


def test_a_table_that_breaks_its_schema_is_refused():
    bad = _scores(PRE, POST).assign(wave="during")
    with pytest.raises(ValidationError, match="value not allowed"):
        ik.outcome_change(bad)


def test_on_a_generated_project(havnstrup):
    res = ik.outcome_change(havnstrup, "pss")
    post = res[(res["wave_to"] == "post")].set_index("statistic")
    # the example's carers' stress falls: the interval lies below zero
    assert post.loc["mean_change", "ci_high"] < 0
    assert post.loc["hedges_g_av", "estimate"] < 0
