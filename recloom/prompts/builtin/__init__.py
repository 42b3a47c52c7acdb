"""Built-in tasks. Every module here exposes ``TASKS`` (a list of ``Task``); the default registry
imports them all on first use. Keep module-level imports light (no torch, no backends)."""
