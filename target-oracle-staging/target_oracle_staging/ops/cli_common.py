"""What the three commands share: settings flags, logging, one-line errors."""

from __future__ import annotations

import argparse
import logging
import sys
import typing as t

from target_oracle_staging.ops.db import DatabaseError
from target_oracle_staging.ops.ledger import LedgerMissingError
from target_oracle_staging.ops.rules import RulesError
from target_oracle_staging.ops.settings import SettingsError

EXPECTED_ERRORS: tuple[type[Exception], ...] = (
    DatabaseError,
    LedgerMissingError,
    RulesError,
    SettingsError,
)
logger = logging.getLogger("target_oracle_staging.ops")


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument(
        "--config",
        help="JSON settings file (the target's config works: sqlalchemy_url, database_path, "
        "user/password/dsn, default_target_schema); ETL_OPS_* and TARGET_ORACLE_STAGING_* "
        "environment variables override it",
    )
    p.add_argument("--schema", dest="default_target_schema", help="schema of the ledger tables")
    p.add_argument("--log-level", default="INFO", help="DEBUG shows tracebacks")
    return p


def run_main(
    args: argparse.Namespace,
    body: t.Callable[[], int],
    expected: tuple[type[Exception], ...] = (),
) -> int:
    """Run a command: expected failures end in one line on stderr, tracebacks only at DEBUG."""
    logging.basicConfig(
        level=str(args.log_level).upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return body()
    except (*EXPECTED_ERRORS, *expected) as exc:
        logger.debug("details", exc_info=True)
        print(f"{parser_name(args)}: error: {exc}", file=sys.stderr)
        return 1


def parser_name(args: argparse.Namespace) -> str:
    return getattr(args, "prog", "target-oracle-staging")
