"""pytest fixtures for generated MOLO and Stellar exports."""
