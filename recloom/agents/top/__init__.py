"""ToP agents (placeholder docstring, replaced below)."""
