"""Render jobs, the process runner, and files written in place."""
