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
from implementere_kit.teaching import check_exercise_6_1, check_exercise_6_2, check_exercise_6_3

teaching.setup(lang)

# %% [markdown]
# {{intro}}

# %%
ratings = teaching.example_table("competence_ratings")
ratings.head()

# %% [markdown]
# {{criteria}}

# %% [markdown]
# {{pairs_text}}

# %%
pairs = teaching.double_rated(ratings)
pairs.head()

# %%
len(pairs), pairs.groupby(level="dimension").size()

# %% [markdown]
# {{kappa}}

# %%
ik.cohen_kappa(pairs["R1"], pairs["R2"])

# %%
ik.cohen_kappa(pairs["R1"], pairs["R2"], weights="quadratic")

# %% [markdown]
# {{pooled}}

# %%
ik.icc(pairs)[["icc", "ci_low", "ci_high", "meets_criterion"]]

# %% [markdown]
# {{per_dimension}}

# %%
by_dim = teaching.icc_by_dimension(pairs)
by_dim

# %% [markdown]
# {{ex6_1}}

# %%
### BEGIN SOLUTION
uncertain = by_dim[by_dim["ci_low"] <= 0.60].index.tolist()
### BEGIN PROMPT
uncertain = ...  # {{list_hint}}
### END
check_exercise_6_1(uncertain)

# %% [markdown]
# {{ex6_2}}

# %%
### BEGIN SOLUTION
n_sessions = by_dim.loc["overall", "n"]
### BEGIN PROMPT
n_sessions = ...  # {{your_answer}}
### END
check_exercise_6_2(n_sessions)

# %% [markdown]
# {{dependence}}

# %% [markdown]
# {{alpha}}

# %%
forms = teaching.items_wide(ratings, "R1")
forms.head()

# %% [markdown]
# {{columns}}

# %%
two_items = forms[["knowledge", "structure"]]
ik.cronbach_alpha(two_items)

# %% [markdown]
# {{ex6_3}}

# %%
specific = ["knowledge", "structure", "teaching", "clinical_skill"]
### BEGIN SOLUTION
alpha_specific = ik.cronbach_alpha(forms[specific])
### BEGIN PROMPT
alpha_specific = ...  # {{your_answer}}
### END
check_exercise_6_3(alpha_specific)

# %% [markdown]
# {{ex6_4}}

# %% [markdown] tags=["answer"]
# {{ex6_4_model}}

# %% [markdown]
# {{key_points}}
