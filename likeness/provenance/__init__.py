"""Provenance: the platform's signing CA, C2PA signing of outputs, verification and the output registry."""
