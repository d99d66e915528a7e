"""Accounts: how people prove who they are. API tokens that expire and can be revoked, the second factor
(TOTP) that binding acts ask for, and password change. Who may do what is decided in likeness.access."""
