"""Performers, who represents them, and the reference footage of them."""
