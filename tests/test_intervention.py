"""Tests of implementere_kit.plans.intervention and the shipped intervention definitions."""

from __future__ import annotations

import json
import textwrap

import pytest

from implementere_kit.errors import UnknownNameError, ValidationError
from implementere_kit.plans.intervention import (
    DEVELOP_CHECKLIST_KEYS,
    INTERVENTION_TYPES,
    SUPPORT_KINDS,
    Component,
    DosageRule,
    Intervention,
    TheoryOfChange,
    list_interventions,
    load_intervention,
)

SHIPPED = ["duaa", "fft", "keep", "opsporingsmodellen", "pmto"]


def _columns(err: ValidationError) -> set[str]:
    return {p.column for p in err.problems}


# -- shipped definitions --------------------------------------------------------------
def test_list_interventions_names_every_shipped_file():
    assert list_interventions() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_definition_loads_complete(name):
    iv = load_intervention(name)
    assert iv.id == name
    assert iv.type in INTERVENTION_TYPES
    assert set(iv.support) <= set(SUPPORT_KINDS) and iv.support
    assert iv.owner and iv.target_group and iv.description and iv.requirements
    # Every definition cites where its facts come from.
    assert "http" in iv.source or "(" in iv.source
    assert len(iv.source.splitlines()) >= 3
    assert {iv.label(lang) for lang in ("nb", "da", "en")} == set(iv.labels.values())
    assert iv.core_components()
    # A theory of change with a critical assumption on every arrow.
    toc = iv.theory_of_change
    assert all(getattr(toc, lvl) for lvl in ("resources", "activities", "deliverables",
                                             "results", "long_term_effects"))
    assert toc.missing_assumptions() == []
    assert (toc.links()["assumption"].str.len() > 0).all()
    # ... every box and assumption of it in nb, da and en (issue 15, item 4)
    shown = set(toc.elements()["text"]) | set(toc.assumptions.values())
    assert set(toc.texts) == shown
    for lang in ("nb", "da"):
        assert not shown & (set(toc.elements(lang)["text"]) | set(toc.links(lang)["assumption"]))


def test_keep_dosage_and_graduation():
    d = load_intervention("keep").dosage
    assert (d.sessions, d.min_attendance, d.makeups_count) == (16, 0.8, True)
    assert (d.session_minutes, d.interval_days) == (90, 7)
    assert d.max_group_size <= 6 and d.leaders_per_group == 2
    # 80 % of 16 is 12.8, so a family needs 13 sessions (make-ups included).
    assert d.sessions_to_graduate == 13


def test_keep_core_and_flexible_components():
    keep = load_intervention("keep")
    core = [c.id for c in keep.core_components()]
    flexible = [c.id for c in keep.flexible_components()]
    assert core[:2] == ["curriculum", "role_play"]
    assert {"home_practice", "weekly_phone_call", "makeup_sessions"} <= set(core)
    assert {"refreshments", "childcare"} <= set(flexible)
    assert not set(core) & set(flexible)
    assert len(core) + len(flexible) == len(keep.components)
    frame = keep.components_frame()
    assert list(frame.columns) == ["id", "name", "kind", "rationale", "description"]
    assert (frame.set_index("id").loc["childcare", "kind"]) == "flexible"


def test_fft_session_range_and_phases():
    fft = load_intervention("fft")
    d = fft.dosage
    assert (d.min_sessions, d.max_sessions, d.sessions) == (12, 20, 12)
    # No owner rule counts sessions: the therapist decides when a family has completed.
    assert d.completion == "practitioner"
    assert d.min_attendance is None and d.sessions_to_graduate is None
    assert [c.id for c in fft.core_components()] == [
        "engagement", "motivation", "relational_assessment", "behaviour_change", "generalisation"]
    assert any("document" in r.label("en").lower() for r in fft.requirements)


def test_duaa_pmto_and_opsporingsmodellen_facts():
    duaa = load_intervention("duaa").dosage
    assert (duaa.sessions, duaa.session_minutes, duaa.leaders_per_group) == (13, 120, 2)
    pmto = load_intervention("pmto")
    assert "NUBU" in pmto.owner and "contract" in pmto.support
    assert any("FIMP" in r.label("en") for r in pmto.requirements)
    ops = load_intervention("opsporingsmodellen")
    assert ops.type == "ready-made" and ops.dosage is None
    assert any("theory of change" in r.label("en") for r in ops.requirements)


