"""Implementation cost per family reached and completing, by period, computed by hand."""

import math

import pandas as pd
import pytest

import implementere_kit as ik
from implementere_kit.errors import ValidationError
from implementere_kit.measures.cost import cost_breakdown, family_dates, period_bounds


@pytest.fixture
def project(tmp_path):
    p = ik.Project.create(tmp_path / "p", site="903", country="DK", intervention="keep",
                          start="2023-10-01")
    p.set_table("participants", pd.DataFrame({
        "participant_id": ["f1", "f2", "f3"], "site": "903", "group_id": ["g1", "g1", "g2"],
        "enrolled": ["2024-01-15", "2024-01-20", "2024-03-01"],
        "ended": ["2024-05-20", "2024-02-25", None],
        "end_reason": ["graduated", "dropped_out", None]}))
    dates = pd.date_range("2024-02-05", periods=16, freq="7D")
    p.set_table("sessions", pd.DataFrame({"site": "903", "group_id": "g1",
                                          "session_no": range(1, 17), "date": dates}))
    att = pd.concat([pd.DataFrame({"participant_id": "f1", "session_no": range(1, 17),
                                   "attended": True}),
                     pd.DataFrame({"participant_id": "f2", "session_no": [1, 2, 3],
                                   "attended": True})])
    p.set_table("attendance", att)
    p.set_table("costs", pd.DataFrame({
        "cost_id": ["k1", "k2", "k3"], "site": "903",
        "period": ["2024-Q1", "2024-Q2", "2024-Q2"],
        "activity_type": ["training", "delivery", "materials"], "hours": [10, 20, None],
        "unit_cost": [500, 500, None], "other_costs": [1000, 0, 500], "currency": "DKK"}))
    p.save()
    return p


def test_by_hand(project):
    c = ik.implementation_cost(project).set_index("period")
    assert list(c.index) == ["2024-Q1", "2024-Q2", "all"]
    q1, q2, total = c.loc["2024-Q1"], c.loc["2024-Q2"], c.loc["all"]
    assert (q1["cost"], q1["n_reached"], q1["n_completed"]) == (6000, 2, 0)
    assert (q2["cost"], q2["n_reached"], q2["n_completed"]) == (10500, 0, 1)
    assert q1["cost_per_reached"] == 3000 and math.isnan(q1["cost_per_completed"])
    assert q2["cum_cost_per_reached"] == pytest.approx(16500 / 2)
    assert q2["cum_cost_per_completed"] == pytest.approx(16500)
    assert (total["cost"], total["n_reached"], total["n_completed"]) == (16500, 2, 1)
    assert total["currency"] == "DKK"


def test_families_are_reached_at_their_first_session_and_complete_when_they_graduate(project):
    d = family_dates(project).set_index("participant_id")
    assert d.loc["f1", "reached"] == pd.Timestamp("2024-02-05")
    assert d.loc["f1", "completed"] == pd.Timestamp("2024-05-20")
    assert pd.isna(d.loc["f2", "completed"])  # dropped out: reached, never completed
    assert pd.isna(d.loc["f3", "reached"])  # enrolled, never attended


def test_hours_without_a_unit_cost_make_the_cost_unknown(project):
    costs = project.table("costs")
    costs.loc[1, "unit_cost"] = None
    project.set_table("costs", costs)
    c = ik.implementation_cost(project).set_index("period")
    assert math.isnan(c.loc["2024-Q2", "cost"]) and math.isnan(c.loc["all", "cost"])
    assert "unknown" in c.loc["2024-Q2", "note"]
    assert c.loc["2024-Q1", "cost"] == 6000


def test_one_currency_and_understood_periods(project):
    costs = project.table("costs")
    project.set_table("costs", costs.assign(currency=["DKK", "NOK", "DKK"]))
    with pytest.raises(ValidationError, match="currency"):
        ik.implementation_cost(project)
    project.set_table("costs", costs.assign(period=["2024-Q5", "2024-Q2", "Q2 2024"]))
    with pytest.raises(ValidationError) as e:
        ik.implementation_cost(project)
    assert [p.row for p in e.value.problems] == [1, 3]


@pytest.mark.parametrize("period,start,end", [("2024", "2024-01-01", "2024-12-31"),
                                              ("2024-Q4", "2024-10-01", "2024-12-31"),
                                              ("2024-02", "2024-02-01", "2024-02-29")])
def test_period_bounds(period, start, end):
    assert period_bounds(period) == (pd.Timestamp(start), pd.Timestamp(end))


def test_breakdown_and_an_empty_table(project, tmp_path):
    b = cost_breakdown(project)
    assert b[["period", "activity_type", "cost"]].values.tolist() == [
        ["2024-Q1", "training", 6000.0], ["2024-Q2", "delivery", 10000.0],
        ["2024-Q2", "materials", 500.0]]
    empty = ik.Project.create(tmp_path / "e", site="905", country="DK", intervention="keep")
    assert ik.implementation_cost(empty).empty


def test_example_costs_are_front_loaded(havnstrup):
    # implementation costs (all but delivery itself) come first; the unit cost then falls
    b = cost_breakdown(havnstrup)
    b = b[b["activity_type"] != "delivery"].assign(year=lambda d: d["start"].dt.year)
    per_year = b.groupby("year")["cost"].sum()
    assert per_year.iloc[0] + per_year.iloc[1] > 2 * per_year.iloc[2:].max()
    c = ik.implementation_cost(havnstrup)
    cum = c.loc[c["period"] != "all", "cum_cost_per_reached"].dropna()
    assert cum.iloc[-1] < cum.iloc[0]
