"""The lesson sources in ``source/`` are jupytext files with {{key}} placeholders, not
modules: pytest must not import them. The notebooks made from them are run by nbval."""

collect_ignore = ["source"]
