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
from pathlib import Path

import pandas as pd

import implementere_kit as ik
from implementere_kit import charts, teaching
from implementere_kit.measures.components import component_data
from implementere_kit.teaching import check_exercise_9_1, check_exercise_9_3, check_exercise_9_4

teaching.setup(lang)
folders = [Path(p) for p in teaching.example_sites()["path"]]
keep = ik.load_intervention("keep")

# %% [markdown]
# {{exposure}}

# %%
exposure = ik.participant_exposure(folders)
exposure[["site", "dose", "graduated", "core_adherence", "adherence_role_play"]].head()

# %% [markdown]
# {{ex9_1}}

# %%
### BEGIN SOLUTION
share_full_dose = (exposure["dose"] >= 0.8).mean()
### BEGIN PROMPT
share_full_dose = ...  # {{your_answer}}
### END
check_exercise_9_1(share_full_dose)

# %% [markdown]
# {{change_intro}}

# %%
scores = pd.concat([ik.Project.open(f).table("outcome_scores") for f in folders])
change = ik.outcome_change(scores, "pss")
after = change[change["wave_to"] == "post"].set_index("statistic")
after[["estimate", "ci_low", "ci_high", "n", "n_improved", "n_unchanged", "n_deteriorated"]]

# %%
change.attrs["design"]

# %% [markdown]
# {{ex9_2}}

# %% [markdown] tags=["answer"]
# {{ex9_2_model}}

# %% [markdown]
# {{dose_intro}}

# %%
ax = charts.dose_response_chart(component_data(folders, instrument="pss"), lang=lang)

# %% [markdown]
# {{components_intro}}

# %%
analysis = ik.component_analysis(folders, instrument="pss")
ax = charts.component_chart(analysis, names={c.id: c.name for c in keep.components}, lang=lang)

# %%
adherence = analysis[analysis["term"] == "adherence"]
adherence[["component", "kind", "estimate", "ci_low", "ci_high", "n"]]

# %% [markdown]
# {{ex9_3}}

# %%
### BEGIN SOLUTION
above_zero = adherence[adherence["ci_low"] > 0]["component"].tolist()
### BEGIN PROMPT
above_zero = ...  # {{your_answer}}
### END
check_exercise_9_3(above_zero)

# %% [markdown]
# {{ex9_4}}

# %%
### BEGIN SOLUTION
expected_by_chance = len(adherence) * 0.05
### BEGIN PROMPT
expected_by_chance = ...  # {{your_answer}}
### END
check_exercise_9_4(expected_by_chance)

# %% [markdown]
# {{ex9_5}}

# %% [markdown] tags=["answer"]
# {{ex9_5_model}}

# %% [markdown]
# {{received_intro}}

# %%
by_group = ik.component_analysis(folders, instrument="pss", received="group")
both = analysis.merge(by_group, on=["model", "term"], suffixes=("_attended", "_group"))
both[both["term"] == "adherence"][["component_attended", "estimate_attended",
                                   "estimate_group", "n_attended", "n_group"]]

# %% [markdown]
# {{ex9_6}}

# %% [markdown] tags=["answer"]
# {{ex9_6_model}}

# %% [markdown]
# {{key_points}}