def test_loaded_definition_does_not_share_state_with_the_yaml_cache():
    first = load_intervention("keep")
    first.theory_of_change.resources.append("added by a caller")
    first.labels["nb"] = "endret"
    again = load_intervention("keep")
    assert "added by a caller" not in again.theory_of_change.resources
    assert again.label("nb") != "endret"


def test_load_unknown_intervention_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as info:
        load_intervention("kepp")
    assert info.value.known == SHIPPED
    for name in SHIPPED:
        assert name in str(info.value)


def test_load_missing_yaml_file_is_an_unknown_name(tmp_path):
    with pytest.raises(UnknownNameError):
        load_intervention(str(tmp_path / "nope.yaml"))


def test_label_checks_language_and_falls_back_to_name():
    keep = load_intervention("keep")
    assert keep.label("da") != keep.label("nb")
    with pytest.raises(UnknownNameError):
        keep.label("sv")
    bare = Intervention(id="x", name="Lokalt tiltak", type="self-developed")
    assert bare.label("en") == "Lokalt tiltak"


# -- adaptations are the project's, not the intervention's ------------------------------------
def test_an_intervention_holds_no_adaptation_log():
    keep = load_intervention("keep")
    assert not hasattr(keep, "adaptations") and not hasattr(keep, "with_adaptation")
    assert "adaptations" not in keep.to_dict()
    # a definition that still carries a log is refused, naming the field
    old = {**keep.to_dict(), "adaptations": [{"date": "2024-03-01", "component": "x",
                                              "change": "c", "reason": "r", "kind": "core"}]}
    with pytest.raises(ValidationError) as info:
        Intervention.from_dict(old, file="own.yaml")
    assert "adaptations" in str(info.value)


# -- checklist -----------------------------------------------------------------------------
def test_from_checklist_builds_a_self_developed_intervention():
    answers = {k: f"svar {k}" for k in DEVELOP_CHECKLIST_KEYS}
    iv = Intervention.from_checklist(answers, id="kafe", name="Foreldrekafé",
                                     components=[Component("samtale", "Samtale")],
                                     dosage=DosageRule(sessions=6))
    assert iv.type == "self-developed"
    assert iv.checklist == answers
    assert iv.target_group == "svar target_group"
    # "Why do we expect it to work?" is the assumption behind deliverables → results.
    assert iv.theory_of_change.assumptions == {"deliverables->results": "svar why_it_works"}
    assert iv.theory_of_change.results == ["svar goal"]
    assert iv.theory_of_change.activities == ["svar content"]
    assert iv.dosage.sessions_to_graduate == 5


def test_from_checklist_lists_every_missing_answer():
    answers = {"target_group": "foreldre", "goal": "  ", "format": "gruppe", "extra": "x"}
    with pytest.raises(ValidationError) as info:
        Intervention.from_checklist(answers, id="x", name="X")
    missing = set(DEVELOP_CHECKLIST_KEYS) - {"target_group", "format"}
    assert _columns(info.value) == {f"checklist.{k}" for k in missing} | {"checklist.extra"}
    assert len(info.value.problems) == len(missing) + 1


# -- serialisation -------------------------------------------------------------------------
@pytest.mark.parametrize("name", SHIPPED)
def test_to_dict_from_dict_round_trip_through_json(name):
    iv = load_intervention(name)
    back = Intervention.from_dict(json.loads(json.dumps(iv.to_dict())))
    assert back == iv


def test_from_dict_rejects_a_non_mapping():
    with pytest.raises(ValidationError) as info:
        Intervention.from_dict(["keep"], file="x.yaml")
    assert info.value.problems[0].file == "x.yaml"


# -- malformed definitions -----------------------------------------------------------------
GOOD = """
id: lokal
name: Lokal gruppe
type: ready-made
support: [handbook]
components:
  - {id: a, name: A}
  - {id: b, name: B, kind: flexible}
dosage: {sessions: 8, min_attendance: 0.75}
"""


def _write(tmp_path, text: str):
    path = tmp_path / "def.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_good_yaml_file_loads_by_path(tmp_path):
    iv = load_intervention(str(_write(tmp_path, GOOD)))
    assert iv.dosage.sessions_to_graduate == 6
    assert [c.kind for c in iv.components] == ["core", "flexible"]


