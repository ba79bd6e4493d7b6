"""Outcome instruments as data: scoring keys, reliabilities, links to the theory of change."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from implementere_kit import load_intervention
from implementere_kit._data import package_file
from implementere_kit.errors import UnknownNameError, ValidationError
from implementere_kit.measures.family_outcomes import (
    list_outcome_instruments,
    load_outcome_instrument,
    outcome_links,
    score_outcome,
    toc_result_ids,
)

SDQ_SCALES = {"emotional": [3, 8, 13, 16, 24], "conduct": [5, 7, 12, 18, 22],
              "hyperactivity": [2, 10, 15, 21, 25], "peer": [6, 11, 14, 19, 23],
              "prosocial": [1, 4, 9, 17, 20]}
SDQ_REVERSED = {7, 11, 14, 21, 25}


def test_shipped_instruments_and_template():
    assert list_outcome_instruments() == ["pss", "sdq"]
    tpl = load_outcome_instrument(package_file("measures/outcome_data", "_template.yaml"))
    assert tpl.id == "my_outcome" and tpl.scale("total").reliability == 0.8
    with pytest.raises(UnknownNameError):
        load_outcome_instrument("_template")


def test_every_scale_states_its_reliability_and_source():
    for name in list_outcome_instruments():
        inst = load_outcome_instrument(name)
        assert inst.terms and inst.source
        for s in inst.scales.values():
            assert 0 < s.reliability < 1, (name, s.name)
            assert s.reliability_kind in ("test_retest", "cronbach_alpha")
            assert len(s.reliability_source) > 20, (name, s.name)


def test_no_item_wording_is_shipped():
    # copyright: the SDQ's items may not be reproduced; the PSS's owner asks to be asked
    # before the scale goes into an electronic system. Only numbers and rules are shipped.
    for name in list_outcome_instruments():
        text = package_file("measures/outcome_data", f"{name}.yaml").read_text().lower()
        data = yaml.safe_load(text)
        assert isinstance(data["items"], int)
        for phrase in ("temper tantrums", "considerate of other", "happy in my role",
                       "source of stress", "feel close to my child", "generally obedient"):
            assert phrase not in text


def test_pss_scoring_follows_berry_and_jones():
    pss = load_outcome_instrument("pss")
    assert sorted(pss.reverse) == [1, 2, 5, 6, 7, 8, 17, 18]
    answers = pd.DataFrame({"pid": ["a", "b"], **{f"pss_{i}": [1, 5] for i in range(1, 19)}})
    # a: 8 reversed items score 5, 10 others 1 -> 50; b: 8 × 1 + 10 × 5 -> 58
    assert score_outcome(answers, "pss")["total"].tolist() == [50.0, 58.0]
    assert pss.scale("total").low == 18 and pss.scale("total").high == 90


def _sdq_reference(row: dict) -> dict:
    """sdqinfo.org's scoring syntax: reverse, mean of ≥3 answered × 5, floor(0.5 + x)."""
    out = {}
    for scale, items in SDQ_SCALES.items():
        v = [row[i] if i not in SDQ_REVERSED or row[i] is None else 2 - row[i] for i in items]
        v = [x for x in v if x is not None]
        out[scale] = math.floor(0.5 + np.mean(v) * 5) if len(v) >= 3 else None
    parts = [out[s] for s in ("emotional", "conduct", "hyperactivity", "peer")]
    out["total_difficulties"] = None if None in parts else sum(parts)
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=25, max_size=25))
def test_sdq_scoring_matches_the_published_syntax(answers):
    row = dict(zip(range(1, 26), answers, strict=True))
    df = pd.DataFrame({f"sdq_{i}": [v] for i, v in row.items()}).astype("float64")
    got = score_outcome(df, "sdq").iloc[0]
    for scale, want in _sdq_reference(row).items():
        if want is None:
            assert pd.isna(got[scale]), scale
        else:
            assert got[scale] == want, scale


def test_bad_answers_are_listed_by_row_and_item():
    df = pd.DataFrame({f"pss_{i}": [3, 3] for i in range(1, 19)}).astype(object)
    df.loc[1, "pss_4"] = 7
    df.loc[0, "pss_9"] = "often"
    with pytest.raises(ValidationError) as e:
        score_outcome(df, "pss")
    found = {(p.row, p.column) for p in e.value.problems}
    assert found == {(2, "pss_4"), (1, "pss_9")}
    with pytest.raises(ValidationError, match="item column missing"):
        score_outcome(df.drop(columns=["pss_18"]), "pss")


def test_links_to_the_theory_of_change():
    keep, fft = load_intervention("keep"), load_intervention("fft")
    assert toc_result_ids(keep) == ["R1", "R2", "R3"]
    links = outcome_links(fft)
    measured = links.dropna(subset=["instrument"])
    assert measured[["result_id", "instrument", "scale"]].values.tolist() == [
        ["R2", "sdq", "total_difficulties"]]
    # the box's text in the language asked for (nb by default)
    assert links["result"].iloc[1] == fft.theory_of_change.boxes("results", "nb")[1]
    assert outcome_links(fft, lang="en")["result"].iloc[1] == fft.theory_of_change.results[1]
    assert links["result"].iloc[1] != fft.theory_of_change.results[1]


def test_a_link_to_a_missing_result_box_is_refused(tmp_path):
    data = yaml.safe_load(package_file("measures/outcome_data", "_template.yaml").read_text())
    data["scales"]["total"]["toc"] = {"keep": "R9"}
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError) as e:
        outcome_links(load_intervention("keep"), instruments=[str(path)])
    assert e.value.problems[0].found == "R9"


@pytest.mark.parametrize("change,key", [
    (lambda d: d.pop("scales"), "scales"),
    (lambda d: d["scales"]["total"].pop("reliability"), "scales.total.reliability"),
    (lambda d: d["scales"]["total"]["reliability"].update(value=1.4),
     "scales.total.reliability.value"),
    (lambda d: d["scales"]["total"].update(items=[0, 99]), "scales.total.items"),
    (lambda d: d["scales"]["total"].update(toc={"keep": "result two"}), "scales.total.toc.keep"),
    (lambda d: d.update(informants=["neighbour"]), "informants"),
    (lambda d: d.update(primary="nothing"), "primary"),
])
def test_malformed_definitions_name_the_key(tmp_path, change, key):
    data = yaml.safe_load(package_file("measures/outcome_data", "_template.yaml").read_text())
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError) as e:
        load_outcome_instrument(str(path))
    assert key in {p.column for p in e.value.problems}
    assert all(p.file == str(path) for p in e.value.problems)


def test_a_definition_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ValidationError, match="not a mapping"):
        load_outcome_instrument(str(path))
    with pytest.raises(ValidationError, match="not found"):
        load_outcome_instrument(str(tmp_path / "missing.yaml"))
