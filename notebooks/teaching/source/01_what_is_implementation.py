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
from implementere_kit.teaching import check_exercise_1_1, check_exercise_1_2, check_exercise_1_3

teaching.setup(lang)

# %% [markdown]
# {{terms}}

# %% [markdown]
# {{model}}

# %%
fw = ik.load_framework("implementere")
fw.phases_frame(lang)[["phase", "label", "description"]]

# %% [markdown]
# {{nine}}

# %%
fw.core_elements_frame(lang)[["core_element", "phase", "label"]]

# %% [markdown]
# {{in_phase}}

# %%
fw.core_elements_in("forberede")

# %% [markdown]
# {{ex1_1}}

# %%
### BEGIN SOLUTION
planning = fw.core_elements_in("planlegge")
### BEGIN PROMPT
planning = ...  # {{your_answer}}
### END
check_exercise_1_1(planning)

# %% [markdown]
# {{checklists}}

# %%
teaching.checklist("ke3", lang=lang)

# %% [markdown]
# {{others}}

# %%
teaching.compare_frameworks(lang=lang)

# %% [markdown]
# {{crosswalk_caveat}}

# %% [markdown]
# {{ex1_2}}

# %%
answers = {
    "a": "forberede",  # {{done_for_you}}
### BEGIN SOLUTION
    "b": "planlegge",
    "c": "implementere",
    "d": "viderefore",
### BEGIN PROMPT
    "b": ...,
    "c": ...,
    "d": ...,
### END
}
check_exercise_1_2(answers)

# %%
teaching.place_situations(answers, lang=lang)

# %% [markdown]
# {{why_fail}}

# %%
teaching.framework_parts("nirn", "drivers", lang=lang)[["group", "id", "label"]]

# %%
teaching.framework_parts("epis", "domains", lang=lang)[["id", "label", "description"]]

# %% [markdown]
# {{ex1_3}}

# %%
### BEGIN SOLUTION
missing_driver = "coaching"
planned_in = 3
### BEGIN PROMPT
missing_driver = ...  # {{driver_id}}
planned_in = ...  # {{element_number}}
### END
check_exercise_1_3(missing_driver, planned_in)

# %% [markdown]
# {{ex1_4}}

# %% [markdown] tags=["answer"]
# {{ex1_4_model}}

# %% [markdown]
# {{key_points}}
