"""The platform's signing infrastructure, shared by provenance (C2PA signatures on outputs) and audit (signed
checkpoints of the audit chain): the signing CA and its certificates (pki) and RFC 3161 timestamps (tsa).
It imports no app."""
