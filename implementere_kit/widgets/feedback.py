"""Feedback: a comment box on every screen, stored in the project's ``feedback`` table.

implementere.no has feedback buttons on its pages; here a comment is saved with the screen
it was written on and the time (table ``feedback``: time, screen, comment). The table stays
in the municipality: data packages never include it.

References
----------
implementere.no (RKBU/RBUP): the site is self-explanatory and asks its users for feedback
on each page. https://implementere.no/
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError
from ._base import Screen, esc

__all__ = ["Feedback"]


class Feedback(Screen):
    """A text box and a button that record a comment with the screen and the time.

    Parameters
    ----------
    project : Project
    screen : str
        The screen the comment is about (the app updates it as tabs change).

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> fb = Feedback(demo_project(tmp, scale=0.05), screen="guide")
    >>> fb.comment.value = "Sjekklisten for KE3 er uklar"
    >>> fb.send_button.click()
    >>> fb.project.table("feedback")[["screen", "comment"]].values.tolist()
    [['guide', 'Sjekklisten for KE3 er uklar']]
    """

    screen_id = "feedback"

    def __init__(self, project, lang: str | None = None, *, screen: str = "app"):
        self.screen = screen
        super().__init__(project, lang)

    def _build(self) -> None:
        self.label = W.HTML()
        self.comment = W.Textarea(layout=W.Layout(width="40em", height="4em"))
        self.send_button = W.Button(icon="comment")
        self.send_button.add_class("ik-feedback-send")
        self.root = W.VBox([self.label, self.comment, self.send_button, self.message],
                           layout=W.Layout(border_top="1px solid #ccc", margin="12px 0 0 0"))
        self.send_button.on_click(lambda _: self.send())

    def _relabel(self) -> None:
        self.label.value = f"<b>{esc(self._t('ui_feedback'))}</b>"
        self.comment.placeholder = self._t("ui_feedback_placeholder")
        self.send_button.description = self._t("ui_send")

    def send(self) -> bool:
        """Save the comment (with :attr:`screen` and the time) and clear the box."""
        text = self.comment.value.strip()
        if not text:
            self.message.value = (f'<div class="ik-box ik-fail">'
                                  f'{esc(self._t("ui_feedback_empty"))}</div>')
            return False
        row = pd.DataFrame([{"time": dt.datetime.now().isoformat(timespec="seconds"),
                             "screen": self.screen, "comment": text}])
        try:
            self.project.append("feedback", row)
        except ImplementereError as exc:
            self._fail(exc)
            return False
        if not self._save():
            return False
        self.comment.value = ""
        self._ok(self._t("ui_feedback_thanks"))
        return True
