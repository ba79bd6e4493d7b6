"""Tests for implementere_kit.plans.frameworks (framework definitions, crosswalk, validation)."""

from __future__ import annotations

import itertools
import shutil

import pandas as pd
import pytest
import yaml

from implementere_kit._data import LANGS, package_file
from implementere_kit.errors import ImplementereError, UnknownNameError, ValidationError
from implementere_kit.plans.frameworks import (
    RELATIONS,
    TOOL_KINDS,
    _read_crosswalk,
    crosswalk,
    list_frameworks,
    load_framework,
    sic_phase_of_stage,
)
from implementere_kit.plans.intervention import DEVELOP_CHECKLIST_KEYS, INTERVENTION_TYPES

ALL = ["epis", "implementere", "nirn", "sic", "socialstyrelsen"]

# Names as listed on https://implementere.no/hva-ma-du-gjore/ (checked with the search tool).
KE_NAMES_NB = {
    1: "Utforske og tilpasse tiltak",
    2: "Kartlegge forutsetninger for implementeringen",
    3: "Velge og tilpasse implementeringsstrategier",
    4: "Sikre nødvendig forankring og implementeringsledelse",
    5: "Planlegge monitorering av implementeringskvalitet og nytteverdien",
    6: "Iverksette implementeringsstrategiene og monitorere etter planen",
    7: "Foreta løpende vurderinger og nødvendige justeringer underveis",
    8: "Evaluere og justere for å sikre bærekraft",
    9: "Sikre rutiner og systemer for videreføring",
}
KE_PHASE = {1: "forberede", 2: "forberede", 3: "planlegge", 4: "planlegge", 5: "planlegge",
            6: "implementere", 7: "implementere", 8: "viderefore", 9: "viderefore"}


@pytest.fixture(scope="module")
def impl():
    return load_framework("implementere")


def _units(fw):
    return fw.stages or fw.phases


def _all_labelled(fw):
    """Every object with labels in a framework."""
    yield from (*fw.phases, *fw.stages, *fw.drivers, *fw.driver_groups, *fw.domains, *fw.roles)
    for ce in fw.core_elements:
        yield from (ce, *ce.tools, *ce.checklist, *ce.activities)
    for st in fw.stages:
        yield from st.activities
    for cl in fw.checklists.values():
        yield from (cl, *cl.items)


# -- loading ----------------------------------------------------------------------------
def test_list_frameworks():
    assert list_frameworks() == ALL


def test_unknown_framework_lists_known_ones():
    with pytest.raises(UnknownNameError) as exc:
        load_framework("epsi")
    assert exc.value.known == ALL
    for name in ALL:
        assert name in str(exc.value)


def test_missing_user_file_is_unknown_name(tmp_path):
    with pytest.raises(UnknownNameError, match="framework file"):
        load_framework(tmp_path / "missing.yaml")


def test_load_is_cached_and_immutable(impl):
    assert load_framework("implementere") is impl
    assert isinstance(impl.phases, tuple) and isinstance(impl.core_elements, tuple)
    with pytest.raises(TypeError):
        impl.checklists["x"] = None  # read-only mapping: the cached object cannot be changed
    with pytest.raises(AttributeError):
        impl.id = "other"


@pytest.mark.parametrize("name", ALL)
def test_every_framework_has_source_and_three_language_labels(name):
    fw = load_framework(name)
    assert fw.id == name and len(fw.source) > 20
    assert all(fw.label(lang) for lang in LANGS)
    items = list(_all_labelled(fw))
    assert len(items) >= 4
    for item in items:
        for lang in LANGS:
            assert item.label(lang).strip(), (name, item.id, lang)


def test_label_unknown_language_raises(impl):
    with pytest.raises(UnknownNameError, match="language"):
        impl.phases[0].label("sv")
    with pytest.raises(UnknownNameError):
        impl.label("de")


# -- implementere.no --------------------------------------------------------------------
def test_implementere_phases(impl):
    assert [p.id for p in impl.phases] == ["forberede", "planlegge", "implementere", "viderefore"]
    assert [p.label("nb") for p in impl.phases] == ["Forberede", "Planlegge", "Implementere",
                                                    "Videreføre"]
    assert [p.label("da") for p in impl.phases] == ["Forberede", "Planlægge", "Implementere",
                                                    "Videreføre"]
    assert [p.label("en") for p in impl.phases] == ["Prepare", "Plan", "Implement", "Sustain"]
    frame = impl.phases_frame("en")
    assert frame["order"].tolist() == [1, 2, 3, 4] and frame.label.iloc[3] == "Sustain"


