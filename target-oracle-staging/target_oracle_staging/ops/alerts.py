"""`target-oracle-staging-alerts`: evaluate the rules, record breaches in ETL_ALERTS, deliver."""

from __future__ import annotations

import logging
import sys
import typing as t
from dataclasses import dataclass, field

from target_oracle_staging.ops.alert_store import FAILED, NOT_CONFIGURED, SENT, AlertStore
from target_oracle_staging.ops.cli_common import parser, run_main
from target_oracle_staging.ops.db import open_database, redactor_for
from target_oracle_staging.ops.delivery import DeliveryError, EmailChannel, WebhookChannel
from target_oracle_staging.ops.evaluate import Evaluator
from target_oracle_staging.ops.ledger import LedgerReader
from target_oracle_staging.ops.rules import load_rules
from target_oracle_staging.ops.settings import as_number, load_settings

logger = logging.getLogger("target_oracle_staging.ops.alerts")
DEFAULT_LOOKBACK_HOURS = 168.0
PROG = "target-oracle-staging-alerts"


@dataclass
class AlertsResult:
    breaches: int = 0
    new_alerts: list[str] = field(default_factory=list)
    delivered: int = 0
    delivery_failures: int = 0


def run_alerts(settings: t.Mapping[str, t.Any], run_ids: t.Sequence[str] = ()) -> AlertsResult:
    rules = load_rules(settings.get("rules_file"))
    email = EmailChannel.from_settings(settings)
    webhook = WebhookChannel.from_settings(settings)
    redact = redactor_for(settings)
    database = open_database(settings)
    try:
        reader = LedgerReader(database)
        evaluator = Evaluator(reader)
        lookback = as_number(settings, "lookback_hours", DEFAULT_LOOKBACK_HOURS)
        breaches = evaluator.evaluate(rules, lookback, run_ids)
        store = AlertStore(reader)
        result = AlertsResult(breaches=len(breaches), new_alerts=store.record(breaches))
        for breach in breaches:
            if breach.alert_id in result.new_alerts:
                log = logger.error if breach.rule.severity == "error" else logger.warning
                log("ALERT %s: %s", breach.rule.name, breach.message)
        notify = {r.name: r.notify for r in rules}
        _deliver(store, email, webhook, notify, redact, result)
    finally:
        database.dispose()
    logger.info(
        "%d rule(s) evaluated: %d breach(es), %d new alert(s) in ETL_ALERTS, %d delivered, "
        "%d delivery failure(s)",
        len(rules),
        result.breaches,
        len(result.new_alerts),
        result.delivered,
        result.delivery_failures,
    )
    return result


def _deliver(store, email, webhook, notify, redact, result: AlertsResult) -> None:
    pending = store.pending()
    if not pending:
        return
    email_errors: dict[str, str] = {}
    if email is not None:
        todo = [a for a in pending if a["email_status"] in (None, FAILED)]
        email_errors = email.send(todo, notify) if todo else {}
    webhook_error: str | None = None
    webhook_todo = [a for a in pending if a["webhook_status"] in (None, FAILED)]
    if webhook is not None and webhook_todo:
        try:
            webhook.send(webhook_todo)
        except DeliveryError as exc:
            webhook_error = str(exc)
    for alert in pending:
        errors = []
        email_status = webhook_status = None
        if alert["email_status"] in (None, FAILED):
            email_status = NOT_CONFIGURED if email is None else SENT
            if alert["alert_id"] in email_errors:
                email_status = FAILED
                errors.append(email_errors[alert["alert_id"]])
        if alert["webhook_status"] in (None, FAILED):
            webhook_status = NOT_CONFIGURED if webhook is None else SENT
            if webhook_error is not None:
                webhook_status = FAILED
                errors.append(webhook_error)
        text = redact("; ".join(errors)) if errors else None
        store.mark(alert["alert_id"], email_status, webhook_status, text)
        if errors:
            result.delivery_failures += 1
            logger.error("could not deliver alert %s: %s", alert["rule_name"], text)
        elif SENT in (email_status, webhook_status):
            result.delivered += 1


def main(argv: list[str] | None = None) -> int:
    p = parser(PROG, "Evaluate the alert rules against the ledger, record and deliver breaches.")
    p.add_argument("--rules", dest="rules_file", help="YAML rules file (default: shipped rules)")
    p.add_argument("--run-id", action="append", default=[], help="evaluate only this run")
    p.add_argument("--lookback-hours", dest="lookback_hours", help="runs started this recently")
    p.add_argument("--fail-on-breach", action="store_true", help="exit 3 when any rule is breached")
    args = p.parse_args(argv)
    args.prog = PROG

    def body() -> int:
        overrides = {
            k: getattr(args, k) for k in ("default_target_schema", "rules_file", "lookback_hours")
        }
        result = run_alerts(load_settings(args.config, overrides), args.run_id)
        if result.delivery_failures:
            return 2  # the breaches are recorded; the failure must not pass unnoticed
        return 3 if args.fail_on_breach and result.breaches else 0

    return run_main(args, body)


if __name__ == "__main__":
    sys.exit(main())
