"""Consent grants: versioned, two-party activated, revocable records of what a performer agreed to."""
