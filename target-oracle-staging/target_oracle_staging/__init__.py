"""target-oracle-staging: Singer target for Oracle staging tables."""

from __future__ import annotations

import typing as t

__all__ = ["TargetOracleStaging"]

if t.TYPE_CHECKING:
    from target_oracle_staging.target import TargetOracleStaging


def __getattr__(name: str) -> t.Any:
    # Lazy: the ops commands and the Oracle model import this package without singer-sdk's
    # start-up cost.
    if name == "TargetOracleStaging":
        from target_oracle_staging.target import TargetOracleStaging

        return TargetOracleStaging
    raise AttributeError(name)
