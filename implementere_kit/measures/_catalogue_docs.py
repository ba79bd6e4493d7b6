"""``docs/measures.md``, generated from the measures catalogue (private).

Run ``python -m implementere_kit.measures._catalogue_docs docs/measures.md`` after changing
``measures.yaml``; a test checks that the committed file equals what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["catalogue_markdown", "write"]

_HEAD = """# Measures

<!-- Generated from implementere_kit/measures/measures.yaml by
     python -m implementere_kit.measures._catalogue_docs docs/measures.md — do not edit. -->

Every number the toolkit shows — in the library, the reports, the spreadsheets, the
dashboard, the network indicators and the share-back packages — is one of the measures
below, defined once in `implementere_kit/measures/measures.yaml` and computed by one SQL
implementation (`implementere_kit/measures/engine.py`) that runs on a project's tables, on
the sums an aggregate package publishes and on a network store alike.

A measure is a numerator and a denominator (or a count), each a *sum* over one row per
unit (participant, group, session, checklist item, respondent, practitioner, site,
eligible period or SIC activity). Aggregate packages publish the sums per site for the
whole period and per year; sums that could reveal fewer than k people (default 5) are
suppressed and the measures built on them shown as suppressed, with the reason.

```python
from implementere_kit.measures import measure

m = measure("completion")
print(m.label("nb"), "=", m.numerator, "÷", m.denominator)
```

prints

```text
{example}
```

"""


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _threshold(m) -> str:
    t = m.threshold
    if not t:
        return "none"
    what = f"{t['value']:g}" if "value" in t else f"the intervention's `{t['rule']}`"
    return f"{what} ({t['source']})"


def catalogue_markdown() -> str:
    """The catalogue as Markdown: an overview table, then each measure in full."""
    from .catalogue import families, measures, parameters, sums

    ms, ss, fams = measures(), sums(), families()
    # what the page's example prints (tests/test_docs.py runs it and compares)
    example = ms["completion"]
    head = _HEAD.replace("{example}", f"{example.label('nb')} = {example.numerator} ÷ "
                                      f"{example.denominator}")
    out = [head, "## Overview\n",
           "| id | measure | unit | better | numerator ÷ denominator | reports |",
           "|---|---|---|---|---|---|"]
    for m in ms.values():
        op = " − " if m.kind == "span" else " ÷ "
        ratio = ss[m.numerator].label("en") + (f"{op}{ss[m.denominator].label('en')}"
                                               if m.denominator else "")
        where = m.section if m.report else "library and network only"
        if not m.network:
            where += " (not in packages)"
        out.append(f"| `{m.id}` | {_cell(m.label('en'))} | {m.unit} | {m.direction} | "
                   f"{_cell(ratio)} | {where} |")
    out.append("")
    for m in ms.values():
        out += [f"## `{m.id}` — {m.label('en')}\n",
                f"- **Label**: nb *{m.label('nb')}*, da *{m.label('da')}*, "
                f"en *{m.label('en')}*",
                f"- **Definition** (en): {m.definition('en')}",
                f"- **Definition** (nb): {m.definition('nb')}",
                f"- **Definition** (da): {m.definition('da')}",
                f"- **Kind and unit**: {m.kind}, {m.unit}; better: {m.direction}",
                f"- **Numerator**: `{m.numerator}` — {ss[m.numerator].label('en')}"
                f" (`{ss[m.numerator].sql}`)"]
        if m.denominator:
            out.append(f"- **Denominator**: `{m.denominator}` — "
                       f"{ss[m.denominator].label('en')} (`{ss[m.denominator].sql}`)")
        if m.population:
            out.append(f"- **People behind it** (threshold k applies): `{m.population}`")
        if m.sensitive:
            out.append(f"- **Sensitive counts** (0 or ≥ k to be published): "
                       f"{', '.join(m.sensitive)}")
        out += [f"- **Reads**: {', '.join(f'`{t}`' for t in m.tables)} (unit view "
                f"`{fams[m.family]['unit']}`; period by {fams[m.family]['date']})",
                f"- **Intervention rule**: {', '.join(f'`{r}`' for r in m.rule) or 'none'}"]
        if m.parameters:
            values = parameters()
            out.append("- **Parameters**: " + ", ".join(f"`{p}` = {values[p]:g}"
                                                        for p in m.parameters))
        out += [f"- **Threshold**: {_threshold(m)}",
                f"- **Network**: pooled as {m.pool}; periods {', '.join(m.levels)}",
                f"- **Source**: {m.source}", ""]
    raw = __import__("implementere_kit._data", fromlist=["load_yaml"])
    spec = raw.load_yaml(raw.package_file("measures", "measures.yaml"))["parameters"]
    out += ["## Parameters\n", "| parameter | value | source |", "|---|---|---|"]
    out += [f"| `{k}` | {v['value']:g} | {_cell(' '.join(v['source'].split()))} |"
            for k, v in spec.items()]
    return "\n".join(out) + "\n"


def write(path) -> Path:
    """Write :func:`catalogue_markdown` to ``path``."""
    path = Path(path)
    path.write_text(catalogue_markdown(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    print(write(sys.argv[1] if len(sys.argv) > 1 else "docs/measures.md"))
