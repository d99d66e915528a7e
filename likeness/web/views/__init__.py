"""Pages. One module per kind of user work: home (sign-in and role home pages), consent (reps and legal),
jobs (VFX staff), audit (verification, outputs, audit log, reports). Views stay thin: they read through the
selectors and write through the services, the same ones the API uses."""
