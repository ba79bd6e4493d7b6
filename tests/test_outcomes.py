"""Tests of implementere_kit.measures.outcomes: hand-computed outcomes from small hand-built tables,
network pooling (Σ numerator ÷ Σ denominator, respondent-weighted means), the RE-AIM
arrangement, missing data, every-problem validation, and the example network checked
against a DuckDB peer."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.examples import AS_OF
from implementere_kit.measures.fidelity import reach as fidelity_reach
from implementere_kit.measures.outcomes import (
    OUTCOMES,
    implementation_outcomes,
    network_outcomes,
    reaim_summary,
)
from implementere_kit.plans.intervention import Component, DosageRule, Intervention
from implementere_kit.store.project import Project

# Four sessions, graduation at 3 of 4, adherence threshold 0.7: easy to compute by hand.
MINI = Intervention(id="mini", name="Mini", type="self-developed",
                    components=(Component("talk", "Talk"),),
                    dosage=DosageRule(sessions=4, min_attendance=0.75, makeups_count=True),
                    fidelity_threshold=0.7)
SITE = "101"


def outcomes(tables, **kw):
    kw = {"intervention": MINI, "as_of": "2025-01-31", **kw}
    return implementation_outcomes(tables, **kw).set_index("outcome")


def survey(instrument, respondent, wave, values, date="2024-06-01", site=SITE):
    """Long survey rows; None leaves an item unanswered."""
    return pd.DataFrame([(respondent, site, instrument, wave, date, f"{instrument}_{i}", v)
                         for i, v in enumerate(values, 1) if v is not None],
                        columns=["respondent_id", "site", "instrument", "wave", "date", "item",
                                 "value"])


def staff(rows, site=SITE):
    return pd.DataFrame(rows, columns=["practitioner_id", "trained", "first_delivery",
                                       "last_delivery"]).assign(site=site)


def sessions(rows, site=SITE):
    return pd.DataFrame([(site, g, no, d, lead) for g, no, d, lead in rows],
                        columns=["site", "group_id", "session_no", "date", "leaders"])


# -- acceptability, appropriateness, feasibility --------------------------------------------
def test_survey_means_use_the_latest_wave_and_scored_respondents_only():
    long = pd.concat([
        survey("aim", "r1", 1, [1, 1, 1, 1]),                 # older wave: ignored
        survey("aim", "r1", 2, [4, 4, 5, 5]),                 # 4.5
        survey("aim", "r2", 2, [3, 3, 4, 4]),                 # 3.5
        survey("aim", "r3", 2, [5, 5, None, None]),           # 2 of 4 answered: not scored
        survey("aim", "r1", 3, [1, 1, 1, 1], date="2025-03-01"),  # after as_of: ignored
        survey("iam", "r1", 1, [3, 3, 3, 3]),
        survey("iam", "r2", 1, [2, 2, 2, None]),              # 3 of 4 is enough
    ], ignore_index=True)
    out = outcomes({"survey_responses": long})
    aim = out.loc["acceptability"]
    assert aim["value"] == 4.0 and aim["n"] == 2 and aim["target"] == 4.0
    assert bool(aim["meets"]) is True  # ≥ 4 meets, the boundary included
    assert aim["source"] == "survey_responses"
    # the mean as the catalogue's sums: Σ scores ÷ respondents scored
    assert aim[["numerator", "denominator"]].tolist() == [8.0, 2.0]
    iam = out.loc["appropriateness"]
    assert iam["value"] == 2.5 and iam["n"] == 2 and bool(iam["meets"]) is False
    fim = out.loc["feasibility"]
    assert np.isnan(fim["value"]) and fim["n"] == 0 and pd.isna(fim["meets"])
    assert fim["source"].startswith("no data")


# -- adoption, penetration, sustainability ----------------------------------------------------
def three_staff():
    """s1 delivers through December, s2 only in early 2024, s3 never; s4 trained later."""
    st = staff([("s1", "2023-12-01", None, None), ("s2", "2023-12-01", None, None),
                ("s3", "2023-12-01", None, None), ("s4", "2025-03-01", None, None)])
    ses = sessions([("g1", 1, "2024-01-10", "s1;s2"), ("g1", 2, "2024-02-01", "s2"),
                    ("g2", 1, "2024-12-20", " s1 "), ("g3", 1, "2025-04-01", "s3")])
    return {"staff": st, "sessions": ses}


def test_adoption_penetration_and_sustainability_by_hand():
    out = outcomes(three_staff(), as_of="2025-01-31")  # six months back: 2024-07-31
    # s4 is trained after as_of and s3's only session is after it: neither counts.
    assert out.loc["adoption", ["numerator", "denominator", "n"]].tolist() == [2, 3, 3]
    assert out.loc["adoption", "value"] == pytest.approx(2 / 3)
    assert out.loc["penetration", ["numerator", "denominator"]].tolist() == [1, 3]
    # s1 and s2 began ≥ 6 months before as_of; only s1 delivered since 2024-07-31
    assert out.loc["sustainability_staff", ["numerator", "denominator"]].tolist() == [1, 2]
    assert out.loc["sustainability", ["value", "n"]].tolist() == [1.0, 1]
    assert out.loc["adoption", "source"] == "staff, sessions"
    assert pd.isna(out.loc["adoption", "meets"])


def test_sustainability_needs_the_full_period_and_recent_delivery():
    early = outcomes(three_staff(), as_of="2024-03-31")  # delivery began 2024-01-10
    assert np.isnan(early.loc["sustainability", "value"])
    assert "too early" in early.loc["sustainability", "source"]
    assert early.loc["penetration", ["numerator", "denominator"]].tolist() == [2, 3]
    later = outcomes(three_staff(), as_of="2025-09-01")  # s3 delivered 2025-04-01
    assert later.loc["sustainability", "value"] == 1.0
    assert later.loc["penetration", ["numerator", "denominator"]].tolist() == [1, 4]  # s4 in
    stopped = outcomes(three_staff(), as_of="2025-12-01")  # nothing since 2025-04-01
    assert stopped.loc["sustainability", "value"] == 0.0
    assert stopped.loc["penetration", "numerator"] == 0
    year = outcomes(three_staff(), as_of="2025-01-31", sustain_months=12)  # back to 2024-01-31
    assert year.loc["sustainability", "value"] == 1.0
    assert year.loc["sustainability_staff", ["numerator", "denominator"]].tolist() == [2, 2]
    assert "12 months" in year.loc["sustainability", "definition"]
    longer = outcomes(three_staff(), as_of="2025-01-31", sustain_months=13)
    assert "too early" in longer.loc["sustainability", "source"]


def test_staff_delivery_dates_count_without_sessions():
    st = staff([("s1", "2024-01-01", "2024-02-01", "2025-06-01"),  # still going at as_of
                ("s2", "2024-01-01", "2024-02-01", None),          # delivered once
                ("s3", None, None, None)])                         # trained, never delivered
    out = outcomes({"staff": st}, as_of="2025-01-31")
    assert out.loc["adoption", ["numerator", "denominator"]].tolist() == [2, 3]
    assert out.loc["penetration", "numerator"] == 1
    assert out.loc["sustainability", "value"] == 1.0
    assert out.loc["sustainability", "source"] == "staff, sessions"  # the tables it reads


# -- fidelity ----------------------------------------------------------------------------------
def checks(delivered, date="2024-05-01", check="c1"):
    return pd.DataFrame({"check_id": check, "site": SITE, "date": date,
                         "item": [f"i{k}" for k in range(len(delivered))], "component": "talk",
                         "delivered": delivered})


def test_adherence_by_hand():
    chk = pd.concat([checks(["yes", "yes", "partly", "no", "na"]),
                     checks(["yes", "partly"], check="c2"),
                     checks(["no", "no"], check="c3", date="2025-05-01")])  # after as_of
    out = outcomes({"fidelity_checks": chk}).loc["fidelity_adherence"]
    # (1 + 1 + .5 + 0 + 1 + .5) / 6; n/a left out of both; n is the items scored
    assert out[["numerator", "denominator", "n"]].tolist() == [4.0, 6.0, 6]
    assert out["value"] == pytest.approx(4 / 6)
    assert out["target"] == 0.7 and bool(out["meets"]) is False
    met = outcomes({"fidelity_checks": checks(["yes", "yes", "yes", "no"])})
    assert bool(met.loc["fidelity_adherence", "meets"]) is True  # 0.75 ≥ 0.7


def dosage_tables():
    parts = pd.DataFrame({
        "participant_id": ["p1", "p2", "p3", "p4"], "site": SITE, "group_id": "g1",
        "enrolled": "2024-01-01",
        "ended": ["2024-03-01", "2024-02-01", None, "2025-03-01"],
        "end_reason": ["graduated", "dropped_out", None, "graduated"]})
    att = pd.DataFrame({
        "participant_id": ["p1"] * 5 + ["p2", "p3", "p3", "p4", "p4"],
        "session_no": [1, 2, 3, 4, 4, 1, 1, 2, 1, 2],
        "attended": True, "makeup": [False] * 4 + [True] + [False] * 5})
    return {"participants": parts, "attendance": att}


def test_dosage_counts_participants_who_have_ended():
    out = outcomes(dosage_tables(), as_of="2025-01-31").loc["fidelity_dosage"]
    # p1 4 of 4 (a make-up of session 4 counts once), p2 1 of 4; p3 is still in the
    # course and p4 ends after as_of, so neither counts.
    assert out[["numerator", "denominator", "n"]].tolist() == [5, 8, 2]
    assert out["value"] == 0.625 and out["target"] == 0.75 and bool(out["meets"]) is False
    later = outcomes(dosage_tables(), as_of="2025-06-30").loc["fidelity_dosage"]
    assert later[["numerator", "denominator"]].tolist() == [7, 12]  # p4 ended: 2 of 4


def test_dosage_without_participants_has_no_value():
    # dose counts participants who have ended: without the participants table nobody has
    att = dosage_tables()["attendance"]
    out = outcomes({"attendance": att}, site=SITE).loc["fidelity_dosage"]
    assert np.isnan(out["value"]) and out["n"] == 0
    assert out["source"].startswith("no data")


def test_dosage_needs_a_rule():
    no_rule = Intervention(id="x", name="X", type="self-developed")
    out = outcomes(dosage_tables(), intervention=no_rule).loc["fidelity_dosage"]
    assert out["source"] == "no data: intervention 'x' sets no dosage.sessions"


# -- reach ---------------------------------------------------------------------------------------
def reach_tables(periods):
    parts = pd.DataFrame({"participant_id": list("abcde"), "site": SITE,
                          "enrolled": ["2024-02-01", "2024-05-01", "2024-09-01",
                                       "2025-03-01", "2025-09-01"]})
    elig = pd.DataFrame({"site": SITE, "period": list(periods), "n_eligible": 10})
    return {"participants": parts, "eligible": elig}


def test_reach_pools_the_periods_up_to_as_of():
    tables = reach_tables(["2024", "2025", "2026"])
    out = outcomes(tables, as_of="2025-06-30").loc["reach"]
    # 2024: 3 of 10, 2025: 1 of 10 by as_of (e enrols later); 2026 has not begun
    assert out[["numerator", "denominator", "n"]].tolist() == [4, 20, 4]
    assert out["source"] == "participants, eligible"
    # the denominator is the periods the project enrolled in: not 2023, before it began
    early = outcomes(reach_tables(["2023", "2024", "2025"]), as_of="2025-06-30").loc["reach"]
    assert early[["numerator", "denominator"]].tolist() == [4, 20]
    # … but a year without enrolments between two with them counts
    gap = reach_tables(["2024", "2025", "2026"])
    gap["participants"]["enrolled"] = ["2024-02-01", "2024-05-01", "2024-09-01",
                                       "2026-03-01", "2026-05-01"]
    mid = outcomes(gap, as_of="2026-06-30").loc["reach"]
    assert mid[["numerator", "denominator"]].tolist() == [5, 30]
    per_year = fidelity_reach(tables["participants"], tables["eligible"])  # peer
    assert per_year.set_index("period").loc["2024", "reach"] == 0.3


def test_reach_prefers_all_then_years_then_months():
    both = outcomes(reach_tables(["all", "2024"]), as_of="2025-12-31").loc["reach"]
    assert both[["numerator", "denominator"]].tolist() == [5, 10]
    months = outcomes(reach_tables(["2024-02", "2024-05"]), as_of="2025-12-31").loc["reach"]
    assert months[["numerator", "denominator"]].tolist() == [2, 20]


# -- missing data and validation --------------------------------------------------------------
def test_missing_tables_give_no_data_rows_for_every_outcome():
    out = implementation_outcomes({}, intervention="keep", site="9901", as_of="2025-01-01")
    assert out["outcome"].tolist() == list(OUTCOMES)
    assert (out["site"] == "9901").all() and out["value"].isna().all()
    assert (out["n"] == 0).all() and out["meets"].isna().all()
    assert out["source"].str.startswith("no data: ").all()
    assert out["definition"].notna().all()


def test_every_problem_is_reported_at_once():
    st = staff([("s1", "31/12/2024", None, None)])  # not a date format we read
    chk = checks(["yes", "maybe"])
    ses = sessions([("g1", 1, "2024-01-01", "s1")]).drop(columns="date")
    with pytest.raises(ValidationError) as exc:
        outcomes({"staff": st, "fidelity_checks": chk, "sessions": ses})
    found = {(p.resource, p.column, p.row) for p in exc.value.problems}
    assert {("staff", "trained", 1), ("fidelity_checks", "delivered", 2),
            ("sessions", "date", None)} <= found


def test_problems_of_related_tables_are_reported_together():
    tables = dosage_tables()
    tables["participants"].loc[1, "end_reason"] = "bored"
    tables["attendance"] = tables["attendance"].astype({"attended": object})
    tables["attendance"].loc[2, "attended"] = "perhaps"
    tables["eligible"] = pd.DataFrame({"site": SITE, "period": ["2024"], "n_eligible": [-1]})
    with pytest.raises(ValidationError) as exc:
        outcomes(tables)
    found = {(p.resource, p.column, p.row) for p in exc.value.problems}
    assert found == {("participants", "end_reason", 2), ("attendance", "attended", 3),
                     ("eligible", "n_eligible", 1)}


def test_personal_identifiers_are_masked_in_errors():
    st = staff([("s1", "010190-1234", None, None)])
    with pytest.raises(ValidationError) as exc:
        outcomes({"staff": st})
    assert "010190" not in str(exc.value)
    assert "masked" in exc.value.problems[0].found


def test_bad_arguments():
    with pytest.raises(ValidationError) as exc:
        implementation_outcomes({}, intervention=MINI, site=SITE, as_of="soon",
                                sustain_months=0)
    assert {p.column for p in exc.value.problems} == {"as_of", "sustain_months"}
    with pytest.raises(ValidationError) as exc:
        implementation_outcomes({"fidelity": checks(["yes"]), "staff": [1]}, site=SITE)
    assert {p.resource for p in exc.value.problems} >= {"fidelity", "staff"}
    assert any(p.column == "intervention" for p in exc.value.problems)
    two_sites = pd.concat([staff([("a", None, None, None)]),
                           staff([("b", None, None, None)], site="147")])
    with pytest.raises(ValidationError, match="cannot tell which site"):
        implementation_outcomes({"staff": two_sites}, intervention=MINI)


def test_a_project_carries_its_own_intervention_and_site(havnstrup):
    with pytest.raises(ValidationError, match="carries its own"):
        implementation_outcomes(Project.open(havnstrup), intervention=MINI)


def test_site_picks_its_rows_from_shared_tables():
    st = pd.concat([staff([("a", None, "2024-01-01", None)]),
                    staff([("b", None, None, None), ("c", None, None, None)], site="147")])
    out = outcomes({"staff": st}, site="147")
    assert out.loc["adoption", ["numerator", "denominator"]].tolist() == [0, 2]
    assert set(implementation_outcomes({"staff": st}, intervention=MINI, site="147",
                                       as_of="2025-01-01")["site"]) == {"147"}


# -- the network ------------------------------------------------------------------------------------
def test_network_pools_counts_and_weights_means_by_respondents():
    a = {"staff": staff([("a1", None, "2024-01-01", None)]),
         "survey_responses": survey("aim", "r1", 1, [5, 5, 5, 5])}
    b_survey = pd.concat([survey("aim", r, 1, [3, 3, 3, 3], site="147")
                          for r in ("r1", "r2", "r3")])
    b = {"staff": staff([(f"b{i}", None, None, None) for i in range(4)], site="147"),
         "survey_responses": b_survey}
    net = network_outcomes([a, b], intervention=MINI, as_of="2025-01-31")
    assert net["site"].tolist() == ["101"] * 10 + ["147"] * 10 + ["network"] * 10
    pooled = net[net["site"] == "network"].set_index("outcome")
    # adoption 1/1 and 0/4: pooled 1/5, not the mean of the site values (0.5)
    assert pooled.loc["adoption", ["value", "numerator", "denominator", "n"]].tolist() == \
        [0.2, 1, 5, 5]
    # AIM 5.0 (1 respondent) and 3.0 (3): weighted 3.5, not 4.0
    assert pooled.loc["acceptability", ["value", "n"]].tolist() == [3.5, 4]
    assert bool(pooled.loc["acceptability", "meets"]) is False
    assert pooled.loc["reach", "source"] == "no data: no site has data"


def test_network_target_only_when_sites_share_it():
    chk = checks(["yes", "no"])  # adherence 0.5
    other = Intervention(id="y", name="Y", type="self-developed", fidelity_threshold=0.4)
    same = network_outcomes([{"fidelity_checks": chk}, {"fidelity_checks": chk}],
                            intervention=MINI, as_of="2025-01-01", sustain_months=3)
    row = same[same["site"] == "network"].set_index("outcome").loc["fidelity_adherence"]
    assert row["target"] == 0.7 and bool(row["meets"]) is False and row["n"] == 4
    p1 = implementation_outcomes({"fidelity_checks": chk}, intervention=other, site=SITE,
                                 as_of="2025-01-01")
    assert bool(p1.set_index("outcome").loc["fidelity_adherence", "meets"]) is True


def test_network_reports_problems_of_every_site():
    good = {"staff": staff([("a", None, None, None)])}
    bad1 = {"staff": staff([("b", "not a date", None, None)], site="147")}
    bad2 = {"fidelity_checks": checks(["often"]).assign(site="904")}
    with pytest.raises(ValidationError) as exc:
        network_outcomes([good, bad1, bad2], intervention=MINI, as_of="2025-01-01")
    assert {(p.file, p.resource) for p in exc.value.problems} == {
        ("site 2 of the list", "staff"), ("site 3 of the list", "fidelity_checks")}


# -- RE-AIM -----------------------------------------------------------------------------------------
def test_reaim_arrangement():
    out = outcomes(three_staff())
    r = reaim_summary(out.reset_index())
    assert r["dimension"].tolist() == (["Reach", "Effectiveness"] + ["Adoption"] * 2
                                       + ["Implementation"] * 2 + ["Maintenance"] * 2
                                       + ["Antecedents"] * 3)
    by = r.set_index("outcome")
    assert by.loc["penetration", "proctor_outcome"] == "penetration (providers)"
    assert by.loc["fidelity_dosage", "proctor_outcome"] == "fidelity"
    assert by.loc["sustainability", "relation"] == "consistent"
    assert by.loc["acceptability", "relation"] == "predictor"
    assert np.isnan(by.loc["effectiveness", "value"])
    assert "effect data" in by.loc["effectiveness", "definition"]
    assert by.loc["adoption", "value"] == out.loc["adoption", "value"]  # same numbers


def test_reaim_uses_effect_rows_given_and_orders_sites():
    out = pd.DataFrame({"site": ["147", "101", "101", "147"],
                        "outcome": ["adoption", "adoption", "effectiveness", "reach"],
                        "value": [0.5, 0.75, 0.3, 0.1]})
    r = reaim_summary(out)
    assert r[["site", "outcome"]].values.tolist() == [
        ["147", "reach"], ["147", "effectiveness"], ["147", "adoption"],
        ["101", "effectiveness"], ["101", "adoption"]]
    assert r.loc[3, "value"] == 0.3 and np.isnan(r.loc[1, "value"])
    with pytest.raises(ValidationError) as exc:
        reaim_summary(out.assign(outcome=["adoption", "cost", "reach", "joy"]))
    assert [p.row for p in exc.value.problems] == [2, 4]


def test_reaim_unknown_outcomes_are_capped_and_the_mapping_is_data():
    from implementere_kit._data import load_yaml, package_file
    from implementere_kit.store.tables import MAX_ROWS_LISTED

    n = MAX_ROWS_LISTED + 4
    with pytest.raises(ValidationError) as exc:
        reaim_summary(pd.DataFrame({"site": "101", "outcome": ["joy"] * n, "value": 1.0}))
    assert len(exc.value.problems) == MAX_ROWS_LISTED + 1
    assert exc.value.problems[-1].message == "unknown outcome in 4 more rows"
    data = load_yaml(package_file("plans/framework_data", "mappings/reaim.yaml"))
    assert "10.3389/fpubh.2020.00430" in data["source"]
    assert {r["outcome"] for r in data["outcomes"]} == set(OUTCOMES) | {"effectiveness"}
    assert set(data["levels"]) == {r["dimension"] for r in data["outcomes"]}


# -- the example network ----------------------------------------------------------------------------
def test_odense_outcomes_are_plausible(havnstrup):
    p = Project.open(havnstrup)
    out = implementation_outcomes(p, as_of=AS_OF).set_index("outcome")
    assert out.index.tolist() == list(OUTCOMES) and (out["site"] == "903").all()
    shares = out.drop(index=list(OUTCOMES[:3]))["value"].dropna()
    assert len(shares) >= 5 and shares.between(0, 1).all()
    assert out.loc[list(OUTCOMES[:3]), "value"].between(1, 5).all()
    dose = out.loc["fidelity_dosage"]
    assert dose["denominator"] == 16 * dose["n"]  # KEEP: 16 sessions per family
    assert (out["n"] > 0).sum() >= 8
    # peers: staff who ever delivered, and the adherence of the checklists by SQL
    st = p.table("staff")
    assert out.loc["adoption", "numerator"] == int((st["first_delivery"] <= AS_OF).sum())
    with duckdb.connect() as con:
        con.register("chk", p.table("fidelity_checks"))
        peer = con.sql("SELECT avg(CASE delivered WHEN 'yes' THEN 1 WHEN 'partly' THEN 0.5 "
                       "ELSE 0 END) AS a FROM chk WHERE delivered <> 'na'").df()["a"][0]
    assert out.loc["fidelity_adherence", "value"] == pytest.approx(peer)


def test_acceptability_matches_a_sql_peer(havnstrup):
    p = Project.open(havnstrup)
    with duckdb.connect() as con:
        con.register("long", p.table("survey_responses"))
        peer = con.sql("""
            WITH latest AS (SELECT * FROM long WHERE instrument = 'aim' AND wave =
                            (SELECT max(wave) FROM long WHERE instrument = 'aim')),
                 person AS (SELECT respondent_id, avg(value) AS s FROM latest
                            GROUP BY respondent_id HAVING count(value) >= 3)
            SELECT avg(s) AS m, count(*) AS n FROM person""").df()
    out = implementation_outcomes(p, as_of=AS_OF).set_index("outcome").loc["acceptability"]
    assert out["value"] == pytest.approx(peer["m"][0]) and out["n"] == peer["n"][0]


def test_lolland_adheres_less_than_herning(network_dir):
    net = network_outcomes([network_dir / "dk-902-keep", network_dir / "dk-901-keep"],
                           as_of=AS_OF)
    adh = net[net["outcome"] == "fidelity_adherence"].set_index("site")
    assert adh.loc["902", "value"] < adh.loc["901", "value"]
    assert adh.loc["network", "numerator"] == adh.loc[["902", "901"], "numerator"].sum()
    assert adh.loc["network", "value"] == pytest.approx(
        adh.loc[["902", "901"], "numerator"].sum() / adh.loc[["902", "901"], "denominator"].sum())
    assert reaim_summary(net)["site"].unique().tolist() == ["902", "901", "network"]
