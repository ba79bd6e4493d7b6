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
from implementere_kit.examples import AS_OF
from implementere_kit.teaching import check_exercise_7_1, check_exercise_7_2, check_exercise_7_3

teaching.setup(lang)

# %% [markdown]
# {{case}}

# %% [markdown]
# {{rubric}}

# %% [markdown]
# {{plan_status}}

# %%
mosebjerg = teaching.example_site("904")
mosebjerg.status(as_of=AS_OF)

# %% [markdown]
# {{families}}

# %%
rule = mosebjerg.intervention.dosage
summary = ik.attendance_summary(mosebjerg.table("attendance"), rule,
                                mosebjerg.table("participants"))
summary[["participant_id", "group_id", "n_attended", "graduated", "dropped_out",
         "dropout_session"]]

# %% [markdown]
# {{ex7_1}}

# %%
### BEGIN SOLUTION
dropout_share = summary["dropped_out"].mean()
### BEGIN PROMPT
dropout_share = ...  # {{your_answer}}
### END
check_exercise_7_1(dropout_share)

# %% [markdown]
# {{when}}

# %%
by_session = ik.dropout_by_session(summary)
by_session

# %% [markdown]
# {{ex7_2}}

# %%
### BEGIN SOLUTION
by_session_4 = by_session.set_index("last_session").loc[4, "cumulative_share"]
### BEGIN PROMPT
by_session_4 = ...  # {{read_share}}
### END
check_exercise_7_2(by_session_4)

# %% [markdown]
# {{context}}

# %%
teaching.sites_overview(as_of=AS_OF)[["name", "families", "dropout", "early", "graduated",
                                      "core_adherence"]]

# %% [markdown]
# {{fidelity}}

# %%
checks = teaching.checks_with_kind(mosebjerg)
ik.adherence(checks, mosebjerg.intervention.fidelity_threshold,
             intervention=mosebjerg.intervention)[["component", "kind", "adherence", "n_items"]]

# %% [markdown]
# {{ex7_3}}

# %%
threshold = mosebjerg.intervention.fidelity_threshold
### BEGIN SOLUTION
core_share = teaching.share_delivered(checks[checks["kind"] == "core"])
meets_threshold = bool(core_share >= threshold)
### BEGIN PROMPT
meets_threshold = ...  # {{true_or_false}}
### END
check_exercise_7_3(meets_threshold)

# %% [markdown]
# {{staff}}

# %%
fim = ik.score_instrument(ik.responses_from_long(mosebjerg.table("survey_responses"), "fim"),
                          "fim")
teaching.compare_waves(fim, "feasibility")[
    ["mean_first", "mean_last", "n_paired", "change", "ci_low", "ci_high"]]

# %% [markdown]
# {{ex7_4}}

# %% [markdown] tags=["answer"]
# {{ex7_4_model}}

# %% tags=["solution"]
teaching.example_memo("904", lang=lang, as_of=AS_OF)

# %% [markdown]
# {{key_points}}
