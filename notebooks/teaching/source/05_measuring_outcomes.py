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
import pandas as pd

import implementere_kit as ik
from implementere_kit import teaching
from implementere_kit.examples import AS_OF
from implementere_kit.teaching import check_exercise_5_1, check_exercise_5_2, check_exercise_5_3

teaching.setup(lang)

# %% [markdown]
# {{outcomes_intro}}

# %%
aim = ik.load_instrument("aim")
aim.item_labels(lang)

# %% [markdown]
# {{conventions}}

# %%
answers = pd.DataFrame({"respondent_id": ["a", "b", "c"],
                        "aim_1": [4, 5, 2], "aim_2": [4, 5, None],
                        "aim_3": [5, None, None], "aim_4": [3, 5, 3]})
ik.score_instrument(answers, aim)

# %% [markdown]
# {{surveys}}

# %%
havnstrup = teaching.example_site("903")
survey = havnstrup.table("survey_responses")
fim = ik.score_instrument(ik.responses_from_long(survey, "fim"), "fim")
fim

# %% [markdown]
# {{compare}}

# %%
teaching.compare_waves(fim, "feasibility")[
    ["mean_first", "mean_last", "n_paired", "change", "ci_low", "ci_high"]]

# %% [markdown]
# {{small_n}}

# %% [markdown]
# {{ex5_1}}

# %%
iam = ik.score_instrument(ik.responses_from_long(survey, "iam"), "iam")
iam_change = teaching.compare_waves(iam, "appropriateness")
### BEGIN SOLUTION
low, high = iam_change.loc[0, "ci_low"], iam_change.loc[0, "ci_high"]
verdict = "rise" if low > 0 else "fall" if high < 0 else "no_clear_change"
### BEGIN PROMPT
verdict = ...  # "rise", "fall" {{or}} "no_clear_change"
### END
check_exercise_5_1(verdict)

# %%
iam_change[["mean_first", "mean_last", "n_paired", "change", "ci_low", "ci_high"]]

# %% [markdown]
# {{outcomes_table}}

# %%
outcomes = ik.implementation_outcomes(havnstrup, as_of=AS_OF)
outcomes[["outcome", "value", "n", "numerator", "denominator", "target", "meets", "source"]]

# %% [markdown]
# {{reach}}

# %%
per_year = teaching.reach_by_year(havnstrup, as_of=AS_OF)
per_year

# %%
per_year["n_participants"].sum() / per_year["n_eligible"].sum()

# %% [markdown]
# {{ex5_2}}

# %%
### BEGIN SOLUTION
first_year = per_year[per_year["n_participants"] > 0]["year"].min()
from_first = per_year[per_year["year"] >= first_year]
reach_by_hand = from_first["n_participants"].sum() / from_first["n_eligible"].sum()
### BEGIN PROMPT
first_year = ...  # {{read_year}}
reach_by_hand = ...  # {{your_answer}}
### END
check_exercise_5_2(reach_by_hand)

# %% [markdown]
# {{reaim}}

# %%
alund = teaching.example_site("901")
teaching.reaim_side_by_side({"Ålund": alund, "Havnstrup": havnstrup}, as_of=AS_OF, lang=lang)

# %% [markdown]
# {{ex5_3}}

# %%
bogely = teaching.example_site("902")
pair = teaching.reaim_side_by_side({"Bøgely": bogely, "Havnstrup": havnstrup}, as_of=AS_OF,
                                   lang=lang)
pair

# %%
### BEGIN SOLUTION
verdicts = teaching.reaim_verdicts(pair, "Bøgely", "Havnstrup", lang=lang)["verdict"].to_dict()
### BEGIN PROMPT
verdicts = {
    "Reach": ...,
    "Effectiveness": ...,
    "Adoption": ...,
    "Implementation": ...,
    "Maintenance": ...,
}
### END
check_exercise_5_3(verdicts)

# %% [markdown] tags=["solution"]
# {{verdicts_shown}}

# %% tags=["solution"]
teaching.reaim_verdicts(pair, "Bøgely", "Havnstrup", lang=lang)

# %% [markdown]
# {{ex5_4}}

# %% [markdown] tags=["answer"]
# {{ex5_4_model}}

# %% [markdown]
# {{key_points}}
