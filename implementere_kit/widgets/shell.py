"""The app: every screen in one set of tabs, one language switch, one feedback box.

Screens other than the start screen are built the first time their tab is opened, so the
app starts quickly; all of them share one :class:`~implementere_kit.store.project.Project`
object, and a screen re-reads it whenever its tab is opened again. The language switch
changes the screens only; the language of a project's reports is the project's own
setting (on the start screen).
"""

from __future__ import annotations

import ipywidgets as W

from ..i18n import check_lang, t
from ._base import style_widget
from .dashboard import Dashboard
from .exchange import ExchangeScreen
from .feedback import Feedback
from .fidelity_data import FidelityData
from .guide import PhaseGuide
from .intervention_editor import InterventionEditor
from .plan_editor import PlanEditor
from .report import ReportScreen
from .session import notebook_project, open_workspace, screen_language
from .start import StartScreen

__all__ = ["App", "SCREENS"]

#: Tab order: screen id → screen class (the start screen is built up front).
SCREENS = {"start": StartScreen, "guide": PhaseGuide, "plan": PlanEditor,
           "intervention": InterventionEditor, "data": FidelityData,
           "exchange": ExchangeScreen, "dashboard": Dashboard, "report": ReportScreen}
_AS_OF = ("guide", "plan", "dashboard")


class App:
    """All screens in tabs, for Jupyter or Voila.

    Parameters
    ----------
    project : Project or str, optional
        The project to open (a name in the workspace or a folder); default
        ``$IMPLEMENTERE_PROJECT``, else only the start screen until one is opened.
    lang : {"nb", "da", "en"}, optional
        Language of the screens (default the workspace's setting, else the project's).
    workspace : Workspace or path, optional
        Default ``$IMPLEMENTERE_WORKSPACE``, else the user's data folder.
    as_of : date, optional
        The day "overdue" and the dashboard are judged on (default today).
    phases : list of str, optional
        Show the guide for these phases only (a phase notebook).

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> app = App(demo_project(tmp, scale=0.05), workspace=tmp)
    >>> app.tab_ids[app.tabs.selected_index]
    'guide'
    >>> app.start.language.value = "en"          # every built screen follows
    >>> app.screen("guide").lang, app.tabs.titles[1], app.project.language
    ('en', 'Guide', 'da')
    """

    def __init__(self, project=None, lang: str | None = None, *, workspace=None, as_of=None,
                 phases=None):
        self.workspace = open_workspace(workspace)
        project = notebook_project(project, self.workspace)
        self.project = project
        self.lang = check_lang(lang or screen_language(self.workspace, project))
        self.as_of = as_of
        self.phases = phases
        self.start = StartScreen(project, self.lang, workspace=self.workspace,
                                 on_project=self._on_project, on_language=self.set_language)
        self.tabs = W.Tab()
        self.tabs.observe(self._on_tab, "selected_index")
        self.feedback_box = W.VBox()
        self.notice = W.HTML()  # what the start screen said, once it is no longer in view
        self.notice.add_class("ik-notice")
        self.root = W.VBox([style_widget(), self.start.language, self.notice, self.tabs,
                            self.feedback_box])
        self._setup()

    # -- screens ----------------------------------------------------------------------
    def _setup(self) -> None:
        self._screens = {"start": self.start}
        self.tab_ids = ["start"] if self.project is None else list(SCREENS)
        self._pages = {sid: W.VBox() for sid in self.tab_ids}
        self._pages["start"].children = (self.start.root,)
        self.feedback = Feedback(self.project, self.lang) if self.project is not None else None
        self.feedback_box.children = (self.feedback.root,) if self.feedback else ()
        self.tabs.children = tuple(self._pages[s] for s in self.tab_ids)
        self._relabel()
        self.tabs.selected_index = 1 if self.project is not None else 0

    def screen(self, screen_id: str):
        """The screen of a tab, built on first use."""
        if screen_id not in self._screens:
            cls = SCREENS[screen_id]
            kwargs = {"as_of": self.as_of} if screen_id in _AS_OF else {}
            if screen_id == "guide" and self.phases is not None:
                kwargs["phases"] = self.phases
            scr = cls(self.project, self.lang, **kwargs)
            self._screens[screen_id] = scr
            self._pages[screen_id].children = (scr.root,)
        return self._screens[screen_id]

    def _on_tab(self, change) -> None:
        index = change["new"]
        if index is None or index >= len(self.tab_ids):
            return
        sid = self.tab_ids[index]
        if change["old"] is not None and change["old"] != index:
            self.notice.value = ""  # the news of the start screen is old once one moves on
        built = sid in self._screens
        scr = self.screen(sid)
        if built and hasattr(scr, "refresh"):
            scr.refresh()  # another tab may have changed the project meanwhile
        if self.feedback is not None:
            self.feedback.screen = sid

    def _on_project(self, project) -> None:
        self.project = project
        self._setup()
        self.notice.value = self.start.message.value

    # -- language ---------------------------------------------------------------------
    def set_language(self, lang: str) -> None:
        """Show every built screen, the tab titles and the feedback box in ``lang``.

        Only the screens change: the project's report language stays as it is.
        """
        self.lang = check_lang(lang)
        self.notice.value = ""
        for scr in self._screens.values():
            scr.set_language(self.lang)
        if self.feedback is not None:
            self.feedback.set_language(self.lang)
        self._relabel()

    def _relabel(self) -> None:
        self.tabs.titles = tuple(t(f"ui_tab_{s}", self.lang) for s in self.tab_ids)

    def _repr_mimebundle_(self, **kwargs):
        return self.root._repr_mimebundle_(**kwargs)
