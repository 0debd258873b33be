"""Writes of the supervisor's side of customer service: quality inspection, the duty roster, the monthly score
sheets (filled in by the team helper)."""

from __future__ import annotations


def score_conversation_day(*, conversation, day) -> None:
    """Compute the quality score of `conversation` on `day` (implemented with quality.py)."""
