"""Prompt templates, one file per graph node (`<node>.md`); data, no code."""
