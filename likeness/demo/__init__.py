"""Demo data for `make run`: organisations, one account per role, a performer with active consent."""
