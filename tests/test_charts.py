"""Charts: drawn shapes (bars, points, lines, texts), never pixels; labels in nb, da and en."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from implementere_kit import charts, load_intervention  # noqa: E402
from implementere_kit.charts._base import HIGHLIGHT, PHASE_COLOURS  # noqa: E402
from implementere_kit.errors import UnknownNameError, ValidationError  # noqa: E402
from implementere_kit.i18n import t  # noqa: E402
from implementere_kit.measures.control import Z95, Z998, funnel_limits  # noqa: E402
from implementere_kit.measures.reliability import ReliabilityResult, reliability_table  # noqa: E402
from implementere_kit.plans.intervention import DosageRule, TheoryOfChange  # noqa: E402

LANGS = ("nb", "da", "en")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rgba(c):
    return np.round(mcolors.to_rgba(c), 3).tolist()


# -- plan and progress ----------------------------------------------------------------------
@pytest.fixture
def acts():
    return pd.DataFrame({
        "activity_id": list("abcdefg"),
        "phase": ["forberede", "forberede", "planlegge", "planlegge", "implementere",
                  "viderefore", "viderefore"],
        "core_element": [1, 2, 3, 3, 6, 8, 9],
        "title": [f"Aktivitet {x}" for x in "abcdefg"],
        "start": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-01", "2024-03-01",
                                 "2024-04-01", None, None]),
        "due": pd.to_datetime(["2024-01-31", "2024-02-15", "2024-03-01", "2024-05-01",
                               "2024-08-01", "2024-09-01", None]),
        "status": ["done", "todo", "in_progress", "skipped", "todo", "todo", "todo"],
    })


def test_plan_timeline_bars_overdue_and_as_of(acts):
    ax = charts.plan_timeline(acts, as_of="2024-04-15", lang="en")
    # g has no date at all and is left out; f has only a due date (a one-day bar)
    assert len(ax.patches) == 6
    assert len(ax.containers) <= 2 * 4  # one or two vectorised barh calls per phase
    ticks = {tl.get_text(): y for tl, y in zip(ax.get_yticklabels(), ax.get_yticks(),
                                                strict=True)}
    assert sorted(ticks, key=ticks.get, reverse=True) == [f"Aktivitet {x}" for x in "abcdef"]
    by_y = {round(p.get_y() + p.get_height() / 2): p for p in ax.patches}
    by_title = {k: by_y[round(y)] for k, y in ticks.items()}
    # overdue = open and due before 15 April: b (todo, 15 Feb) and c (in progress, 1 Mar)
    late = [k for k, p in by_title.items() if _rgba(p.get_edgecolor()) == _rgba(HIGHLIGHT)]
    assert sorted(late) == ["Aktivitet b", "Aktivitet c"]
    assert ax.collections[-1].get_offsets().shape[0] == 2  # a cross at each overdue due date
    assert by_title["Aktivitet a"].get_facecolor()[3] == pytest.approx(0.35)  # done: faded
    assert by_title["Aktivitet e"].get_facecolor()[3] == pytest.approx(1.0)
    assert _rgba(by_title["Aktivitet e"].get_facecolor()) == _rgba(PHASE_COLOURS["implementere"])
    assert by_title["Aktivitet f"].get_width() == pytest.approx(1.0)
    vline = ax.lines[0]
    assert vline.get_xdata()[0] == pytest.approx(mdates.date2num(pd.Timestamp("2024-04-15")))


@pytest.mark.parametrize("lang", LANGS)
def test_plan_timeline_labels_follow_the_language(acts, lang):
    ax = charts.plan_timeline(acts, as_of="2024-04-15", lang=lang)
    assert ax.get_title() == t("chart_plan_timeline_title", lang)
    assert ax.get_ylabel() == t("core_element", lang)
    legend = [x.get_text() for x in ax.get_legend().get_texts()]
    assert t("overdue", lang) in legend
    assert t("chart_as_of", lang, date="2024-04-15") in legend


def test_plan_timeline_large_plan_labels_core_elements():
    rng = np.random.default_rng(3)
    n = 300
    phase = np.repeat(["forberede", "planlegge", "implementere", "viderefore"], n // 4)
    ke = np.repeat([1, 3, 6, 9], n // 4)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    acts = pd.DataFrame({"phase": phase, "core_element": ke, "start": start,
                         "due": start + pd.Timedelta(days=30), "status": "todo"})
    ax = charts.plan_timeline(acts, as_of="2024-06-01", lang="nb")
    assert len(ax.patches) == n
    assert len(ax.containers) == 8  # overdue and not, per phase
    assert [x.get_text() for x in ax.get_yticklabels()] == ["KE 1", "KE 3", "KE 6", "KE 9"]


def test_plan_timeline_reports_every_bad_value(acts):
    bad = acts.assign(phase=["forberede", "nope", "planlegge", "planlegge", "implementere",
                             "viderefore", "viderefore"],
                      due=["2024-01-31", "not a date", "2024-03-01", "2024-05-01",
                           "2024-08-01", "2024-09-01", None])
    with pytest.raises(ValidationError) as err:
        charts.plan_timeline(bad)
    found = {(p.column, p.row) for p in err.value.problems}
    assert found == {("phase", 2), ("due", 2)}
    with pytest.raises(ValidationError) as err:
        charts.plan_timeline(acts.drop(columns=["status", "due"]))
    assert {p.column for p in err.value.problems} == {"status", "due"}


def test_sic_chart_segments_and_stage_reached():
    from implementere_kit import sic_scores

    ev = pd.DataFrame({"site": ["101"] * 4 + ["147"] * 2, "stage": [1, 1, 2, 4, 1, 2],
                       "activity": list("abcdef"),
                       "date": ["2024-01-01", "2024-01-21", "2024-02-01", "2024-05-01",
                                "2024-03-01", None]})
    scores = sic_scores(ev)
    ax = charts.sic_chart(scores, lang="da")
    assert len(ax.patches) == 2 * 8
    widths = {(round(p.get_y() + p.get_height() / 2), round(p.get_x())): p.get_width()
              for p in ax.patches}
    assert widths[(1, 0)] == 20  # site 101 (top row): stage 1 took 20 days
    reached = sorted(x.get_text() for x in ax.texts)
    assert reached == ["Trin 1", "Trin 4"]
    assert ax.get_xlabel() == t("duration_days", "da")
    assert len(ax.get_legend().get_texts()) == 8


def test_phase_progress_chart_sums_core_elements():
    prog = pd.DataFrame({"phase": ["planlegge", "forberede", "forberede"],
                         "core_element": [3, 1, 2], "n_activities": [10, 2, 2],
                         "n_done": [5, 2, 1], "n_overdue": [1, 0, 0]})
    ax = charts.phase_progress_chart(prog, lang="nb")
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.75, 0.5]  # phase order
    assert [x.get_text() for x in ax.get_xticklabels()] == ["Forberede", "Planlegge"]
    assert [x.get_text() for x in ax.texts] == ["3/4", "5/10\n1 forsinket"]
    assert ax.get_title() == t("chart_phase_progress_title", "nb")


# -- fidelity ---------------------------------------------------------------------------------
def test_fidelity_run_chart_threshold_centre_and_limits():
    adh = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03", "2024-04"],
                        "adherence": [0.85, 0.8, 0.2, 0.8], "n_items": [40, 40, 40, 20]})
    ax = charts.fidelity_run_chart(adh, threshold=0.75, lang="en")
    series, threshold, centre, lcl, ucl = ax.lines
    assert list(series.get_ydata()) == [0.85, 0.8, 0.2, 0.8]
    assert list(threshold.get_ydata()) == [0.75, 0.75]
    p0 = (34 + 32 + 8 + 16) / 140
    assert centre.get_ydata()[0] == pytest.approx(p0)
    assert ucl.get_ydata()[0] == pytest.approx(p0 + 3 * np.sqrt(p0 * (1 - p0) / 40))
    assert ucl.get_ydata()[-1] == pytest.approx(p0 + 3 * np.sqrt(p0 * (1 - p0) / 20))
    ringed = ax.collections[-1].get_offsets()
    assert ringed.shape[0] == 1 and ringed[0][1] == pytest.approx(0.2)  # March is out
    assert ax.get_ylabel() == t("chart_adherence", "en")


def test_fidelity_run_chart_one_line_per_site_and_bad_threshold():
    adh = pd.DataFrame({"site": ["101", "101", "147", "147"],
                        "month": ["2024-01", "2024-02", "2024-01", "2024-02"],
                        "adherence": [0.9, 0.8, 0.7, 0.75], "n_items": 30})
    ax = charts.fidelity_run_chart(adh, lang="da")
    assert len(ax.lines) == 2 + 2  # two sites, threshold, centre (no shared limits)
    assert [x.get_text() for x in ax.get_legend().get_texts()][:2] == ["101", "147"]
    with pytest.raises(ValidationError):
        charts.fidelity_run_chart(adh, threshold=1.5)


def test_attendance_histogram_bars_and_graduation_line():
    rule = DosageRule(sessions=16, min_attendance=0.8, makeups_count=True)
    s = pd.DataFrame({"n_attended": [16, 16, 13, 12, 5, 0]})
    ax = charts.attendance_histogram(s, rule, lang="nb")
    assert len(ax.patches) == 17
    heights = {round(p.get_x()): p.get_height() for p in ax.patches}
    assert heights[16] == 2 and heights[13] == 1 and heights[12] == 1 and heights[0] == 1
    assert ax.lines[0].get_xdata()[0] == rule.sessions_to_graduate == 13
    green = [round(p.get_x()) for p in ax.patches if p.get_facecolor()[1] > 0.5
             and p.get_facecolor()[0] < 0.1]
    assert min(green) == 13  # graduates right of the line
    assert ax.get_xlabel() == t("chart_sessions_attended", "nb")
    with pytest.raises(ValidationError):
        charts.attendance_histogram(s, {"sessions": 16})


def test_dropout_chart_bars_and_cumulative_line():
    d = pd.DataFrame({"last_session": [0, 1, 2, 3], "n_dropped_out": [1, 0, 2, 0],
                      "cumulative_share": [0.05, 0.05, 0.15, 0.15]})
    ax = charts.dropout_chart(d, lang="en")
    assert [p.get_height() for p in ax.patches] == [1, 0, 2, 0]
    twin = ax.figure.axes[-1]
    assert list(twin.lines[0].get_ydata()) == [0.05, 0.05, 0.15, 0.15]
    assert twin.get_ylabel() == t("chart_cumulative_dropout", "en")


# -- measures ---------------------------------------------------------------------------------
@pytest.fixture
def bench():
    return pd.DataFrame({"site": ["101", "147", "151", "153", "101"],
                         "month": [None, None, None, None, "2024-01"],
                         "indicator": ["dropout"] * 5, "n": [20, 80, 40, 10, 5],
                         "value": [0.3, 0.1, 0.15, 0.0, 0.2], "network_value": 0.15})


def test_funnel_plot_limits_and_highlight(bench):
    ax = charts.funnel_plot(bench, "dropout", highlight="101", lang="en")
    net, lo95, hi95, lo998, hi998 = ax.lines
    assert set(net.get_ydata()) == {0.15}
    n = lo95.get_xdata()
    assert np.all(lo998.get_ydata() <= lo95.get_ydata() + 1e-12)
    assert np.all(lo95.get_ydata() <= 0.15) and np.all(hi95.get_ydata() >= 0.15)
    assert np.all(hi95.get_ydata() <= hi998.get_ydata() + 1e-12)
    assert hi95.get_ydata() == pytest.approx(funnel_limits(0.15, n, Z95)[1])
    assert lo998.get_ydata() == pytest.approx(funnel_limits(0.15, n, Z998)[0])
    others, mine = ax.collections
    assert others.get_offsets().shape[0] == 3  # the whole-period rows of the other sites
    assert mine.get_offsets().tolist() == [[20.0, 0.3]]
    assert _rgba(mine.get_facecolor()[0]) == _rgba(HIGHLIGHT)
    assert ax.get_title() == t("chart_funnel_title", "en", indicator="Drop-out")


def test_funnel_plot_month_other_indicators_and_errors(bench):
    ax = charts.funnel_plot(bench, "dropout", month="2024-01", lang="nb")
    assert ax.collections[0].get_offsets().tolist() == [[5.0, 0.2]]
    means = bench.assign(indicator="aim", value=[3.5, 3.9, 4.1, 3.0, 3.3], network_value=3.7)
    ax = charts.funnel_plot(means, "aim", lang="nb")
    assert len(ax.lines) == 1  # a mean gets the network line, no binomial limits
    with pytest.raises(UnknownNameError):
        charts.funnel_plot(bench, "reach")
    with pytest.raises(UnknownNameError):
        charts.funnel_plot(bench, "dropout", highlight="999")


def test_funnel_plot_never_mixes_interventions_and_names_sites(bench):
    whole = bench[bench["month"].isna()].drop(columns="month")
    both = pd.concat([whole.assign(intervention="keep", site_name="Ålund"),
                      whole.assign(intervention="fft", site=["9901", "0330", "330", "9904"],
                                   site_name="Fjordheim", network_value=0.3)],
                     ignore_index=True)
    with pytest.raises(ValidationError, match="several interventions"):
        charts.funnel_plot(both, "dropout")
    ax = charts.funnel_plot(both, "dropout", intervention="fft", lang="en")
    net = ax.lines[0]
    assert set(net.get_ydata()) == {0.3}  # FFT's own network value, not KEEP's
    assert ax.collections[0].get_offsets().shape[0] == 4
    # sites by their code as a number, leading zeros kept, each shown with its name
    assert [a.get_text() for a in ax.texts] == ["0330 Fjordheim", "330 Fjordheim",
                                                "9901 Fjordheim", "9904 Fjordheim"]
    assert "Functional Family Therapy (FFT)" in ax.get_title()
    # x is the denominator when there is one: the n the funnel limits are computed at
    ax = charts.funnel_plot(whole.assign(denominator=[200, 800, 400, 100]), "dropout")
    assert sorted(ax.collections[0].get_offsets()[:, 0].tolist()) == [100, 200, 400, 800]


@pytest.mark.parametrize("lang", LANGS)
def test_score_distribution_boxes(lang):
    s = pd.DataFrame({"site": ["903"] * 6 + ["901"] * 3, "wave": [1, 1, 1, 2, 2, 2, 1, 1, 1],
                      "feasibility": [3, 4, 5, 4, 4.5, 5, 2, 3, np.nan]})
    ax = charts.score_distribution(s, "feasibility", instrument="fim", lang=lang)
    assert len(ax.patches) == 3
    assert [x.get_text() for x in ax.get_xticklabels()] == ["901 / 1", "903 / 1", "903 / 2"]
    medians = [line.get_ydata()[0] for line in ax.lines  # the lines as wide as the boxes
               if len(line.get_xdata()) == 2 and np.ptp(line.get_xdata()) == pytest.approx(0.6)]
    assert medians == [2.5, 4.0, 4.5]
    assert ax.get_ylim()[0] < 1 and ax.get_ylim()[1] > 5  # the FIM answer range 1–5
    assert ax.get_xlabel() == f"{t('col_site', lang)} / {t('col_wave', lang)}"


def test_reliability_chart_ci_colours_and_criteria():
    tab = reliability_table({
        "FIMP": ReliabilityResult("ICC(2,1)", 0.72, 0.55, 0.84, criterion=0.6),
        "AIM": ReliabilityResult("Cronbach's alpha", 0.65, 0.40, 0.80, criterion=0.7)})
    ax = charts.reliability_chart(tab, lang="da")
    points = ax.collections[-2]
    assert points.get_offsets().tolist() == [[0.72, 1.0], [0.65, 0.0]]
    assert _rgba(points.get_facecolor()[1]) == _rgba(HIGHLIGHT)  # AIM is below its criterion
    crit = ax.collections[-1].get_segments()
    assert [seg[0][0] for seg in crit] == [0.6, 0.7]
    bars = ax.collections[0].get_segments()  # the CI of each row
    assert sorted(round(s[0][0], 2) for s in bars) == [0.40, 0.55]
    assert [x.get_text() for x in ax.get_yticklabels()] == ["FIMP (ICC(2,1))",
                                                           "AIM (Cronbach's alpha)"]
    assert ax.get_xlabel() == t("chart_estimate_ci", "da", ci="95")


# -- intervention -------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_theory_of_change_chart(lang):
    toc = load_intervention("keep").theory_of_change
    ax = charts.theory_of_change_chart(toc, lang=lang)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(toc.elements())
    assert len(arrows) == 4
    texts = [x.get_text().replace("\n", " ") for x in ax.texts]
    assert t("toc_resources", lang) in texts and t("toc_long_term_effects", lang) in texts
    for assumption in toc.links(lang)["assumption"]:
        assert assumption in texts
    # the boxes in the chart's language (issue 15, item 4)
    assert set(toc.elements(lang)["text"]) <= set(texts)
    if lang != "en":
        assert not set(toc.elements()["text"]) & set(texts)


def test_theory_of_change_chart_skips_arrows_to_empty_levels():
    toc = TheoryOfChange(resources=["a"], activities=["b", "c"], results=["d"],
                         assumptions={"resources->activities": "x"})
    ax = charts.theory_of_change_chart(toc, lang="en")
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 1
    with pytest.raises(ValidationError):
        charts.theory_of_change_chart({"resources": []})


def test_adaptations_chart_core_and_flexible():
    keep = load_intervention("keep")
    log = pd.DataFrame({"date": ["2024-03-01", "2024-05-01", "2024-06-01"],
                        "component": ["refreshments", "role_play", "childcare"]})
    log["kind"] = [keep.component(c).kind for c in log["component"]]
    ax = charts.adaptations_chart(log, components=keep.components, lang="en")
    core, flexible = ax.collections
    assert core.get_offsets().shape[0] == 1 and flexible.get_offsets().shape[0] == 2
    assert _rgba(core.get_facecolor()[0]) == _rgba(HIGHLIGHT)
    assert len(ax.get_yticklabels()) == len(keep.components)
    assert keep.component("role_play").name in [x.get_text() for x in ax.get_yticklabels()]
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["Core component",
                                                                  "Flexible component"]


@pytest.mark.parametrize("lang", LANGS)
def test_adaptations_chart_empty_log(lang):
    empty = pd.DataFrame({"date": [], "component": [], "kind": []})
    ax = charts.adaptations_chart(empty, lang=lang)
    assert len(ax.collections) == 0
    assert [x.get_text() for x in ax.texts] == [t("chart_no_adaptations", lang)]
    assert ax.get_title() == t("chart_adaptations_title", lang)


def test_charts_draw_on_a_given_axes_and_stay_out_of_the_import():
    fig, (a, b) = plt.subplots(1, 2)
    out = charts.phase_progress_chart(pd.DataFrame({"phase": ["forberede"], "n_activities": [2],
                                                    "n_done": [1]}), ax=b)
    assert out is b and len(a.patches) == 0 and len(b.patches) == 1
    code = ("import sys, implementere_kit, implementere_kit.charts; "
            "print('matplotlib' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"


def test_reliability_chart_survives_infinite_and_nan_bounds():
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from implementere_kit.charts import reliability_chart

    tab = pd.DataFrame({"statistic": ["alpha", "ICC(2,1)"], "value": [-3.5, np.nan],
                        "ci_low": [-np.inf, np.nan], "ci_high": [0.2, np.nan],
                        "criterion": [0.7, 0.6]})
    ax = reliability_chart(tab, lang="en")
    lo, hi = ax.get_xlim()
    assert np.isfinite(lo) and lo >= -1.05 and hi == 1.0
    plt.close(ax.figure)
