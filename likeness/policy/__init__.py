"""The likeness gate: a pure rule engine (no I/O) and the services that feed it facts and keep its Decisions."""
