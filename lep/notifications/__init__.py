"""Notifications: every message to a person. Email goes through a provider chosen by config."""
