"""Store: project folders (``project.json`` + one Parquet file per table, saved
atomically), the table schemas shared by every reader and writer (``schemas/tables.yaml``),
and readers for the files Nordic municipalities keep."""
