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
from implementere_kit.teaching import check_exercise_3_1, check_exercise_3_2

teaching.setup(lang)

# %% [markdown]
# {{toc_intro}}

# %%
cafe_boxes = {
    "resources": ["{{cafe_resources}}"],
    "activities": ["{{cafe_activities}}"],
    "deliverables": ["{{cafe_deliverables}}"],
    "results": ["{{cafe_results}}"],
    "long_term_effects": ["{{cafe_effects}}"],
}
cafe_assumptions = {
    "resources->activities": "{{cafe_a1}}",
    "activities->deliverables": "{{cafe_a2}}",
    "deliverables->results": "{{cafe_a3}}",
    "results->long_term_effects": "{{cafe_a4}}",
}
cafe = ik.TheoryOfChange(**cafe_boxes, assumptions=cafe_assumptions)
cafe.links()

# %% [markdown]
# {{missing}}

# %%
cafe.missing_assumptions()

# %% [markdown]
# {{measures}}

# %%
teaching.measure_catalogue(lang=lang)

# %% [markdown]
# {{worked_measures}}

# %%
cafe_measures = {
    "resources->activities": "adoption",
    "activities->deliverables": "attendance",
    "deliverables->results": "parenting_stress",
    "results->long_term_effects": "placement_breakdowns",
}
teaching.toc_table(cafe_boxes, cafe_assumptions, cafe_measures, lang=lang)

# %% [markdown]
# {{ex3_1}}

# %%
boxes = {
### BEGIN SOLUTION
    "resources": ["{{keep_resources_1}}", "{{keep_resources_2}}"],
    "activities": ["{{keep_activities_1}}", "{{keep_activities_2}}"],
    "deliverables": ["{{keep_deliverables_1}}", "{{keep_deliverables_2}}"],
    "results": ["{{keep_results_1}}", "{{keep_results_2}}"],
    "long_term_effects": ["{{keep_effects_1}}"],
### BEGIN PROMPT
    "resources": ...,
    "activities": ...,
    "deliverables": ...,
    "results": ...,
    "long_term_effects": ...,
### END
}
assumptions = {
### BEGIN SOLUTION
    "resources->activities": "{{keep_a1}}",
    "activities->deliverables": "{{keep_a2}}",
    "deliverables->results": "{{keep_a3}}",
    "results->long_term_effects": "{{keep_a4}}",
### BEGIN PROMPT
    "resources->activities": ...,
    "activities->deliverables": ...,
    "deliverables->results": ...,
    "results->long_term_effects": ...,
### END
}
check_exercise_3_1(boxes, assumptions)

# %% [markdown]
# {{ex3_2}}

# %%
measures = {
### BEGIN SOLUTION
    "resources->activities": "staff_trained",
    "activities->deliverables": "adherence",
    "deliverables->results": "parenting_practice",
    "results->long_term_effects": "placement_breakdowns",
### BEGIN PROMPT
    "resources->activities": ...,
    "activities->deliverables": ...,
    "deliverables->results": ...,
    "results->long_term_effects": ...,
### END
}
check_exercise_3_2(measures)

# %%
teaching.toc_table(boxes, assumptions, measures, lang=lang)

# %% [markdown]
# {{ex3_3}}

# %% [markdown] tags=["answer"]
# {{ex3_3_model}}

# %% [markdown]
# {{key_points}}
