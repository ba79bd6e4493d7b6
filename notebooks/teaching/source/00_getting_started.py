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

# %% [markdown]
# {{cells}}

# %%
2 + 3

# %% [markdown]
# {{variables}}

# %%
sessions = 16
minutes = 90
sessions * minutes

# %% [markdown]
# {{edit}}

# %% [markdown]
# {{toolkit}}

# %%
import implementere_kit as ik
from implementere_kit import teaching
from implementere_kit.teaching import check_exercise_0_1, check_exercise_0_2

teaching.setup(lang)

# %% [markdown]
# {{dosage}}

# %%
keep = ik.load_intervention("keep")
keep.dosage.sessions, keep.dosage.min_attendance

# %% [markdown]
# {{ellipsis}}

# %% [markdown]
# {{ex0_1}}

# %%
### BEGIN SOLUTION
needed = 13  # {{ex0_1_comment}}
### BEGIN PROMPT
needed = ...  # {{your_answer}}
### END
check_exercise_0_1(needed)

# %% [markdown]
# {{tables}}

# %%
teaching.example_sites()[["site", "name"]]

# %%
havnstrup = teaching.example_site("903")
families = havnstrup.table("participants")
families.head()

# %%
len(families)

# %% [markdown]
# {{ex0_2}}

# %%
### BEGIN SOLUTION
bogely = teaching.example_site("902")
n_families = len(bogely.table("participants"))
### BEGIN PROMPT
n_families = ...  # {{your_answer}}
### END
check_exercise_0_2(n_families)

# %% [markdown]
# {{errors}}

# %% [markdown]
# {{help}}

# %%
help(teaching.example_site)

# %% [markdown]
# {{ex0_3}}

# %% [markdown] tags=["answer"]
# {{ex0_3_model}}

# %% [markdown]
# {{key_points}}
