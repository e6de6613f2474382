"""target-oracle-staging: Singer target for Oracle staging tables."""

from target_oracle_staging.target import TargetOracleStaging

__all__ = ["TargetOracleStaging"]
