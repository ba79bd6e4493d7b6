"""Learning across sites: barriers and the solutions tried, adaptations coded after FRAME,
and the network meetings where sites exchange what they learnt.

Socialstyrelsen's TILE evaluations set out to learn the practical and organisational
challenges and good solutions, to give recommendations with concrete cases, and to pass
this on during the project through network meetings (:mod:`.barriers`,
:mod:`.adaptations`, :mod:`.meetings`). Everything here takes and returns DataFrames.
"""

from __future__ import annotations

__all__ = ["barriers", "adaptations", "meetings", "vocabulary"]
