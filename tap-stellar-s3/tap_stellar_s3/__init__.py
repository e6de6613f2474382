"""tap-stellar-s3: the Stellar export tap (table specs and archive naming defaults only)."""
