"""tap-molo-s3: the MOLO export tap (table specs and archive naming defaults only)."""
