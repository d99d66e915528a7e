"""Reports built from the records for people to read or download (no writes, no HTTP)."""
