"""Start screen: open a project or create one, and choose the language.

A new project names its municipality (site code, country, name), its intervention — one of
the shipped definitions, or a self-developed one described through the "Utvikle tiltak"
checklist of implementere.no — and its start date, from which the plan's dates follow.

References
----------
implementere.no, "Hva må du gjøre", Fase I: the checklist "Utvikle tiltak" (who is it for,
goal, format, scope, content, methods, materials, why we assume it works).
https://implementere.no/hva-ma-du-gjore/i-forberede/
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
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
from ..store.project import COUNTRIES, Project
from ._base import LANGUAGES, Screen, esc, heading, set_heading, style_widget

__all__ = ["StartScreen", "SELF_DEVELOPED"]

#: Value of the intervention choice that opens the "Utvikle tiltak" checklist.
SELF_DEVELOPED = "__self_developed__"
_WIDE = W.Layout(width="32em")
_STYLE = {"description_width": "12em"}


def _slug(text: str) -> str:
    """A short ASCII id from a name: ``Foreldrekafé Tromsø`` → ``foreldrekafe-tromso``."""
    text = text.lower().replace("ø", "o").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class StartScreen(Screen):
    """Open or create a project; switch the language at any time.

    Parameters
    ----------
    project : Project, optional
        The project already open, if any.
    lang : {"nb", "da", "en"}, optional
        Default: the project's language, else ``nb``.
    on_project : callable, optional
        Called with the :class:`~implementere_kit.store.project.Project` opened or created.
    on_language : callable, optional
        Called with the new language code when the user switches language.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> s = StartScreen(lang="en")
    >>> s.folder.value = tmp.name + "/oslo-fft"
    >>> s.site.value, s.country.value, s.intervention.value = "0301", "NO", "fft"
    >>> s.create_button.click()
    >>> s.project.site, s.project.intervention.id
    ('0301', 'fft')
    >>> tmp.cleanup()
    """

    screen_id = "start"

    def __init__(self, project: Project | None = None, lang: str | None = None, *,
                 on_project: Callable[[Project], None] | None = None,
                 on_language: Callable[[str], None] | None = None):
        self.on_project = on_project
        self.on_language = on_language
        super().__init__(project, lang)

    def _build(self) -> None:
        self.title = W.HTML()
        self.language = W.ToggleButtons(options=LANGUAGES, value=self.lang)
        self.language.add_class("ik-language")
        self.current = W.HTML()
        self.open_heading, self.create_heading = heading(), heading()
        self.open_path = W.Text(layout=_WIDE, style=_STYLE)
        self.open_button = W.Button(icon="folder-open")
        self.folder = W.Text(layout=_WIDE, style=_STYLE)
        self.site = W.Text(layout=_WIDE, style=_STYLE)
        self.country = W.Dropdown(options=COUNTRIES, value="NO", style=_STYLE)
        self.site_name = W.Text(layout=_WIDE, style=_STYLE)
        self.intervention = W.Dropdown(layout=_WIDE, style=_STYLE)
        self.start = W.DatePicker(value=dt.date.today(), style=_STYLE)
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
            style_widget(), self.title, self.language, self.current,
            self.open_heading, W.HBox([self.open_path, self.open_button]),
            self.create_heading, self.folder, self.site, self.country, self.site_name,
            self.intervention, self.develop, self.start, self.create_button, self.message,
        ])
        self.language.observe(self._on_language, "value")
        self.intervention.observe(self._on_intervention, "value")
        self.open_button.on_click(lambda _: self.open())
        self.create_button.on_click(lambda _: self.create())

    def _relabel(self) -> None:
        fw = load_framework("implementere")
        self.title.value = (f"<h2>{esc(self._t('ui_app_title'))}</h2>"
                            f"<p>{esc(self._t('ui_start_intro'))}</p>")
        self.language.value = self.lang
        set_heading(self.open_heading, self._t("ui_open_project"))
        set_heading(self.create_heading, self._t("ui_new_project"))
        self.open_path.description = self._t("ui_project_folder")
        self.open_path.placeholder = self._t("ui_folder_placeholder")
        self.open_button.description = self._t("ui_open")
        self.folder.description = self._t("ui_project_folder")
        self.folder.placeholder = self._t("ui_folder_placeholder")
        self.site.description = self._t("ui_site_code")
        self.site.placeholder = "0301 / 101"
        self.country.description = self._t("ui_country")
        self.site_name.description = self._t("site_name")
        self.intervention.description = self._t("intervention")
        shipped = [(load_intervention(i).label(self.lang), i) for i in list_interventions()]
        self._set_options(self.intervention,
                          [*shipped, (self._t("ui_self_developed"), SELF_DEVELOPED)])
        self.start.description = self._t("ui_start_date")
        self.develop_intro.value = (f"<b>{esc(fw.checklists['utvikle_tiltak'].label(self.lang))}"
                                    f"</b><br>{esc(self._t('ui_develop_intro'))}")
        self.new_id.description = self._t("ui_intervention_id")
        self.new_name.description = self._t("ui_intervention_name")
        for item in fw.checklists["utvikle_tiltak"]:
            self._develop_labels[item.id].value = f"<b>{esc(item.label(self.lang))}</b>"
        self.create_button.description = self._t("ui_create")
        self._show_current()

    # -- callbacks ------------------------------------------------------------------
    def _on_language(self, change) -> None:
        if self._busy:
            return
        self.set_language(change["new"])
        if self.project is not None:
            self.project.language = self.lang
            self._save()
        if self.on_language is not None:
            self.on_language(self.lang)

    def _on_intervention(self, change) -> None:
        self.develop.layout.display = "" if change["new"] == SELF_DEVELOPED else "none"

    def _show_current(self) -> None:
        p = self.project
        if p is None:
            self.current.value = f"<p><i>{esc(self._t('ui_no_project'))}</i></p>"
            return
        phase = load_framework("implementere").phase(p.plan.current_phase()).label(self.lang)
        self.current.value = (
            f'<div class="ik-box"><b>{esc(p.site_name or p.site)}</b> ({esc(p.site)}, '
            f"{esc(p.country)}) · {esc(p.intervention.label(self.lang))} · "
            f"{esc(self._t('current_phase'))}: {esc(phase)}<br>"
            f"<small>{esc(p.path)}</small></div>")

    # -- actions --------------------------------------------------------------------
    def open(self) -> Project | None:
        """Open the project in :attr:`open_path`."""
        try:
            project = Project.open(self.open_path.value.strip())
        except ImplementereError as exc:
            self._fail(exc)
            return None
        self._use(project, "ui_opened")
        return project

    def create(self) -> Project | None:
        """Create a project from the form; every problem is shown, nothing half-made."""
        folder = self.folder.value.strip()
        if not folder:
            self.message.value = f'<div class="ik-box ik-fail">{esc(self._t("ui_need_folder"))}</div>'
            return None
        choice = self.intervention.value
        answers = {k: w.value.strip() for k, w in self.develop_answers.items()}
        try:
            if choice == SELF_DEVELOPED:
                name = self.new_name.value.strip()
                slug = _slug(self.new_id.value or name)
                intervention = Intervention.from_checklist(answers, id=slug or "local", name=name)
            else:
                intervention = choice
            project = Project.create(folder, site=self.site.value.strip(),
                                     country=self.country.value, intervention=intervention,
                                     site_name=self.site_name.value.strip(),
                                     start=self.start.value, language=self.lang)
            if choice == SELF_DEVELOPED:
                # The checklist answers are part of the plan's record of Fase I.
                for key, text in answers.items():
                    project.plan.answer("utvikle_tiltak", key, answer=text, done=True)
                project.save()
        except ImplementereError as exc:
            self._fail(exc)
            return None
        self._use(project, "ui_created")
        return project

    def _use(self, project: Project, key: str) -> None:
        self.project = project
        self.set_language(project.language)
        self._show_current()
        self._ok(self._t(key, path=str(project.path)))
        if self.on_project is not None:
            self.on_project(project)