@pytest.mark.parametrize("old, new, column", [
    ("type: ready-made", "type: ready-made\ncolour: blue", "colour"),
    ("type: ready-made", "type: evidence", "type"),
    ("sessions: 8,", "sessions: eight,", "dosage.sessions"),
    ("{id: b, name: B, kind: flexible}", "{id: a, name: B, kind: flexible}", "components"),
    ("support: [handbook]", "support: [handbook, coaching]", "support"),
    ("support: [handbook]", "support: handbook", "support"),
    ("- {id: a, name: A}", "- {id: a, name: A, kind: central}", "components.a.kind"),
    ("- {id: a, name: A}", "- {id: a, name: A, weight: 2}", "components.a.weight"),
    ("dosage: {sessions: 8, min_attendance: 0.75}", "dosage: 8", "dosage"),
])
def test_each_kind_of_malformed_definition_names_file_and_key(tmp_path, old, new, column):
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ValidationError) as info:
        load_intervention(str(path))
    assert column in _columns(info.value)
    assert all(p.file == str(path) for p in info.value.problems)


def test_malformed_definition_lists_every_problem_at_once(tmp_path):
    text = """
    id: lokal
    name: Lokal gruppe
    type: evidence
    colour: blue
    support: [handbook, coaching]
    components:
      - {id: a, name: A}
      - {id: a, name: A again, kind: central}
    dosage: {sessions: 0, min_attendance: 80, minutes: 90}
    fidelity_threshold: high
    theory_of_change:
      resources: one string, not a list
      assumptions: {resources->results: skipped a level}
    """
    path = _write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_intervention(str(path))
    err = info.value
    # Two components share the id "a", so the bad one is named by its position.
    assert {"colour", "type", "support", "components[1].kind", "dosage.minutes",
            "fidelity_threshold", "theory_of_change.resources",
            "theory_of_change.assumptions.resources->results"} <= _columns(err)
    assert all(p.file == str(path) for p in err.problems)
    assert str(path) in str(err)
    # The whole report is a table too, one row per problem.
    assert len(err.table()) == len(err.problems) >= 8


def test_duplicate_component_ids_are_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("{id: b, name: B", "{id: a, name: B"))
    with pytest.raises(ValidationError) as info:
        load_intervention(str(path))
    (dup,) = [p for p in info.value.problems if p.message == "duplicate component id"]
    assert "a" in dup.found


def test_errors_never_echo_an_identifier(tmp_path):
    path = _write(tmp_path, GOOD.replace("type: ready-made", "type: '010190-12345'"))
    with pytest.raises(ValidationError) as info:
        load_intervention(str(path))
    assert "010190" not in str(info.value)
    assert "masked" in info.value.problems[0].found


def test_missing_required_fields_are_reported_once_each():
    with pytest.raises(ValidationError) as info:
        Intervention.from_dict({"id": "x"}, file="f.yaml")
    assert sorted(p.column for p in info.value.problems) == ["name", "type"]


def test_constructor_validates_too():
    with pytest.raises(ValidationError) as info:
        Intervention(id="", name="X", type="home-made", support=("handbook", "money"),
                     fidelity_threshold=1.5, labels={"nb": "X"})
    assert _columns(info.value) == {"id", "type", "support", "fidelity_threshold", "labels.da",
                                    "labels.en"}


def test_component_lists_every_problem():
    with pytest.raises(ValidationError) as info:
        Component(id="c", name="", kind="optional", rationale=3)
    assert _columns(info.value) == {"components.c.name", "components.c.kind",
                                    "components.c.rationale"}


# -- theory of change ----------------------------------------------------------------------
def test_theory_of_change_links_and_missing_assumptions():
    toc = TheoryOfChange(resources=["leaders"], activities=["sessions"],
                         deliverables=["attendance"], results=["skills"],
                         assumptions={"resources->activities": "time set aside"})
    links = toc.links()
    assert list(links["source"]) == ["resources", "activities", "deliverables", "results"]
    assert list(links["target"]) == ["activities", "deliverables", "results", "long_term_effects"]
    assert links.iloc[0]["assumption"] == "time set aside"
    # The last link has an empty end, so no assumption is expected there.
    assert toc.missing_assumptions() == ["activities->deliverables", "deliverables->results"]
    assert list(toc.elements()["level"]) == ["resources", "activities", "deliverables", "results"]