def test_implementere_core_elements_as_on_the_site(impl):
    assert [c.id for c in impl.core_elements] == list(range(1, 10))
    assert {c.id: c.phase for c in impl.core_elements} == KE_PHASE
    assert {c.id: c.label("nb") for c in impl.core_elements} == KE_NAMES_NB
    assert [c.id for c in impl.core_elements_in("planlegge")] == [3, 4, 5]
    assert impl.core_element("ke3") is impl.core_element(3) is impl.core_element("3")
    with pytest.raises(UnknownNameError):
        impl.core_element(10)
    with pytest.raises(UnknownNameError):
        impl.phase("evaluere")


def test_core_element_parts(impl):
    for ce in impl.core_elements:
        assert ce.source.startswith("https://implementere.no/hva-ma-du-gjore/")
        assert 4 <= len(ce.checklist) <= 8, ce.id
        assert 4 <= len(ce.activities) <= 10, ce.id
        assert ce.tools and all(t.kind in TOOL_KINDS for t in ce.tools)
        assert ce.description("en")
    kinds = {t.kind for ce in impl.core_elements for t in ce.tools}
    assert kinds == set(TOOL_KINDS)
    frame = impl.core_elements_frame("nb")
    assert frame.n_checklist.sum() == sum(len(c.checklist) for c in impl.core_elements)


def test_activity_templates(impl):
    df = impl.activity_templates()
    assert list(df.columns) == ["activity_id", "phase", "core_element", "sic_stage", "title_nb",
                                "title_da", "title_en", "role", "applies_to", "needs_support",
                                "without_support", "start_week", "duration_weeks"]
    assert df.activity_id.is_unique
    assert df.sic_stage.dropna().between(1, 8).all()
    assert set(df.role) <= {r.id for r in impl.roles}
    assert all(isinstance(a, tuple) and set(a) <= set(INTERVENTION_TYPES) for a in df.applies_to)
    # phase i+1 starts after phase i; the whole plan spans about two to three years
    starts = df.groupby("phase").start_week.min()[[p.id for p in impl.phases]].tolist()
    assert starts == sorted(starts) and len(set(starts)) == 4
    assert 104 <= (df.start_week + df.duration_weeks).max() <= 156
    assert (df.phase == df.core_element.map(KE_PHASE)).all()


def test_templates_by_intervention_type(impl):
    ids = {t: set(impl.activity_templates(t).activity_id) for t in INTERVENTION_TYPES}
    owner = {"ke3_contract", "ke8_certification", "ke6_owner_fidelity", "ke3_owner_training",
             "ke6_owner_supervision"}
    develop = {"ke1_develop", "ke1_toc", "ke3_pilot"}
    assert owner <= ids["evidence-based"]
    assert develop <= ids["self-developed"] and not develop & ids["evidence-based"]
    # What an owner offers is the support's business: a self-developed intervention has none.
    own = set(impl.activity_templates("self-developed", support=[]).activity_id)
    assert not owner & own
    assert develop <= ids["self-developed"] and not develop & ids["evidence-based"]
    common = ids["evidence-based"] & ids["ready-made"] & ids["self-developed"]
    assert {"ke3_plan", "ke5_monitoring_plan", "ke8_decide"} <= common
    assert len(impl.activity_templates()) > len(impl.activity_templates("ready-made"))
    with pytest.raises(UnknownNameError, match="intervention type"):
        impl.activity_templates("homegrown")


def test_top_level_checklists(impl):
    assert tuple(impl.checklists["utvikle_tiltak"].item_ids) == DEVELOP_CHECKLIST_KEYS
    assert impl.checklists["implementere_tiltak"].item_ids == [
        "who_delivers", "motivate_staff", "learn_method", "extra_resources",
        "management_backing", "premises"]
    assert impl.checklists["utvikle_tiltak"].items[-1].label("nb") == \
        "Hvorfor regner vi med at tiltaket vil virke?"


