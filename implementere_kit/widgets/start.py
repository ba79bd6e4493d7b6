"""Start screen: the projects of the workspace — open one, create one, or open the demo.

A new project names its municipality (site code, country, name), its intervention — one of
the shipped definitions, or a self-developed one described through the "Utvikle tiltak"
checklist of implementere.no — its start date, from which the plan's dates follow, and the
language of its reports. It is made in the workspace under a name (a folder name, never a
path); a name that is taken is refused with the form left as it was.

The language of the screens is the user's (kept in the workspace's settings); the language
of a project's reports is the project's, set here and changed only here.

References
----------
implementere.no, "Hva må du gjøre", Fase I: the checklist "Utvikle tiltak" (who is it for,
goal, format, scope, content, methods, materials, why we assume it works).
https://implementere.no/hva-ma-du-gjore/i-forberede/
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ipywidgets as W

from ..errors import ImplementereError
from ..plans.frameworks import load_framework
from ..plans.intervention import (
    DEVELOP_CHECKLIST_KEYS,
    Intervention,
    list_interventions,
    load_intervention,
)
from ..store.overview import phase_label
from ..store.project import COUNTRIES, Project
from ..store.workspace import suggest_name
from ._base import LANGUAGES, Screen, esc, heading, set_heading, style_widget
from .session import open_workspace, screen_language

__all__ = ["StartScreen", "SELF_DEVELOPED"]

#: Value of the intervention choice that opens the "Utvikle tiltak" checklist.
SELF_DEVELOPED = "__self_developed__"
_WIDE = W.Layout(width="32em")
_STYLE = {"description_width": "12em"}
_REPORT_LANG = {"DK": "da", "NO": "nb", "SE": "en"}


class StartScreen(Screen):
    """Open, create or demo a project of the workspace; switch the screens' language.

    Parameters
    ----------
    project : Project, optional
        The project already open, if any.
    lang : {"nb", "da", "en"}, optional
        Language of the screens (default the workspace's setting, else ``nb``).
    workspace : Workspace or path, optional
        Default ``$IMPLEMENTERE_WORKSPACE``, else the user's data folder.
    on_project : callable, optional
        Called with the :class:`~implementere_kit.store.project.Project` opened or created.
    on_language : callable, optional
        Called with the new language code when the user switches the screens' language.

    Examples
    --------
    >>> s = StartScreen(lang="en", workspace=tmp)
    >>> s.site_name.value, s.site.value, s.country.value = "Fjordheim", "9901", "NO"
    >>> s.intervention.value = "fft"
    >>> s.name.value, s.report_lang.value
    ('fjordheim-fft', 'nb')
    >>> s.create_button.click()
    >>> s.project.site, s.project.language, s.projects.options[0][1]
    ('9901', 'nb', 'fjordheim-fft')
    """

    screen_id = "start"

    def __init__(self, project: Project | None = None, lang: str | None = None, *,
                 workspace=None, on_project: Callable[[Project], None] | None = None,
                 on_language: Callable[[str], None] | None = None):
        self.workspace = open_workspace(workspace)
        self.on_project = on_project
        self.on_language = on_language
        self._name_edited = False
        super().__init__(project, lang or screen_language(self.workspace, project))

    def _build(self) -> None:
        self.title = W.HTML()
        self.language = W.ToggleButtons(options=LANGUAGES, value=self.lang)
        self.language.add_class("ik-language")
        self.where = W.HTML()
        # the open project and its report language
        self.current = W.HTML()
        self.report_language = W.Dropdown(options=LANGUAGES, style=_STYLE)
        self.report_language.add_class("ik-report-language")
        self.current_box = W.VBox([self.current, self.report_language])
        # the workspace's projects
        self.list_heading, self.create_heading = heading(), heading()
        self.projects = W.Select(rows=6, layout=W.Layout(width="40em"))
        self.projects.add_class("ik-projects")
        self.open_button = W.Button(icon="folder-open", button_style="primary")
        self.open_button.add_class("ik-open")
        self.refresh_button = W.Button(icon="refresh")
        self.demo_button = W.Button(icon="graduation-cap", layout=W.Layout(width="auto"))
        self.demo_button.add_class("ik-demo-button")
        self.demo_note = W.HTML()
        # a new project
        self.site_name = W.Text(layout=_WIDE, style=_STYLE)
        self.site = W.Text(layout=_WIDE, style=_STYLE)
        self.country = W.Dropdown(options=COUNTRIES, value="NO", style=_STYLE)
        self.intervention = W.Dropdown(layout=_WIDE, style=_STYLE)
        self.start = W.DatePicker(value=dt.date.today(), style=_STYLE)
        self.report_lang = W.Dropdown(options=LANGUAGES, value="nb", style=_STYLE)
        self.name = W.Text(layout=_WIDE, style=_STYLE)
        for w, cls in ((self.site_name, "ik-site-name"), (self.site, "ik-site"),
                       (self.name, "ik-name"), (self.country, "ik-country"),
                       (self.intervention, "ik-intervention")):
            w.add_class(cls)
        # The "Utvikle tiltak" checklist, shown only for a self-developed intervention.
        self.develop_intro = W.HTML()
        self.new_id = W.Text(layout=_WIDE, style=_STYLE)
        self.new_name = W.Text(layout=_WIDE, style=_STYLE)
        self.develop_answers = {k: W.Textarea(layout=W.Layout(width="40em", height="3.2em"))
                                for k in DEVELOP_CHECKLIST_KEYS}
        self._develop_labels = {k: W.HTML() for k in DEVELOP_CHECKLIST_KEYS}
        pairs = [w for k in DEVELOP_CHECKLIST_KEYS
                 for w in (self._develop_labels[k], self.develop_answers[k])]
        self.develop = W.VBox([self.develop_intro, self.new_id, self.new_name, *pairs],
                              layout=W.Layout(display="none"))
        self.create_button = W.Button(button_style="primary", icon="plus")
        self.create_button.add_class("ik-create")
        self.root = W.VBox([
            style_widget(), self.title, self.current_box, self.message,
            self.list_heading, self.projects,
            W.HBox([self.open_button, self.refresh_button]), self.demo_button, self.demo_note,
            self.create_heading, self.site_name, self.site, self.country, self.intervention,
            self.develop, self.start, self.report_lang, self.name, self.create_button,
            self.where,
        ])
        self.language.observe(self._on_language, "value")
        self.report_language.observe(self._on_report_language, "value")
        self.intervention.observe(self._on_intervention, "value")
        for w in (self.site_name, self.intervention, self.new_name):
            w.observe(lambda _: self._suggest(), "value")
        self.country.observe(self._on_country, "value")
        self.name.observe(self._on_name, "value")
        self.open_button.on_click(lambda _: self.open())
        self.refresh_button.on_click(lambda _: self.list_projects())
        self.demo_button.on_click(lambda _: self.open_demo())
        self.create_button.on_click(lambda _: self.create())

    def _relabel(self) -> None:
        fw = load_framework("implementere")
        self.title.value = (f"<h2>{esc(self._t('ui_app_title'))}</h2>"
                            f"<p>{esc(self._t('ui_start_intro'))}</p>")
        self.language.value = self.lang
        self.where.value = (f"<small>{esc(self._t('ui_workspace'))}: "
                            f"<code>{esc(self.workspace.path)}</code></small>")
        set_heading(self.list_heading, self._t("ui_workspace_projects"))
        set_heading(self.create_heading, self._t("ui_new_project"))
        self.open_button.description = self._t("ui_open")
        self.refresh_button.description = self._t("ui_refresh")
        self.refresh_button.tooltip = self._t("ui_refresh")
        self.demo_button.description = self._t("ui_open_demo")
        self.demo_note.value = f"<small>{esc(self._t('ui_demo_note'))}</small>"
        self.report_language.description = self._t("ui_report_language")
        self.site.description = self._t("ui_site_code")
        self.site.placeholder = "0301 / 101"
        self.country.description = self._t("ui_country")
        self._set_options(self.country, [(f"{self._t(f'country_{c}')} ({c})", c)
                                         for c in COUNTRIES])
        self.site_name.description = self._t("site_name")
        self.intervention.description = self._t("intervention")
        shipped = [(load_intervention(i).label(self.lang), i) for i in list_interventions()]
        self._set_options(self.intervention,
                          [*shipped, (self._t("ui_self_developed"), SELF_DEVELOPED)])
        self.start.description = self._t("ui_start_date")
        self.report_lang.description = self._t("ui_report_language")
        self.name.description = self._t("ui_project_name")
        self.name.placeholder = self._t("ui_project_name_placeholder")
        self.develop_intro.value = (f"<b>{esc(fw.checklists['utvikle_tiltak'].label(self.lang))}"
                                    f"</b><br>{esc(self._t('ui_develop_intro'))}")
        self.new_id.description = self._t("ui_intervention_id")
        self.new_name.description = self._t("ui_intervention_name")
        for item in fw.checklists["utvikle_tiltak"]:
            self._develop_labels[item.id].value = f"<b>{esc(item.label(self.lang))}</b>"
        self.create_button.description = self._t("ui_create")
        self.list_projects()
        self._show_current()

    # -- the workspace's projects -----------------------------------------------------------
    def list_projects(self) -> None:
        """Re-read the workspace's project list."""
        rows = self.workspace.projects()
        options = []
        for r in rows.itertuples(index=False):
            if r.problem:
                label = f"{r.name} ({self._t('ui_project_damaged')})"
            else:
                names = r.intervention_labels or {}
                iv = names.get(self.lang) or names.get("name") or r.intervention
                label = f"{r.site_name or r.site} ({r.site}, {r.country}) · {iv} · {r.name}"
                if r.demo:
                    label = f"{self._t('ui_demo_label')}: {label}"
            options.append((label, r.name))
        self._set_options(self.projects, options)
        if self.projects.value is None and options:
            self.projects.value = options[0][1]

    # -- callbacks ----------------------------------------------------------------------------
    def _on_language(self, change) -> None:
        if self._busy:
            return
        self.set_language(change["new"])
        self.workspace.set_setting("ui_language", self.lang)  # the user's, not the project's
        if self.on_language is not None:
            self.on_language(self.lang)

    def _on_report_language(self, change) -> None:
        if self._busy or self.project is None or change["new"] == self.project.language:
            return
        self.project.language = change["new"]
        if self._save():
            self._ok(self._t("ui_report_language_saved"))

    def _on_intervention(self, change) -> None:
        self.develop.layout.display = "" if change["new"] == SELF_DEVELOPED else "none"

    def _on_country(self, change) -> None:
        self.report_lang.value = _REPORT_LANG.get(change["new"], "en")

    def _on_name(self, change) -> None:
        if not self._busy:
            self._name_edited = bool(change["new"].strip())

    def _suggest(self) -> None:
        """Fill the project name from municipality and intervention until someone types one."""
        if self._name_edited:
            return
        choice = self.intervention.value
        iv = (self.new_id.value or self.new_name.value) if choice == SELF_DEVELOPED else choice
        with self._quiet():
            self.name.value = suggest_name(self.site_name.value, iv or "")

    def _show_current(self) -> None:
        p = self.project
        if p is None:
            self.current.value = f"<p><i>{esc(self._t('ui_no_project'))}</i></p>"
            self.report_language.layout.display = "none"
            return
        phase = phase_label(p.plan.current_phase(), self.lang)
        demo = (f' <span class="ik-demo">{esc(self._t("ui_demo_label"))}</span>'
                if p.path.parent == self.workspace.path and
                p.path.name in set(self.workspace.projects().query("demo")["name"]) else "")
        self.current.value = (
            f'<div class="ik-box ik-current-project"><b>{esc(p.site_name or p.site)}</b> '
            f"({esc(p.site)}, {esc(p.country)}) · {esc(p.intervention.label(self.lang))} · "
            f"{esc(self._t('current_phase'))}: {esc(phase)}{demo}<br>"
            f"<small>{esc(p.path)}</small></div>")
        self.report_language.layout.display = ""
        with self._quiet():
            self.report_language.value = p.language

    # -- actions --------------------------------------------------------------------------
    def open(self, name: str | None = None) -> Project | None:
        """Open the project chosen in the list (or ``name``)."""
        name = name or self.projects.value
        if not name:
            self._warn(self._t("ui_choose_project"))
            return None
        try:
            project = self.workspace.open(name)
        except ImplementereError as exc:
            self._fail(exc)
            return None
        self._use(project, "ui_opened")
        return project

    def open_demo(self) -> Project | None:
        """Open the demo project (made in the workspace the first time)."""
        try:
            project = self.workspace.demo()
        except ImplementereError as exc:
            self._fail(exc)
            return None
        self.list_projects()
        self._use(project, "ui_opened_demo")
        return project

    def create(self) -> Project | None:
        """Create a project from the form; every problem is shown, nothing half-made."""
        choice = self.intervention.value
        if choice is None:
            self._warn(self._t("ui_choose_intervention"))
            return None
        answers = {k: w.value.strip() for k, w in self.develop_answers.items()}
        try:
            if choice == SELF_DEVELOPED:
                name = self.new_name.value.strip()
                slug = suggest_name("", self.new_id.value or name)
                intervention = Intervention.from_checklist(answers, id=slug or "local", name=name)
            else:
                intervention = choice
            project = self.workspace.create(
                self.name.value.strip() or suggest_name(self.site_name.value, str(choice)),
                site=self.site.value.strip(), country=self.country.value,
                intervention=intervention, site_name=self.site_name.value.strip(),
                start=self.start.value, language=self.report_lang.value)
        except ImplementereError as exc:
            self._fail(exc)
            return None
        self.project = project
        if choice == SELF_DEVELOPED:
            # The checklist answers are part of the plan's record of Fase I.
            for key, text in answers.items():
                project.plan.answer("utvikle_tiltak", key, answer=text, done=True)
            if not self._save():
                return None
        self.list_projects()
        with self._quiet():
            self.projects.value = project.path.name
        self._use(project, "ui_created")
        return project

    def _use(self, project: Project, key: str) -> None:
        self.project = project
        self._show_current()
        self._ok(self._t(key, name=project.path.name))
        if self.on_project is not None:
            self.on_project(project)
