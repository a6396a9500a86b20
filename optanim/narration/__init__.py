"""Narration: scripts, voices and speech timing for the lectures."""
