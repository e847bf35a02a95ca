"""Matching's shared types: the verdict of a human judgement on a pair of records."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """A person's judgement on two records: the same person, not the same, or unsure.

    A str: each compares equal to its value, which is what the judgements table holds."""

    SAME = "same"
    NOT_SAME = "not-same"
    UNSURE = "unsure"