def test_checklist_items_frame(impl):
    df = impl.checklist_items()
    assert list(df.columns) == ["checklist_id", "question_id", "label_nb", "label_da", "label_en",
                                "toc"]
    assert list(dict.fromkeys(df.checklist_id)) == [f"ke{i}" for i in range(1, 10)] + [
        "utvikle_tiltak", "implementere_tiltak"]
    assert not df.duplicated(["checklist_id", "question_id"]).any()
    assert len(df) == sum(len(c) for c in impl.checklists.values())
    assert df.filter(like="label_").map(bool).all().all()


# -- the other frameworks ---------------------------------------------------------------
def test_epis():
    fw = load_framework("epis")
    assert [p.id for p in fw.phases] == ["exploration", "preparation", "implementation",
                                         "sustainment"]
    assert [d.id for d in fw.domains] == ["outer_context", "inner_context", "bridging_factors",
                                          "innovation_factors"]
    assert "Aarons" in fw.source and "38:4-23" in fw.source


def test_nirn():
    fw = load_framework("nirn")
    assert [p.id for p in fw.phases] == ["exploration", "installation", "initial_implementation",
                                         "full_implementation"]
    groups = {}
    for d in fw.drivers:
        groups.setdefault(d.group, []).append(d.id)
    assert groups == {
        "competency": ["selection", "training", "coaching", "fidelity_assessment"],
        "organisation": ["decision_support_data_system", "facilitative_administration",
                         "systems_intervention"],
        "leadership": ["technical", "adaptive"]}
    assert [g.id for g in fw.driver_groups] == list(groups)


def test_socialstyrelsen():
    fw = load_framework("socialstyrelsen")
    assert [(p.id, p.number) for p in fw.phases] == [
        ("screening", 0), ("modning", 1), ("afproevning", 2), ("udbredelse", 3)]
    assert all(p.id.isascii() for p in fw.phases)
    assert fw.phases_frame("da").number.tolist() == [0, 1, 2, 3]


def test_sic_stages_match_original_mtfc_version():
    fw = load_framework("sic")
    assert [s.id for s in fw.stages] == list(range(1, 9))
    assert [len(s.activities) for s in fw.stages] == [3, 3, 8, 6, 2, 4, 3, 2]
    assert [s.phase for s in fw.stages] == ["pre"] * 3 + ["impl"] * 4 + ["sustain"]
    assert [p.id for p in fw.phases] == ["pre", "impl", "sustain"]
    assert fw.stage(5).label("en") == "Adherence Monitoring Processes in Place"
    acts = fw.stage_activities("en")
    assert acts.activity.is_unique and len(acts) == 31
    assert fw.stages_frame().n_activities.sum() == 31
    assert "Implement Sci 6:116" in fw.source


def test_sic_phase_of_stage():
    assert [sic_phase_of_stage(s) for s in range(1, 9)] == ["pre"] * 3 + ["impl"] * 4 + ["sustain"]
    with pytest.raises(UnknownNameError, match="stage"):
        sic_phase_of_stage(9)


# -- crosswalk --------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", list(itertools.combinations(ALL, 2)))
def test_crosswalk_every_pair_both_directions(a, b):
    ab, ba = crosswalk(a, b), crosswalk(b, a)
    assert list(ab.columns) == ["id_a", "label_a", "id_b", "label_b", "relation"]
    assert len(ab) == len(ba) > 0
    as_set = set(zip(ab.id_a, ab.id_b, ab.relation, strict=True))
    assert as_set == set(zip(ba.id_b, ba.id_a, ba.relation, strict=True))
    assert set(ab.relation) <= set(RELATIONS)
    # every phase/stage of both frameworks is mapped to something
    assert set(ab.id_a) == {u.id for u in _units(load_framework(a))}
    assert set(ab.id_b) == {u.id for u in _units(load_framework(b))}
    fa = load_framework(a)
    assert ab.label_a.tolist() == [_units(fa)[[u.id for u in _units(fa)].index(i)].label("en")
                                   for i in ab.id_a]


