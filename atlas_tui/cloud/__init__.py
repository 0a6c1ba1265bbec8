"""Talks to CloudStack. Never imports textual, ui/ or sim/."""
