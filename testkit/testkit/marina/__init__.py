"""MOLO and Stellar export generators (owned with the S3 taps)."""
