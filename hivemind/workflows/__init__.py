"""Lifecycle workflows: each CLI command calls exactly one of these."""
