"""Singer tap for Equinor's TR2000 piping-specification API."""