def test_crosswalk_values_and_language():
    cw = crosswalk("implementere", "epis", lang="nb")
    assert cw[["id_a", "id_b"]].values.tolist() == [
        ["forberede", "exploration"], ["planlegge", "preparation"],
        ["implementere", "implementation"], ["viderefore", "sustainment"]]
    assert (cw.relation == "equivalent").all()
    assert cw.label_a.iloc[0] == "Forberede" and cw.label_b.iloc[0] == "Utforskning"
    sic = crosswalk("sic", "nirn")
    assert sic.id_a.dtype.kind == "i"  # SIC stage ids stay integers
    same = crosswalk("nirn", "nirn")
    assert (same.id_a == same.id_b).all() and len(same) == 4
    with pytest.raises(UnknownNameError):
        crosswalk("implementere", "cfir")
    with pytest.raises(UnknownNameError):
        crosswalk("implementere", "epis", lang="xx")


def test_crosswalk_file_stores_each_mapping_once():
    df = pd.read_csv(package_file("plans/framework_data", "crosswalk.csv"), dtype=str)
    assert list(df.columns) == ["framework_a", "id_a", "framework_b", "id_b", "relation"]
    fwd = set(zip(df.framework_a, df.id_a, df.framework_b, df.id_b, strict=True))
    back = set(zip(df.framework_b, df.id_b, df.framework_a, df.id_a, strict=True))
    assert len(fwd) == len(df) and not fwd & back
    pairs = set(zip(df.framework_a, df.framework_b, strict=True))
    assert len(pairs) == 10 and not {(b, a) for a, b in pairs} & pairs


def test_bad_crosswalk_reports_every_row(tmp_path):
    path = tmp_path / "crosswalk.csv"
    path.write_text("framework_a,id_a,framework_b,id_b,relation\n"
                    "implementere,forberede,epis,exploration,equivalent\n"
                    "implementere,forberedelse,epis,preparation,equivalent\n"
                    "epis,sustainment,implementere,viderefore,same\n"
                    "sic,9,cfir,x,overlaps\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        _read_crosswalk(path)
    found = {(p.row, p.column) for p in exc.value.problems}
    assert {(2, "id_a"), (3, "relation"), (3, "framework_a"), (4, "id_a"),
            (4, "framework_b")} <= found
    assert all(p.file == str(path) for p in exc.value.problems)


# -- user files and malformed definitions -----------------------------------------------
def test_load_user_file(tmp_path):
    path = tmp_path / "mine.yaml"
    shutil.copy(package_file("plans/framework_data", "implementere.yaml"), path)
    fw = load_framework(path)
    assert fw.file == str(path) and len(fw.core_elements) == 9
    assert fw.activity_templates().equals(load_framework("implementere").activity_templates())


def test_malformed_definition_names_file_and_every_key(tmp_path):
    data = yaml.safe_load(package_file("plans/framework_data", "implementere.yaml").read_text("utf-8"))
    ce3 = data["core_elements"][2]
    del ce3["phase"]
    ce3["activities"][0]["role"] = "mayor"
    ce3["activities"][1]["sic_stage"] = 9
    ce3["activities"][2]["applies_to"] = ["evidence_based"]
    ce3["tools"][0]["kind"] = "pdf"
    del data["phases"][1]["label"]["en"]
    data["core_elements"][8]["phase"] = "evaluere"
    data["core_elements"][0]["activities"].append(dict(data["core_elements"][0]["activities"][0]))
    data["colour"] = "blue"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_framework(str(path))
    keys = {p.column for p in exc.value.problems}
    assert {"core_elements.3.phase", "core_elements.3.activities.ke3_plan.role",
            "core_elements.3.activities.ke3_barriers.sic_stage",
            "core_elements.3.activities.ke3_budget.applies_to",
            "core_elements.3.tools.plan_checklist.kind", "phases.planlegge.label.en",
            "core_elements.9.phase", "core_elements.1.activities.id", "colour"} <= keys
    assert all(p.file == str(path) for p in exc.value.problems)
    message = str(exc.value)
    assert "broken.yaml" in message and "core_elements.3.phase" in message


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nphases: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="bad.yaml"):
        load_framework(path)


def test_definition_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a mapping"):
        load_framework(path)


def test_minimal_user_framework(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text("id: tiny\nlabel: Tiny\nsource: our own\n"
                    "phases:\n  - {id: start, label: {nb: Start, da: Start, en: Start}}\n",
                    encoding="utf-8")
    fw = load_framework(path)
    assert fw.phase("start").label("da") == "Start"
    assert fw.activity_templates().empty and fw.checklist_items().empty
    with pytest.raises(ImplementereError):
        crosswalk("tiny", "epis")
