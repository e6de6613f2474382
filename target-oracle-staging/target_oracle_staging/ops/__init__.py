"""Operations on the ETL ledger: run report, alert rules and delivery, run rollback.

Reads the ledger through SQLAlchemy reflection, so it works on DuckDB, PostgreSQL and Oracle and
copes with ledgers written by older target versions (missing columns read as NULL).
"""
