"""The TR2000 fixture API server (owned with tap-tr2000)."""
