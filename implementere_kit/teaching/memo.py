"""A worked example of the capstone's memo to the service leader, written from the data.

The capstone (lesson 7) ends with a one-page memo about an example site. The solution
notebook shows :func:`example_memo`: every number in it is computed from the example data
when the cell runs, and every sentence that judges (drop-out higher than at the other
sites, adherence below the owner's threshold) is chosen by comparing those numbers — so the
model memo cannot say something the data do not show.
"""

from __future__ import annotations

from dataclasses import dataclass

from .feedback import fnum, fpct, language, message

__all__ = ["Memo", "example_memo", "site_facts", "sites_overview"]


@dataclass(frozen=True)
class Memo:
    """A memo as Markdown (shown as formatted text in a notebook)."""

    text: str

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text


def site_facts(project, *, as_of=None) -> dict:
    """The numbers the memo rests on, for one KEEP site.

    Returns
    -------
    dict
        ``families``, ``groups``, ``dropout`` (share of families), ``early`` (share of
        families who dropped out by session 4), ``graduated`` (share of the families who
        have ended), ``core_adherence``, ``threshold``, ``staff`` (respondents at the latest
        survey wave) and ``feasibility`` (their mean FIM score).
    """
    from ..measures.fidelity import attendance_summary
    from ..measures.instruments import responses_from_long, score_instrument
    from .checks_delivery import core_adherence

    s = attendance_summary(project.table("attendance"), project.intervention.dosage,
                           project.table("participants"))
    ended = s[s["end_reason"].notna()]
    early = s["dropped_out"].astype(bool) & (s["dropout_session"].fillna(99) <= 4)
    fim = score_instrument(responses_from_long(project.table("survey_responses"), "fim"), "fim")
    latest = fim[fim["wave"] == fim["wave"].max()]["feasibility"].dropna()
    return {"families": len(s), "groups": int(s["group_id"].nunique()),
            "dropout": float(s["dropped_out"].mean()), "early": float(early.mean()),
            "graduated": float(ended["graduated"].mean()) if len(ended) else float("nan"),
            "core_adherence": core_adherence(project),
            "threshold": project.intervention.fidelity_threshold,
            "staff": int(len(latest)), "feasibility": float(latest.mean())}


def sites_overview(*, as_of=None):
    """:func:`site_facts` of every example site, one row each (``name`` first).

    Examples
    --------
    >>> sites_overview()["name"].tolist()
    ['Ålund', 'Bøgely', 'Havnstrup', 'Mosebjerg']
    """
    import pandas as pd

    from .data import example_site, example_sites

    rows = []
    for code, name in zip(example_sites()["site"], example_sites()["name"], strict=True):
        rows.append({"site": code, "name": name, **site_facts(example_site(code), as_of=as_of)})
    return pd.DataFrame(rows)


def example_memo(site: str = "904", *, lang: str | None = None, as_of=None) -> Memo:
    """A model memo to the service leader about one example site, written from its data.

    Parameters
    ----------
    site : str
        An example site's code or name (default Mosebjerg, 904).
    lang : {"nb", "da", "en"}, optional
        Default: the language chosen with ``set_language``.

    Examples
    --------
    >>> memo = example_memo("904", lang="en")
    >>> str(memo).splitlines()[0]
    '## Memo: KEEP in Mosebjerg'
    """
    from .data import example_site, example_sites

    lang = language(lang)
    project = example_site(site)
    facts = site_facts(project, as_of=as_of)
    others = [site_facts(example_site(code), as_of=as_of)["dropout"]
              for code in example_sites()["site"] if code != project.site]
    name = project.site_name
    f = {k: fpct(v, lang) if isinstance(v, float) and k != "feasibility" else v
         for k, v in facts.items()}
    f.update(name=name, low=fpct(min(others), lang), high=fpct(max(others), lang),
             feasibility=fnum(facts["feasibility"], lang, 1), n_others=len(others))
    higher = facts["dropout"] > max(others)
    below = facts["core_adherence"] < facts["threshold"]
    m = lambda key: message(key, lang, **f)  # noqa: E731 - a short local alias
    lines = [m("memo_title"), "", m("memo_to"), "",
             f"### {m('memo_h_summary')}", "",
             m("memo_summary_high" if higher else "memo_summary_level"), "",
             f"### {m('memo_h_data')}", "",
             f"- {m('memo_families')}",
             f"- {m('memo_dropout_high' if higher else 'memo_dropout_level')}",
             f"- {m('memo_early')}",
             f"- {m('memo_adherence_low' if below else 'memo_adherence_ok')}",
             f"- {m('memo_staff')}", "",
             f"### {m('memo_h_sure')}", "", m("memo_uncertainty"), "",
             f"### {m('memo_h_recommend')}", ""]
    recs = (["memo_rec_dropout"] if higher or facts["early"] > 0 else [])
    recs += ["memo_rec_adherence"] if below else ["memo_rec_keep_adherence"]
    lines += [f"{i}. {m(key)}" for i, key in enumerate(recs, start=1)]
    lines += ["", f"### {m('memo_h_next')}", "", m("memo_next")]
    return Memo("\n".join(lines))