def test_theory_of_change_in_each_language_round_trips_and_plain_text_reads_as_written():
    keep = load_intervention("keep")
    toc = keep.theory_of_change
    assert toc.boxes("results", "nb")[0].startswith("Fosterforeldrene bruker oppmuntring")
    assert toc.assumption("resources->activities", "da").startswith("Gruppelederne har fået")
    assert toc.results[0].startswith("Carers use")  # the field holds the English text
    again = Intervention.from_dict(json.loads(json.dumps(keep.to_dict())))
    assert again == keep and again.theory_of_change.boxes("results", "da") == toc.boxes(
        "results", "da")
    # A project saved before the boxes were translated holds plain (English) texts: they
    # read the same, as written, in every language.
    old = keep.to_dict()
    old["theory_of_change"] = toc.to_dict() | {lvl: list(getattr(toc, lvl)) for lvl in (
        "resources", "activities", "deliverables", "results", "long_term_effects")}
    old["theory_of_change"]["assumptions"] = dict(toc.assumptions)
    legacy = Intervention.from_dict(old).theory_of_change
    assert legacy.texts == {} and legacy.boxes("results", "nb") == toc.results
    assert legacy.assumption("results->long_term_effects", "da") == toc.assumptions[
        "results->long_term_effects"]
    # An edited box shows as written; the translations of the others still count.
    edited = TheoryOfChange(results=["Carers praise more", *toc.results[1:]], texts=toc.texts)
    assert edited.boxes("results", "nb") == ["Carers praise more", *toc.boxes("results", "nb")[1:]]
    assert toc.results[0] not in edited.texts and edited.to_dict()["results"][0] == (
        "Carers praise more")


def test_a_box_in_some_languages_only_is_refused():
    with pytest.raises(ValidationError) as info:
        TheoryOfChange(resources=[{"nb": "To ledere", "en": "Two leaders"}],
                       assumptions={"resources->activities": {"da": "Tid"}})
    assert {c.split(".")[1].split("[")[0] for c in _columns(info.value)} == {
        "resources", "assumptions"}
    with pytest.raises(ValidationError):
        TheoryOfChange(texts=["not", "a", "mapping"])
    with pytest.raises(ValidationError):
        load_intervention("keep").theory_of_change.boxes("outcomes", "nb")


def test_theory_of_change_rejects_unknown_links_and_non_lists():
    with pytest.raises(ValidationError) as info:
        TheoryOfChange(resources="leaders", assumptions={"resources->results": "x",
                                                         "activities->deliverables": 5})
    assert _columns(info.value) == {"theory_of_change.resources",
                                    "theory_of_change.assumptions.resources->results",
                                    "theory_of_change.assumptions.activities->deliverables"}


# -- dosage --------------------------------------------------------------------------------
def test_dosage_rule_lists_every_bad_value():
    with pytest.raises(ValidationError) as info:
        DosageRule(sessions=0, min_attendance=1.5, makeups_count="yes", session_minutes=-90,
                   leaders_per_group=True)
    assert _columns(info.value) == {"dosage.sessions", "dosage.min_attendance",
                                    "dosage.makeups_count", "dosage.session_minutes",
                                    "dosage.leaders_per_group"}


@pytest.mark.parametrize("kwargs, column", [
    ({"sessions": 12, "min_sessions": 20, "max_sessions": 12}, "dosage.min_sessions"),
    ({"sessions": 25, "min_sessions": 12, "max_sessions": 20}, "dosage.sessions"),
    ({"sessions": 10, "min_sessions": 12}, "dosage.sessions"),
    ({"sessions": 12, "min_sessions": "12", "max_sessions": 20}, "dosage.min_sessions"),
])
def test_dosage_rule_session_range(kwargs, column):
    with pytest.raises(ValidationError) as info:
        DosageRule(**kwargs)
    assert _columns(info.value) == {column}


def test_dosage_from_dict_reports_unknown_and_missing_fields_together():
    with pytest.raises(ValidationError) as info:
        DosageRule.from_dict({"minutes": 90, "weekly": True})
    assert _columns(info.value) == {"dosage.minutes", "dosage.weekly", "dosage.sessions"}


@pytest.mark.parametrize("sessions, share, expected", [(16, 0.8, 13), (10, 0.8, 8), (13, 0.75, 10),
                                                       (12, 1.0, 12), (20, 0.5, 10)])
def test_sessions_to_graduate_rounds_up(sessions, share, expected):
    assert DosageRule(sessions=sessions, min_attendance=share).sessions_to_graduate == expected
