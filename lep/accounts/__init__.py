"""Accounts: people who sign in, their roles, signed email links and personal API tokens."""
