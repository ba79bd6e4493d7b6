"""Tests of implementere_kit.measures.control: one formula for funnel plots and p-charts,
checked against published worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.measures.control import Z95, Z998, funnel_limits, p_chart


def test_p_chart_matches_montgomery():
    # Montgomery, Introduction to Statistical Quality Control, exercise 6-1 (solutions):
    # 20 samples of n = 100, 117 nonconforming in all: p̄ = 0.0585, UCL = 0.1289, LCL = 0.
    x = [5] * 17 + [8, 9, 15]
    assert sum(x) == 117
    pc = p_chart(x, [100] * 20)
    assert round(pc["center"][0], 4) == 0.0585
    assert round(pc["ucl"][0], 4) == 0.1289
    assert pc["lcl"][0] == 0
    # textbook example 16.6 (10 samples of 200): p̄ = 0.16, UCL = 0.2378, LCL = 0.0822
    pc = p_chart([40, 44, 22, 34, 24, 32, 28, 32, 34, 30], [200] * 10)
    assert (round(pc["ucl"][0], 4), round(pc["lcl"][0], 4)) == (0.2378, 0.0822)
    assert not pc["out_of_control"].any()


def test_p_chart_varying_n_and_bad_input():
    pc = p_chart([9, 1, 40], [10, 10, 50])
    p0 = 50 / 70
    assert pc["center"].iloc[0] == pytest.approx(p0)
    se = np.sqrt(p0 * (1 - p0) / np.array([10, 10, 50]))
    assert pc["lcl"].to_numpy() == pytest.approx(np.clip(p0 - 3 * se, 0, 1))
    assert pc["out_of_control"].tolist() == [False, True, False]
    with pytest.raises(ValidationError) as err:
        p_chart([5, 12], [10, 10])
    assert err.value.problems[0].row == 2


def test_funnel_limits_by_hand_and_nan_without_a_sample():
    lo, hi = funnel_limits(0.2, [25, 400, 0], Z95)
    assert lo[:2] == pytest.approx([0.2 - Z95 * 0.08, 0.2 - Z95 * 0.02])
    assert hi[:2] == pytest.approx([0.2 + Z95 * 0.08, 0.2 + Z95 * 0.02])
    assert np.isnan(lo[2]) and np.isnan(hi[2])
    # clipped to [0, 1]; the 99.8 % funnel is wider than the 95 % one
    lo998, hi998 = funnel_limits(0.05, [10], Z998)
    assert lo998[0] == 0 and hi998[0] > funnel_limits(0.05, [10], Z95)[1][0]


def test_the_charts_and_the_network_use_the_same_limits():
    import implementere_kit as ik
    from implementere_kit.charts import delivery
    from implementere_kit.exchange import indicators

    assert indicators.funnel_limits is funnel_limits is ik.funnel_limits
    assert delivery.p_chart is p_chart is ik.p_chart
    pc = p_chart([9, 1, 40], [10, 10, 50])
    lo, hi = funnel_limits(50 / 70, [10, 10, 50], 3)
    assert pc["lcl"].tolist() == lo.tolist() and pc["ucl"].tolist() == hi.tolist()
