"""The day the example network is "as of" (private; shared by its generators)."""

import pandas as pd

#: The day the example data is "as of": nothing in it happens later.
AS_OF = pd.Timestamp("2026-06-30")
