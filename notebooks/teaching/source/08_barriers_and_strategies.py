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
from implementere_kit.learning.barriers import advice_for, barrier_summary
from implementere_kit.learning.strategies import eric_strategies
from implementere_kit.teaching import (
    check_exercise_8_1,
    check_exercise_8_2,
    check_exercise_8_3,
    check_exercise_8_4,
    check_exercise_8_5,
)

teaching.setup(lang)

# %% [markdown]
# {{epis}}

# %%
mosebjerg = teaching.example_site("904")
barriers = mosebjerg.table("barriers")
barriers[["barrier_id", "phase", "domain", "topic", "description", "status"]]

# %% [markdown]
# {{summary}}

# %%
barrier_summary(mosebjerg, by=("phase", "domain"))[["phase", "domain", "n", "n_high", "n_resolved"]]

# %% [markdown]
# {{ex8_1}}

# %%
domains = {
### BEGIN SOLUTION
    "a": "outer_context",
    "b": "inner_context",
    "c": "bridging_factors",
    "d": "innovation",
### BEGIN PROMPT
    "a": ...,
    "b": ...,
    "c": ...,
    "d": ...,
### END
}
check_exercise_8_1(domains)

# %% [markdown]
# {{not_equal}}

# %%
barriers[barriers["severity"] != "low"][["barrier_id", "severity", "description"]].head()

# %% [markdown]
# {{ex8_2}}

# %%
### BEGIN SOLUTION
unresolved = barriers[barriers["status"] != "resolved"]
n_unresolved = len(unresolved)
### BEGIN PROMPT
n_unresolved = ...  # {{your_answer}}
### END
check_exercise_8_2(n_unresolved)

# %% [markdown]
# {{eric}}

# %%
eric_strategies(lang)

# %% [markdown]
# {{helped_elsewhere}}

# %%
others = [teaching.example_site(code) for code in ("901", "902", "903")]
advice_for(mosebjerg, others)[["barrier_id", "topic", "strategy", "sites_helped", "share_helped"]]

# %% [markdown]
# {{ex8_3}}

# %%
teaching.unresolved_barriers(mosebjerg)[["barrier_id", "domain", "topic", "description"]]

# %%
strategies = {
### BEGIN SOLUTION
    "B001": "educational_meetings",
    "B011": "formal_commitments",
    "B012": "revise_roles",
### BEGIN PROMPT
    "B001": ...,
    "B011": ...,
    "B012": ...,
### END
}
check_exercise_8_3(strategies)

# %% [markdown]
# {{measures}}

# %%
oric = ik.load_instrument("oric")
oric.subscales

# %%
ils = ik.load_instrument("ils")
ils.subscales, ils.item_labels(lang)

# %% [markdown]
# {{ex8_4}}

# %%
instruments = {
### BEGIN SOLUTION
    "a": "ils",
    "b": "oric",
    "c": "iam",
### BEGIN PROMPT
    "a": ...,
    "b": ...,
    "c": ...,
### END
}
check_exercise_8_4(instruments)

# %% [markdown]
# {{plan_intro}}

# %% [markdown]
# {{ex8_5}}

# %%
rows = [
### BEGIN SOLUTION
    {"barrier": "B001", "strategy": "educational_meetings", "role": "implementation_team",
     "measure": "iam", "due": "2025-09-01"},
    {"barrier": "B011", "strategy": "formal_commitments", "role": "leader",
     "measure": "oric", "due": "2025-11-01"},
    {"barrier": "B012", "strategy": "revise_roles", "role": "leader",
     "measure": "ils", "due": "2025-08-15"},
### BEGIN PROMPT
    {"barrier": "B001", "strategy": ..., "role": ..., "measure": ..., "due": ...},
    {"barrier": "B011", "strategy": ..., "role": ..., "measure": ..., "due": ...},
    {"barrier": "B012", "strategy": ..., "role": ..., "measure": ..., "due": ...},
### END
]
check_exercise_8_5(rows)

# %%
teaching.strategy_plan(rows, mosebjerg, lang=lang)

# %% [markdown]
# {{ex8_6}}

# %% [markdown] tags=["answer"]
# {{ex8_6_model}}

# %% [markdown]
# {{key_points}}
