"""Genuine cards: key hierarchy, card layout, card lists (issue 5)."""
