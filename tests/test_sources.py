"""The plans read right against their sources (implementere.no's page on developing or
implementing an intervention, Socialstyrelsen's TILE pages): only the activities the owner's
actual support implies, the owner's requirements as the municipality's obligations with real
roles and dates, checklists with the page's meaning, completion as the owner defines it,
one term per concept, and the three intervention types as data."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from implementere_kit import Plan, load_intervention
from implementere_kit._data import LANGS, load_yaml, package_file
from implementere_kit.errors import ValidationError
from implementere_kit.i18n import labels as locale
from implementere_kit.measures.fidelity import attendance_summary, dosage_summary
from implementere_kit.plans.frameworks import load_framework
from implementere_kit.plans.glossary import avoided_terms, glossary_markdown, term
from implementere_kit.plans.intervention import (
    DosageRule,
    Intervention,
    list_interventions,
)
from implementere_kit.plans.intervention_types import (
    INTERVENTION_TYPES,
    SUPPORT_KINDS,
    intervention_types,
    support_kinds,
    types_source,
    typical_support,
)
from implementere_kit.plans.progress import sic_scores, sic_summary

PAGE = ("https://implementere.no/hva-ma-du-vite/"
        "utvikle-tiltak-selv-eller-implementere-noe-andre-har-utviklet/")
START = "2024-01-08"
PLANS = {"keep": "da", "fft": "nb", "opsporingsmodellen": "da"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fw():
    return load_framework("implementere")


def _plan(name: str, lang: str | None = None) -> Plan:
    return Plan.from_template(load_intervention(name), start=START, lang=lang or PLANS[name])


# -- activities follow the owner's actual support -------------------------------------------
def test_opsporingsmodellen_has_no_owner_training_supervision_or_certification():
    ids = set(_plan("opsporingsmodellen").activities["activity_id"])
    assert load_intervention("opsporingsmodellen").support == ("handbook",)
    assert not ids & {"ke3_owner_training", "ke6_owner_supervision", "ke6_owner_skills",
                      "ke8_certification", "ke9_recertification", "ke3_contract",
                      "ke9_refresher", "ke6_owner_guidance", "ke7_owner_review"}
    # The municipality trains and supervises its own staff, from the owner's handbook.
    assert {"ke3_handbook", "ke3_local_training", "ke6_peer_supervision"} <= ids


@pytest.mark.parametrize("name", ["keep", "fft", "duaa", "opsporingsmodellen", "pmto"])
def test_a_contract_activity_only_where_the_support_lists_a_contract(name):
    iv = load_intervention(name)
    acts = _plan(name, "en").activities
    contract = acts["activity_id"].isin(["ke3_contract"]) | acts["title"].str.contains(
        "contract|agreement", case=False)
    assert contract.any() == ("contract" in iv.support), name


@pytest.mark.parametrize("name", list_interventions())
def test_each_support_conditioned_activity_is_there_exactly_when_the_support_implies_it(fw, name):
    iv = load_intervention(name)
    ids = set(Plan.from_template(iv, start=START).activities["activity_id"])
    replaced = {a for r in iv.requirements for a in r.replaces}
    for act in (a for c in fw.core_elements for a in c.activities):
        if not act.applies(iv.type):
            assert act.id not in ids
            continue
        wanted = act.applies(iv.type, iv.support) and act.id not in replaced
        assert (act.id in ids) == wanted, (name, act.id)


def test_keep_has_no_contract_but_pmto_signs_its_agreement():
    keep = set(_plan("keep").activities["activity_id"])
    pmto = set(_plan("pmto", "nb").activities["activity_id"])
    assert "ke3_contract" not in keep and "contract" not in load_intervention("keep").support
    assert "req_agreement" in pmto and "ke3_contract" not in pmto  # the agreement stands in


def test_a_plan_from_a_type_alone_uses_the_typical_support():
    ready = set(Plan.from_template("ready-made", start=START).activities["activity_id"])
    own = set(Plan.from_template("self-developed", start=START).activities["activity_id"])
    assert typical_support("ready-made") == ("handbook", "training")
    assert {"ke3_owner_training", "ke3_handbook", "ke6_peer_supervision"} <= ready
    assert "ke6_owner_supervision" not in ready
    assert {"ke1_develop", "ke3_local_training", "ke6_peer_supervision"} <= own
    assert not {a for a in own if "owner" in a}


# -- requirements are the municipality's obligations -----------------------------------------
@pytest.mark.parametrize("name", list(PLANS))
def test_obligations_have_real_roles_phases_dates_and_language(fw, name):
    iv, lang = load_intervention(name), PLANS[name]
    acts = _plan(name).activities.set_index("activity_id")
    roles = {r.id for r in fw.roles}
    assert iv.requirements
    t0 = pd.Timestamp(START)
    for r in iv.requirements:
        row = acts.loc[f"req_{r.id}"]
        assert r.role in roles and r.role != "intervention_owner"
        assert row["owner"] == r.role
        assert row["title"] == r.label(lang) != r.label("en")
        assert row["core_element"] == r.core_element
        assert row["phase"] == fw.core_element(r.core_element).phase
        assert row["start"] == t0 + pd.Timedelta(weeks=r.start_week)
        assert row["due"] == t0 + pd.Timedelta(weeks=r.start_week + r.duration_weeks)
        assert pd.isna(row["sic_stage"]) if r.sic_stage is None else row["sic_stage"] == r.sic_stage
    req = acts[acts.index.str.startswith("req_")]
    assert req["due"].nunique() > 1 and req["phase"].nunique() > 1


def test_keeps_three_groups_for_certification_are_delivery_not_planning():
    row = _plan("keep").activity("req_three_groups")
    assert row["phase"] == "implementere" and row["core_element"] == 6
    assert row["owner"] == "practitioners"
    assert row["start"] >= _plan("keep").activity("ke6_start")["start"]
    assert row["due"] <= _plan("keep").activity("ke8_certification")["start"]


@pytest.mark.parametrize("name", list_interventions())
def test_every_shipped_obligation_names_a_role_and_core_element_of_the_framework(fw, name):
    for r in load_intervention(name).requirements:
        assert r.role in {x.id for x in fw.roles} - {"intervention_owner"}, (name, r.id)
        assert fw.core_element(r.core_element)
        assert all(r.label(lg) for lg in LANGS) and r.source


def test_a_requirement_naming_an_unknown_role_or_core_element_is_refused():
    data = load_intervention("keep").to_dict()
    data["requirements"][0] = {**data["requirements"][0], "role": "tiltakseier",
                               "core_element": 12, "replaces": ["ke3_nothing"]}
    with pytest.raises(ValidationError) as err:
        Intervention.from_dict(data, file="mine.yaml")
    cols = {p.column for p in err.value.problems}
    assert {"requirements.facilitator_training.role",
            "requirements.facilitator_training.core_element",
            "requirements.facilitator_training.replaces"} <= cols


def test_an_old_project_with_requirements_as_texts_still_opens():
    data = load_intervention("keep").to_dict()
    data["requirements"] = ["Send leaders to training", "Record the sessions"]
    iv = Intervention.from_dict(data)
    assert [r.id for r in iv.requirements] == ["req1", "req2"]
    assert iv.requirements[0].label("da") == "Send leaders to training"


@pytest.mark.parametrize("name, lang", [*PLANS.items(), ("pmto", "nb"), ("duaa", "da")])
def test_no_english_title_in_a_danish_or_norwegian_plan(fw, name, lang):
    acts = _plan(name, lang).activities
    english = {a.id: a.label("en") for c in fw.core_elements for a in c.activities}
    english |= {f"req_{r.id}": r.label("en") for r in load_intervention(name).requirements}
    for aid, title in zip(acts["activity_id"], acts["title"], strict=True):
        assert title != english[aid], (name, aid, title)
        assert not avoided_terms(title, lang), (name, aid, title)
    assert "(" not in acts["source"].iloc[0] or lang in ("nb", "da")
    assert acts["source"].str.contains("implementere.no").any()


# -- SIC ----------------------------------------------------------------------------------------
def test_stage_8_only_through_competency(fw):
    for c in fw.core_elements:
        for a in c.activities:
            if a.sic_stage == 8:
                assert a.needs_support == ("certification",), a.id
    for name in list_interventions():
        iv = load_intervention(name)
        for r in iv.requirements:
            if r.sic_stage == 8:
                assert "certif" in r.label("en").lower(), (name, r.id)
        acts = Plan.from_template(iv, start=START, lang="en").activities
        eight = acts[acts["sic_stage"] == 8]
        assert eight["title"].str.contains("certif", case=False).all(), name


def test_sic_from_plan_activities_is_labelled_plan_derived():
    plan = _plan("keep")
    events = plan.sic_events("901")
    assert (events["basis"] == "plan").all()
    assert (sic_scores(events)["basis"] == "plan").all()
    assert sic_summary(events)["basis"].tolist() == ["plan"]
    sic = events.drop(columns="basis")
    assert sic_summary(sic)["basis"].tolist() == ["sic"]
    for lang in LANGS:
        assert "SIC" in locale(lang)["sic_basis_plan"]


# -- checklists with the page's meaning ---------------------------------------------------------
def test_the_two_checklists_keep_the_pages_questions(fw):
    develop, implement = fw.checklists["utvikle_tiltak"], fw.checklists["implementere_tiltak"]
    assert develop.item_ids == ["target_group", "goal", "format", "scope", "content", "methods",
                                "make_materials", "why_it_works"]
    assert implement.item_ids == ["who_delivers", "motivate_staff", "learn_method",
                                  "extra_resources", "management_backing", "premises"]
    assert develop.source == implement.source == PAGE == types_source()
    q = {i.id: i for i in (*develop, *implement)}
    # "Must we make materials?" asks whether we have to make them, not which are needed.
    assert "lage" in q["make_materials"].label("nb") and "make" in q["make_materials"].label("en")
    # "Do we have management's backing?" is about management, not support for staff.
    assert "ledelsen" in q["management_backing"].label("nb")
    assert "management back" in q["management_backing"].label("en")
    assert "lokaler" in q["premises"].label("nb") and "premises" in q["premises"].label("en")
    assert "fagfolk" in q["motivate_staff"].label("nb")
    # Why we expect it to work is the assumption behind deliverables → results.
    assert q["why_it_works"].toc == "deliverables->results"
    assert (q["goal"].toc, q["content"].toc) == ("results", "activities")
    # In our own words: not the page's sentences.
    page = {"Hvem er tiltaket for?", "Må vi lage materiell?", "Har vi støtte fra ledelse?",
            "Hvorfor antar vi at dette vil virke?", "Trenger vi lokaler?"}
    assert not page & {i.label("nb") for i in q.values()}


# -- completion and thresholds ------------------------------------------------------------------
def _parts(pid, reason, ended="2024-06-01"):
    return pd.DataFrame({"participant_id": [pid], "site": "9901", "group_id": "C1",
                         "enrolled": "2024-01-01", "ended": ended, "end_reason": reason})


def test_a_family_the_therapist_ends_after_10_fft_sessions_has_completed():
    rule = load_intervention("fft").dosage
    att = pd.DataFrame({"participant_id": "f1", "session_no": range(1, 11), "attended": True})
    done = attendance_summary(att, rule, _parts("f1", "completed")).iloc[0]
    assert done["graduated"] and not done["dropped_out"] and done["n_attended"] == 10
    left = attendance_summary(att, rule, _parts("f1", "dropped_out")).iloc[0]
    assert not left["graduated"] and left["dropped_out"]
    # Without the participants table nobody can tell what the therapist decided.
    assert pd.isna(attendance_summary(att, rule).iloc[0]["graduated"])
    ses = pd.DataFrame({"site": "9901", "group_id": "C1", "session_no": range(1, 11),
                        "date": pd.date_range("2024-01-01", periods=10, freq="7D"),
                        "duration_min": 60, "leaders": "t1"})
    d = dosage_summary(att, rule, ses, _parts("f1", "completed")).iloc[0]
    assert d["share_graduated"] == 1.0 and d["share_dropped_out"] == 0.0


def test_keep_still_needs_13_of_16_sessions():
    rule = load_intervention("keep").dosage
    att = pd.DataFrame({"participant_id": "f1", "session_no": range(1, 11), "attended": True})
    s = attendance_summary(att, rule, _parts("f1", "completed")).iloc[0]
    assert rule.completion == "attendance" and rule.sessions_to_graduate == 13
    assert not s["graduated"]


def test_pmto_completion_is_the_therapists_and_a_share_cannot_be_set_too():
    assert load_intervention("pmto").dosage.completion == "practitioner"
    with pytest.raises(ValidationError) as err:
        DosageRule(sessions=12, min_attendance=0.8, completion="practitioner")
    assert err.value.problems[0].column == "dosage.min_attendance"
    with pytest.raises(ValidationError):
        DosageRule(sessions=12, min_attendance=None)


@pytest.mark.parametrize("name", list_interventions())
def test_every_threshold_has_its_source_or_is_a_local_convention(name):
    iv = load_intervention(name)
    t = iv.thresholds()
    assert set(t["basis"]) <= {"local", "source"}
    assert (t["note"].str.len() > 20).all()
    local = t[t["basis"] == "local"]
    assert local["note"].str.contains("convention").all()


def test_keep_attendance_rule_is_sourced_and_fft_age_range_is_tiles():
    assert load_intervention("keep").thresholds().set_index("threshold").loc[
        "min_attendance", "basis"] == "source"
    fft = load_intervention("fft")
    for lang in LANGS:
        assert "11–17" in fft.text("target_group", lang)
        assert "11–18" not in fft.text("target_group", lang)


# -- names, descriptions and terms in every language --------------------------------------------
@pytest.mark.parametrize("name", list_interventions())
def test_names_descriptions_components_and_target_groups_in_three_languages(name):
    iv = load_intervention(name)
    for field in ("target_group", "description"):
        texts = [iv.text(field, lg) for lg in LANGS]
        assert all(texts) and texts[1] != texts[2], (name, field)
    assert len({iv.label(lg) for lg in LANGS}) >= 2 or name == "fft"
    for c in iv.components:
        names = [c.label(lg) for lg in LANGS]
        assert all(names) and all(c.text("rationale", lg) for lg in LANGS), (name, c.id)
    assert iv.components_frame("da")["name"].tolist() == [c.label("da") for c in iv.components]


def test_keeps_name_is_keep_in_every_language():
    keep = load_intervention("keep")
    assert all(keep.label(lg).startswith("KEEP – ") for lg in LANGS)


def _label_maps(node, path=""):
    if isinstance(node, dict):
        if set(LANGS) <= set(node) and all(isinstance(node[lg], str) for lg in LANGS):
            yield path, node
        for k, v in node.items():
            yield from _label_maps(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _label_maps(v, f"{path}[{i}]")


def test_every_shipped_label_uses_the_glossary_terms():
    bad = []
    for f in sorted((ROOT / "implementere_kit").rglob("*.yaml")):
        if f.parent.name in ("locales", "definition_schemas") or f.name == "glossary.yaml":
            continue
        for path, lab in _label_maps(load_yaml(f)):
            bad += [(f.name, path, lg, w) for lg in LANGS for w in avoided_terms(lab[lg], lg)]
    for lg in LANGS:
        bad += [("locale", k, lg, w) for k, v in locale(lg).items() for w in avoided_terms(v, lg)]
    assert bad == []


def test_danish_never_uses_one_word_for_core_elements_and_components():
    # Socialstyrelsen's kerneelement is a part of an intervention that must be kept; the
    # nine tasks of implementere.no's model are kerneopgaver in Danish (the glossary's note),
    # so "kerneelement 5", "kerneelement nr. 3" or "ni kerneelementer" is the other concept
    assert term("core_component", "da") == "kerneelement"
    assert term("core_element", "da") == "kerneopgave"
    da = locale("da")
    assert da["core_element"].lower() == term("core_element", "da")
    assert da["chart_core"].lower() == da["ui_kind_core"].lower() == term("core_component", "da")
    texts = [("locale", k, v) for k, v in da.items()]
    for f in sorted((ROOT / "implementere_kit").rglob("*.yaml")):
        if f.parent.name not in ("locales", "definition_schemas") and f.name != "glossary.yaml":
            texts += [(f.name, path, lab["da"]) for path, lab in _label_maps(load_yaml(f))]
    nine = re.compile(r"\bkerneelement\w*\s+(?:\d|nr\b)|\bni\s+kerneelement", re.IGNORECASE)
    assert [t for t in texts if nine.search(t[2])] == []
    assert "ni kerneopgaver" in load_framework("implementere").description("da")


def test_site_is_a_municipality_or_organisation_in_every_language():
    for lg in LANGS:
        for key in ("site", "col_site", "report_field_site"):
            assert locale(lg)[key].lower() == term("site", lg), (lg, key)
    assert term("site", "da") == "kommune/organisation"
    assert term("site", "nb") == "kommune/virksomhet"


def test_danish_roles_and_owner_use_danish_words(fw):
    assert fw.role("intervention_owner").label("da").lower() == term("intervention_owner", "da")
    assert fw.role("practitioners").label("da") == "Fagprofessionelle"
    assert locale("da")["ui_iv_owner"] == "Metodeejer"


def test_glossary_page_is_written_from_the_data():
    assert (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8") == glossary_markdown()


# -- the three types and the kinds of support as data --------------------------------------------
def test_intervention_types_as_data():
    assert INTERVENTION_TYPES == ("evidence-based", "ready-made", "self-developed")
    for lg in LANGS:
        df = intervention_types(lg)
        assert df["type"].tolist() == list(INTERVENTION_TYPES)
        assert df[["label", "advantage", "support", "plan"]].map(bool).all().all()
    en = intervention_types("en").set_index("type")
    assert "requirements" in en.loc["evidence-based", "support"]
    assert "develops both" in en.loc["self-developed", "support"]
    assert en.loc["self-developed", "typical_support"] == ()


def test_the_two_missing_kinds_of_support_are_there_with_labels():
    assert {"implementation_description", "implementation_guidance"} <= set(SUPPORT_KINDS)
    assert SUPPORT_KINDS[:2] == ("handbook", "training")
    for lg in LANGS:
        df = support_kinds(lg)
        assert df["support"].tolist() == list(SUPPORT_KINDS)
        assert df["label"].ne(df["support"]).all() and df["description"].map(bool).all()


def test_tools_carry_their_implementere_page(fw):
    tools = fw.tools_frame("nb")
    assert len(tools) >= 15 and tools["url"].str.startswith("https://implementere.no/").all()
    assert not tools.loc[tools["core_element"] == 3, "verified"].eq(False).any()
    assert tools.loc[tools["core_element"] == 7, "verified"].eq(False).all()


# -- one checker for definition files -----------------------------------------------------------
def test_the_hand_written_readers_are_gone_and_plans_import_without_cycles():
    plans = ROOT / "implementere_kit" / "plans"
    assert not (plans / "_framework_reader.py").exists()
    assert not (plans / "_intervention_spec.py").exists()

    def imports(path):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        return {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}

    # frameworks → _framework_model; intervention → _intervention_parts, frameworks (lazily);
    # none of them imports back.
    for low in ("_framework_model.py", "frameworks.py", "_intervention_parts.py",
                "intervention_types.py"):
        assert "intervention" not in imports(plans / low), low
    assert "frameworks" not in imports(plans / "_framework_model.py")


@pytest.mark.parametrize("kind, data, column", [
    ("framework", {"id": "x", "label": {"nb": "X", "en": "X"}, "source": "s",
                   "phases": [{"id": "a", "label": "A"}]}, "label.da"),
    ("intervention", {"id": "x", "name": "X", "type": "ready-made",
                      "components": [{"id": "c", "name": {"nb": "C", "en": "C"}}]},
     "components.c.name.da"),
    ("instrument", None, "label.da"),
])
def test_one_rule_for_labels_in_every_kind_of_definition(kind, data, column):
    from implementere_kit.measures.instruments import Instrument

    if kind == "framework":
        path = package_file("plans", "intervention_types.yaml").parent / "x"
        with pytest.raises(ValidationError) as err:
            from implementere_kit.plans._framework_model import build_framework
            build_framework(data, str(path))
    elif kind == "intervention":
        with pytest.raises(ValidationError) as err:
            Intervention.from_dict(data)
    else:
        inst = dict(load_yaml(package_file("measures/instrument_data", "aim.yaml")))
        inst["label"] = {"nb": "A", "en": "A"}
        with pytest.raises(ValidationError) as err:
            Instrument.from_dict(inst)
    found = {(p.column, p.message) for p in err.value.problems}
    assert (column, "missing key") in found


def test_a_comma_that_split_a_label_is_named():
    with pytest.raises(ValidationError) as err:
        Intervention.from_dict({"id": "x", "name": "X", "type": "ready-made", "components": [
            {"id": "c", "name": {"nb": "Ros", "oppmuntring": None, "da": "Ros", "en": "Praise"}}]})
    (p,) = err.value.problems
    assert p.column == "components.c.name.oppmuntring" and "comma" in p.message


def test_definition_schemas_are_valid_json_schema():
    from jsonschema import Draft202012Validator

    for f in sorted((ROOT / "implementere_kit" / "definition_schemas").glob("*.yaml")):
        Draft202012Validator.check_schema(load_yaml(f))
    assert re.search(r"jsonschema", (ROOT / "pyproject.toml").read_text())
