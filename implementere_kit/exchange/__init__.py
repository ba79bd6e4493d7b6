"""Exchange of data across municipalities: packages, privacy guard, readers, network store."""
