"""Reading performers. Who may see which performer is decided in likeness.access.scope."""
