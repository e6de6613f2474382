from target_oracle_staging.target import TargetOracleStaging

TargetOracleStaging.cli()
