# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# {{title}}

# %% [markdown]
# {{overview}}

# %% tags=["parameters"]
# {{params_comment}}
lang = "{{@lang}}"

# %%
import implementere_kit as ik
from implementere_kit import teaching
from implementere_kit.plans.intervention_types import intervention_types, support_kinds
from implementere_kit.teaching import check_exercise_2_1, check_exercise_2_2, check_exercise_2_3

teaching.setup(lang)

# %% [markdown]
# {{types}}

# %%
intervention_types(lang)[["type", "label", "advantage", "support"]]

# %% [markdown]
# {{types_known}}

# %%
teaching.intervention_overview(lang=lang)

# %% [markdown]
# {{ex2_1}}

# %%
types = {
### BEGIN SOLUTION
    "a": "self-developed",
    "b": "evidence-based",
    "c": "ready-made",
### BEGIN PROMPT
    "a": ...,
    "b": ...,
    "c": ...,
### END
}
check_exercise_2_1(types)

# %% [markdown]
# {{support}}

# %%
support_kinds(lang)

# %% [markdown]
# {{requirements}}

# %%
keep = ik.load_intervention("keep")
keep.requirements_frame(lang)[["label"]]

# %% [markdown]
# {{roles}}

# %%
teaching.framework_parts("implementere", "roles", lang=lang)[["id", "label"]]

# %% [markdown]
# {{matrix}}

# %%
plan = ik.Plan.from_template(keep, start="2025-01-06", lang=lang)
teaching.responsibility_matrix(plan.activities, lang=lang)

# %% [markdown]
# {{ex2_2}}

# %%
accountable = {
### BEGIN SOLUTION
    "training": "intervention_owner",
    "time": "leader",
    "premises": "coordinator",
    "delivery": "practitioners",
    "monitoring": "implementation_team",
    "continue": "leader",
### BEGIN PROMPT
    "training": ...,
    "time": ...,
    "premises": ...,
    "delivery": ...,
    "monitoring": ...,
    "continue": ...,
### END
}
check_exercise_2_2(accountable)

# %%
teaching.raci_table(accountable, lang=lang)

# %% [markdown]
# {{checklists}}

# %%
teaching.checklist("utvikle_tiltak", lang=lang)

# %%
teaching.checklist("implementere_tiltak", lang=lang)

# %% [markdown]
# {{ex2_3}}

# %%
idea = {
### BEGIN SOLUTION
    "target_group": "{{sol_target_group}}",
    "goal": "{{sol_goal}}",
    "format": "{{sol_format}}",
    "scope": "{{sol_scope}}",
    "content": "{{sol_content}}",
    "methods": "{{sol_methods}}",
    "make_materials": "{{sol_materials}}",
    "why_it_works": "{{sol_why_it_works}}",
### BEGIN PROMPT
    "target_group": ...,
    "goal": ...,
    "format": ...,
    "scope": ...,
    "content": ...,
    "methods": ...,
    "make_materials": ...,
    "why_it_works": ...,
### END
}
check_exercise_2_3(idea)

# %% [markdown]
# {{ex2_4}}

# %% [markdown] tags=["answer"]
# {{ex2_4_model}}

# %% [markdown]
# {{key_points}}
