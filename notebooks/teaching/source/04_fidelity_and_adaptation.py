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
from implementere_kit.teaching import (
    check_exercise_4_1,
    check_exercise_4_2,
    check_exercise_4_3,
    check_exercise_4_4,
)

teaching.setup(lang)

# %% [markdown]
# {{fidelity_intro}}

# %%
keep = ik.load_intervention("keep")
keep.components_frame()[["id", "name", "kind"]]

# %% [markdown]
# {{dose}}

# %%
havnstrup = teaching.example_site("903")
rule = havnstrup.intervention.dosage
rule.sessions, rule.min_attendance, rule.sessions_to_graduate

# %%
summary = ik.attendance_summary(havnstrup.table("attendance"), rule,
                                havnstrup.table("participants"))
summary[["participant_id", "n_attended", "n_makeup", "graduated", "dropped_out"]].head(8)

# %% [markdown]
# {{counting}}

# %%
summary["graduated"].sum(), summary["graduated"].mean()

# %% [markdown]
# {{makeups}}

# %%
effect = teaching.makeup_effect(havnstrup.table("attendance"), rule,
                                havnstrup.table("participants"))
effect[["participant_id", "n_attended", "n_attended_without_makeups", "graduated_by_makeups"]].head(8)

# %% [markdown]
# {{ex4_1}}

# %%
mosebjerg = teaching.example_site("904")
mosebjerg_effect = teaching.makeup_effect(mosebjerg.table("attendance"),
                                          mosebjerg.intervention.dosage,
                                          mosebjerg.table("participants"))
### BEGIN SOLUTION
n_thanks_to_makeups = mosebjerg_effect["graduated_by_makeups"].sum()
### BEGIN PROMPT
n_thanks_to_makeups = ...  # {{your_answer}}
### END
check_exercise_4_1(n_thanks_to_makeups)

# %% [markdown]
# {{adherence}}

# %%
checks = teaching.checks_with_kind(havnstrup)
checks[["check_id", "component", "kind", "delivered"]].head()

# %%
checks["delivered"].value_counts()

# %%
teaching.share_delivered(checks)

# %%
ik.adherence(checks, keep.fidelity_threshold, intervention=keep)[
    ["component", "kind", "adherence", "n_items", "meets_threshold"]]

# %% [markdown]
# {{filter}}

# %%
not_delivered = checks[checks["delivered"] == "no"]
not_delivered[["check_id", "component", "kind", "delivered"]].head()

# %% [markdown]
# {{ex4_2}}

# %%
bogely = teaching.example_site("902")
bogely_checks = teaching.checks_with_kind(bogely)
### BEGIN SOLUTION
core_checks = bogely_checks[bogely_checks["kind"] == "core"]
bogely_core = teaching.share_delivered(core_checks)
### BEGIN PROMPT
bogely_core = ...  # {{your_answer}}
### END
check_exercise_4_2(bogely_core)

# %% [markdown]
# {{why_core}}

# %% [markdown]
# {{adaptation_intro}}

# %% [markdown]
# {{ex4_3}}

# %%
my_view = {
### BEGIN SOLUTION
    "a": "flexible",
    "b": "core",
    "c": "flexible",
    "d": "core",
    "e": "core",
### BEGIN PROMPT
    "a": ...,
    "b": ...,
    "c": ...,
    "d": ...,
    "e": ...,
### END
}
check_exercise_4_3(my_view)

# %%
teaching.compare_with_owner(my_view, keep, lang=lang)

# %% [markdown]
# {{frame_intro}}

# %% [markdown]
# {{ex4_4}}

# %%
planned = {
### BEGIN SOLUTION
    "e1": "planned",
    "e2": "unplanned",
    "e3": "planned",
    "e4": "unplanned",
### BEGIN PROMPT
    "e1": ...,
    "e2": ...,
    "e3": ...,
    "e4": ...,
### END
}
consistent = {
### BEGIN SOLUTION
    "e1": True,
    "e2": False,
    "e3": False,
    "e4": True,
### BEGIN PROMPT
    "e1": ...,
    "e2": ...,
    "e3": ...,
    "e4": ...,
### END
}
check_exercise_4_4(planned, consistent)

# %%
teaching.frame_log(planned, consistent, lang=lang)

# %% [markdown]
# {{log_it}}

# %%
logged = keep.with_adaptation("2024-02-01", "refreshments", "{{e1_change}}", "{{e1_reason}}",
                              decided_by="{{e1_who}}")
logged.adaptations_frame()

# %% [markdown]
# {{ex4_5}}

# %% [markdown] tags=["answer"]
# {{ex4_5_model}}

# %% [markdown]
# {{key_points}}
