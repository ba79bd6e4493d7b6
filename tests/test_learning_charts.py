"""The charts of outcomes against delivery, barriers, FRAME adaptations and costs, tested by
the shapes they draw under Agg (as seaborn does), never by pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import implementere_kit as ik  # noqa: E402
from implementere_kit import charts  # noqa: E402
from implementere_kit.errors import ValidationError  # noqa: E402
from implementere_kit.i18n import t  # noqa: E402
from implementere_kit.measures.components import component_data  # noqa: E402
from implementere_kit.measures.cost import cost_breakdown  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_dose_response(havnstrup):
    data = component_data(ik.Project.open(havnstrup), instrument="pss")
    ax = charts.dose_response_chart(data, lang="da")
    assert len(ax.collections) == data["site"].nunique()
    points = sum(c.get_offsets().shape[0] for c in ax.collections)
    assert points == data[["dose", "improvement"]].dropna().shape[0]
    assert len(ax.lines) == 2  # band means and the zero line
    assert ax.get_title() == t("chart_dose_response_title", "da")


def test_dose_response_refuses_doses_outside_zero_to_one():
    bad = pd.DataFrame({"site": ["901"], "dose": [1.4], "improvement": [2]})
    with pytest.raises(ValidationError, match="dose outside"):
        charts.dose_response_chart(bad)


def test_component_chart_draws_one_interval_per_component(network_dir):
    projects = sorted(p.parent for p in network_dir.glob("dk-*/project.json"))
    ca = ik.component_analysis(projects)
    shown = ca[(ca["term"].isin(["adherence"]) | ((ca["model"] == "dose") & (ca["term"] == "dose"))
                | ((ca["model"] == "core") & (ca["term"] == "core_adherence")))
               & ca["estimate"].notna()]
    ax = charts.component_chart(ca, lang="en")
    assert len(ax.containers) == len(shown)
    assert len(ax.get_yticklabels()) == len(shown)


def test_barriers_chart_shape(havnstrup):
    b = ik.Project.open(havnstrup).table("barriers")
    ax = charts.barriers_chart(b, lang="nb")
    assert len(ax.patches) == 4 * 4 * 2
    widths = sum(p.get_width() for p in ax.patches)
    assert widths == len(b)
    hatched = sum(p.get_width() for p in ax.patches if p.get_hatch())
    assert hatched == (b["status"] != "resolved").sum()


def test_frame_chart_shape_and_labels():
    a = pd.DataFrame({"what": ["content", "context", "content", None],
                      "fidelity": ["consistent", "unknown", "inconsistent", "consistent"]})
    ax = charts.frame_chart(a, lang="nb")
    assert len(ax.patches) == 5 * 3
    assert sum(p.get_width() for p in ax.patches) == 3  # the uncoded row is not drawn
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert t("frame_what_content", "nb") in labels
    with pytest.raises(ValidationError):
        charts.frame_chart(a, dimension="fidelity")


def test_cost_chart_with_the_cumulative_line(havnstrup):
    p = ik.Project.open(havnstrup)
    b = cost_breakdown(p)
    ax = charts.cost_chart(b, ik.implementation_cost(p), lang="en")
    n_periods, n_types = b["period"].nunique(), b["activity_type"].nunique()
    assert len(ax.patches) == n_periods * n_types
    twin = ax.figure.axes[-1]
    assert twin is not ax and len(twin.lines) == 1
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(b["cost"].sum())


def test_charts_say_when_there_is_nothing():
    ax = charts.dose_response_chart(pd.DataFrame({"site": [], "dose": [], "improvement": []}),
                                    lang="en")
    assert ax.texts[0].get_text() == t("chart_no_outcome_pairs", "en")
