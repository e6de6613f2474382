"""pytest fixtures for the TR2000 fixture API server."""
