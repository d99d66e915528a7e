"""Small helpers shared by every app (no models, no app imports)."""
