"""Reads of fulfilment: what the stations, boards and reports show."""

from __future__ import annotations

# --- warehouse: batches, picking, checking, shipping ------------------------------------------------------------------


# --- set-up: carriers, price rules, pools, coverage, the dispatch plan -----------------------------------------------


# --- logistics: tracking, exceptions, missing items, courier bills ---------------------------------------------------
