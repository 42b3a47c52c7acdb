"""Column names used everywhere a table of interactions is named (npz keys, CSV loader, reports).

Keeping them as constants means a typo is a NameError, not a silent ``None``.
"""

from __future__ import annotations

USER = "user"
ITEM = "item"
RATING = "rating"
TIMESTAMP = "timestamp"

INTERACTION_COLUMNS: tuple[str, ...] = (USER, ITEM, RATING, TIMESTAMP)
