"""Intervention editor: type, owner and support, components, dosage, theory of change and
the adaptations made to its components.

Every change builds a new :class:`~implementere_kit.plans.intervention.Intervention` (which checks
itself) and stores it with :meth:`Project.set_intervention` and :meth:`Project.save`. An
adaptation is not part of the intervention: it is a row of the project's ``adaptations``
table, stored through the same checks as an import (:mod:`~implementere_kit.store.imports`)
and coded after FRAME in the table's grid on the data screen; the list here shows whether a
core or a flexible component was adapted.

References
----------
implementere.no, "Utvikle tiltak selv eller implementere noe andre har utviklet?" (types of
intervention, owners and their support). Socialstyrelsen, "Forandringsteori" (resources →
activities → deliverables → results → long-term effects, with critical assumptions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, Problem, ValidationError
from ..i18n import LANGS
from ..plans.intervention import (
    COMPONENT_KINDS,
    INTERVENTION_TYPES,
    SUPPORT_KINDS,
    TOC_LEVELS,
    Component,
    DosageRule,
    TheoryOfChange,
)
from ._base import Screen, esc, frame_html, heading, set_heading, style_widget

__all__ = ["InterventionEditor"]

_STYLE = {"description_width": "12em"}
_LINKS = tuple(f"{a}->{b}" for a, b in zip(TOC_LEVELS, TOC_LEVELS[1:], strict=False))
_DOSAGE_INTS = ("sessions", "session_minutes", "interval_days", "max_group_size",
                "leaders_per_group", "min_sessions", "max_sessions")


class InterventionEditor(Screen):
    """Edit the project's intervention; every action is validated and saved.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> ed = InterventionEditor(demo_project(tmp, scale=0.05))
    >>> ed.owner.value = "Lokal tiltakseier"
    >>> ed.save_button.click()
    >>> from implementere_kit import Project
    >>> Project.open(ed.project.path).intervention.owner
    'Lokal tiltakseier'
    """

    screen_id = "intervention"

    def _build(self) -> None:
        self.headings = {k: heading() for k in ("about", "components", "dosage", "toc",
                                                 "adaptations")}
        self.type = W.Dropdown(style=_STYLE)
        self.owner = W.Text(style=_STYLE, layout=W.Layout(width="36em"))
        self.support = W.SelectMultiple(style=_STYLE, rows=len(SUPPORT_KINDS))
        self.target_group = W.Text(style=_STYLE, layout=W.Layout(width="36em"))
        # components
        self.components_table = W.HTML()
        self.comp_id, self.comp_name = W.Text(style=_STYLE), W.Text(style=_STYLE)
        self.comp_kind = W.Dropdown(style=_STYLE)
        self.comp_rationale = W.Text(style=_STYLE, layout=W.Layout(width="36em"))
        self.add_component_button = W.Button(icon="plus")
        self.remove_component = W.Dropdown(style=_STYLE)
        self.remove_component_button = W.Button(icon="trash", button_style="danger")
        # dosage (0 in an optional field means "not set")
        self.dosage = {k: W.BoundedIntText(min=0, max=1000, style=_STYLE) for k in _DOSAGE_INTS}
        self.min_attendance = W.BoundedFloatText(min=0, max=1, step=0.05, style=_STYLE)
        self.makeups_count = W.Checkbox(indent=False)
        # theory of change: one box per line, and the assumption on each arrow
        self.toc = {lvl: W.Textarea(style=_STYLE, layout=W.Layout(width="36em", height="4em"))
                    for lvl in TOC_LEVELS}
        self.assumptions = {link: W.Text(style=_STYLE, layout=W.Layout(width="36em"))
                            for link in _LINKS}
        self.save_button = W.Button(button_style="primary", icon="save")
        # adaptations log
        self.adaptations_table = W.HTML()
        self.adapt_date = W.DatePicker(value=dt.date.today(), style=_STYLE)
        self.adapt_component = W.Dropdown(style=_STYLE)
        self.adapt_change, self.adapt_reason, self.adapt_by = (
            W.Text(style=_STYLE, layout=W.Layout(width="36em")) for _ in range(3))
        self.adapt_button = W.Button(icon="pencil")
        h = self.headings
        self.root = W.VBox([
            style_widget(), h["about"], self.type, self.owner, self.support, self.target_group,
            h["components"], self.components_table,
            W.HBox([self.comp_id, self.comp_name, self.comp_kind]), self.comp_rationale,
            self.add_component_button, W.HBox([self.remove_component,
                                               self.remove_component_button]),
            h["dosage"], *self.dosage.values(), self.min_attendance, self.makeups_count,
            h["toc"], *[w for lvl in TOC_LEVELS for w in
                        ([self.toc[lvl]] + ([self.assumptions[f"{lvl}->{_next(lvl)}"]]
                                             if _next(lvl) else []))],
            self.save_button, self.message,
            h["adaptations"], self.adaptations_table, self.adapt_date, self.adapt_component,
            self.adapt_change, self.adapt_reason, self.adapt_by, self.adapt_button,
        ])
        self.save_button.on_click(lambda _: self.save())
        self.add_component_button.on_click(lambda _: self.add_component())
        self.remove_component_button.on_click(lambda _: self.remove_selected_component())
        self.adapt_button.on_click(lambda _: self.log_adaptation())
        self._load()

    def _load(self) -> None:
        """Fill the fields from the project's intervention."""
        iv = self.project.intervention
        with self._quiet():
            self.type.options = INTERVENTION_TYPES
            self.type.value = iv.type
            self.owner.value = iv.owner
            self.target_group.value = iv.text("target_group", self.lang)
            self.support.options = SUPPORT_KINDS
            self.support.value = tuple(s for s in iv.support if s in SUPPORT_KINDS)
            d = iv.dosage
            for k, w in self.dosage.items():
                w.value = (getattr(d, k) or 0) if d is not None else 0
            # None where the practitioner decides completion (FFT, PMTO): show the default
            self.min_attendance.value = 0.8 if d is None or d.min_attendance is None \
                else d.min_attendance
            self.makeups_count.value = d.makeups_count if d is not None else True
            self._show_toc(iv.theory_of_change)

    def _relabel(self) -> None:
        t = self._t
        iv = self.project.intervention
        if any(self.target_group.value == iv.text("target_group", lg) for lg in LANGS):
            self.target_group.value = iv.text("target_group", self.lang)  # not edited yet
        toc = iv.theory_of_change
        if any(self._toc_shown(toc, lg) for lg in LANGS):  # not edited yet
            self._show_toc(toc)
        for key, w in self.headings.items():
            set_heading(w, t(f"ui_iv_{key}"))
        self._set_options(self.type, [(t(f"ui_type_{k}"), k) for k in INTERVENTION_TYPES])
        self._set_options(self.support, [(t(f"ui_support_{k}"), k) for k in SUPPORT_KINDS])
        self._set_options(self.comp_kind, [(t(f"ui_kind_{k}"), k) for k in COMPONENT_KINDS])
        for w, key in ((self.type, "ui_type"), (self.owner, "ui_iv_owner"),
                       (self.support, "ui_support"), (self.target_group, "ui_target_group"),
                       (self.comp_id, "ui_component_id"), (self.comp_name, "ui_component_name"),
                       (self.comp_kind, "ui_kind"), (self.comp_rationale, "ui_rationale"),
                       (self.remove_component, "ui_component"),
                       (self.min_attendance, "ui_dose_min_attendance"),
                       (self.makeups_count, "ui_dose_makeups_count"),
                       (self.adapt_date, "ui_date"), (self.adapt_component, "ui_component"),
                       (self.adapt_change, "ui_change"), (self.adapt_reason, "ui_reason"),
                       (self.adapt_by, "ui_decided_by")):
            w.description = t(key)
        for k, w in self.dosage.items():
            w.description = t(f"ui_dose_{k}")
        for lvl, w in self.toc.items():
            w.description = t(f"ui_toc_{lvl}")
        for w in self.assumptions.values():
            w.description = "↓ " + t("ui_assumption")
        for b, key in ((self.save_button, "ui_save"), (self.add_component_button,
                                                        "ui_add_component"),
                       (self.remove_component_button, "ui_remove"),
                       (self.adapt_button, "ui_log_adaptation")):
            b.description = t(key)
        self._show()

    def refresh(self) -> None:
        """Re-read the intervention from the project."""
        self._load()
        self._show()

    def _show(self) -> None:
        iv, t = self.project.intervention, self._t
        comps = iv.components_frame(self.lang)
        comps["kind"] = comps["kind"].map(lambda k: t(f"ui_kind_{k}"))
        self.components_table.value = frame_html(
            comps[["name", "kind", "rationale"]], self.lang,
            labels={"name": t("ui_component_name"), "kind": t("ui_kind"),
                    "rationale": t("ui_rationale")})
        options = [(f"{c.label(self.lang)} ({t(f'ui_kind_{c.kind}')})", c.id)
                   for c in iv.components]
        self._set_options(self.remove_component, options)
        self._set_options(self.adapt_component, options)
        a = self.project.table("adaptations")
        kinds = {c.id: c.kind for c in iv.components}
        a = a[a["component"].isin(list(kinds))].sort_values("date", kind="stable")
        names = {c.id: c.label(self.lang) for c in iv.components}
        log = pd.DataFrame({
            "date": a["date"], "component": a["component"].map(names),
            "kind": a["component"].map(lambda c: t(f"ui_kind_{kinds[c]}")),
            "change": a["description"], "reason": a["reason"],
            "decided_by": a["decided_by_note"]})
        self.adaptations_table.value = (frame_html(log, self.lang, labels={
            c: t(f"ui_{c}") for c in ("date", "component", "change", "reason", "kind",
                                      "decided_by")}) + f"<small>{esc(t('ui_adaptation_code_hint'))}"
            "</small>") if len(log) else ""

    # -- actions --------------------------------------------------------------------
    def _store(self, intervention, done_key: str = "ui_saved") -> bool:
        self.project.set_intervention(intervention)
        if not self._save():
            return False
        self._show()
        self._ok(self._t(done_key))
        return True

    def save(self) -> bool:
        """Save type, owner, support, dosage and theory of change from the fields."""
        iv = self.project.intervention
        ints = {k: (w.value or None) for k, w in self.dosage.items()}
        try:
            # No sessions on an intervention without a dosage rule keeps it without one.
            # Who decides completion, and where the share comes from, are kept as they were.
            kept = {k: getattr(iv.dosage, k) for k in ("completion", "min_attendance_basis",
                                                       "min_attendance_note")} if iv.dosage else {}
            share = (None if kept.get("completion") == "practitioner"
                     else float(self.min_attendance.value))
            dosage = None if ints["sessions"] is None and iv.dosage is None else DosageRule(
                **{**ints, **kept, "sessions": ints["sessions"] or 0, "min_attendance": share,
                   "makeups_count": bool(self.makeups_count.value)})
            toc = self._typed_toc(iv.theory_of_change)
            new = replace(iv, type=self.type.value, owner=self.owner.value.strip(),
                          support=tuple(self.support.value),
                          target_group=self._target_group(iv), dosage=dosage,
                          theory_of_change=toc)
        except ImplementereError as exc:
            self._fail(exc)
            return False
        return self._store(new)

    def _target_group(self, iv) -> str:
        """The typed target group; the stored text when the field still shows its
        translation, so that saving other fields keeps every language's text."""
        typed = self.target_group.value.strip()
        return iv.target_group if typed == iv.text("target_group", self.lang).strip() else typed

    # -- the theory of change in the screen's language -----------------------------------
    def _show_toc(self, toc) -> None:
        for lvl, w in self.toc.items():
            w.value = "\n".join(toc.boxes(lvl, self.lang))
        for link, w in self.assumptions.items():
            w.value = toc.assumption(link, self.lang)

    def _toc_shown(self, toc, lang: str) -> bool:
        """Whether the fields show ``toc`` in ``lang``, unedited."""
        return (all(w.value == "\n".join(toc.boxes(lvl, lang)) for lvl, w in self.toc.items())
                and all(w.value == toc.assumption(link, lang)
                        for link, w in self.assumptions.items()))

    def _typed_toc(self, toc) -> TheoryOfChange:
        """The typed boxes; a line that still shows a stored box's translation stands for
        that box, so saving keeps every language's text (as :meth:`_target_group` does)."""
        def stored(typed: str) -> str:
            return back.get(typed, typed)

        back = {tr[self.lang]: en for en, tr in toc.texts.items() if tr.get(self.lang)}
        return TheoryOfChange(
            **{lvl: [stored(s.strip()) for s in w.value.splitlines() if s.strip()]
               for lvl, w in self.toc.items()},
            assumptions={k: stored(w.value.strip()) for k, w in self.assumptions.items()
                         if w.value.strip()},
            texts=toc.texts)

    def add_component(self) -> bool:
        """Add the component in the component fields."""
        iv = self.project.intervention
        try:
            comp = Component(id=self.comp_id.value.strip(), name=self.comp_name.value.strip(),
                             kind=self.comp_kind.value, rationale=self.comp_rationale.value.strip())
            new = replace(iv, components=(*iv.components, comp))
        except ImplementereError as exc:
            self._fail(exc)
            return False
        for w in (self.comp_id, self.comp_name, self.comp_rationale):
            w.value = ""
        return self._store(new, "ui_added")

    def remove_selected_component(self) -> bool:
        """Remove the component chosen in :attr:`remove_component`."""
        iv, cid = self.project.intervention, self.remove_component.value
        if cid is None:
            return False
        new = replace(iv, components=tuple(c for c in iv.components if c.id != cid))
        return self._store(new, "ui_removed")

    def log_adaptation(self) -> bool:
        """Add an adaptation of the chosen component to table ``adaptations`` (not yet coded
        after FRAME: ``fidelity`` unknown until someone judges it)."""
        from ..store.imports import apply_import, plan_import

        if self.adapt_component.value is None:
            return False
        if not self.adapt_change.value.strip():
            self.message.value = f'<div class="ik-box ik-fail">{esc(self._t("ui_need_change"))}</div>'
            return False
        have = self.project.table("adaptations")
        taken, n = set(have["adaptation_id"]), len(have) + 1
        while f"A{n:03d}" in taken:
            n += 1
        row = pd.DataFrame([{
            "adaptation_id": f"A{n:03d}", "site": self.project.site,
            "date": (self.adapt_date.value or dt.date.today()).isoformat(),
            "component": self.adapt_component.value,
            "description": self.adapt_change.value.strip(),
            "reason": self.adapt_reason.value.strip() or None,
            "decided_by_note": self.adapt_by.value.strip() or None, "fidelity": "unknown"}])
        try:
            preview = plan_import(self.project, "adaptations", row)
            if len(preview.refused):
                r = preview.refused_view(self.lang).iloc[0]
                raise ValidationError([Problem(r["reason"], column=r["column"],
                                               found=r["found"])])
            apply_import(self.project, preview)
        except ImplementereError as exc:
            self._fail(exc)
            return False
        if not self._save():
            return False
        for w in (self.adapt_change, self.adapt_reason, self.adapt_by):
            w.value = ""
        self._show()
        self._ok(self._t("ui_logged"))
        return True


def _next(level: str) -> str | None:
    i = TOC_LEVELS.index(level)
    return TOC_LEVELS[i + 1] if i + 1 < len(TOC_LEVELS) else None
