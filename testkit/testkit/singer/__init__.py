"""Generated Singer inputs for targets."""
