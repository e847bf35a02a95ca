"""Persons: the single view of a national person (its summary, timeline and associations)."""
