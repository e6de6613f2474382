"""Alert delivery: e-mail over SMTP and a generic JSON webhook. Secrets never reach a log."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import smtplib
import ssl
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage

from target_oracle_staging.ops.ledger import Row
from target_oracle_staging.ops.settings import SettingsError, as_list, as_number

PAYLOAD_FIELDS = (
    "alert_id", "rule_name", "rule_kind", "severity", "run_id", "source_name", "stream_name",
    "table_name", "metric", "metric_value", "threshold_value", "message", "raised_at",
)  # fmt: skip
SECURITY = ("starttls", "ssl", "none")


class DeliveryError(RuntimeError):
    """A channel could not deliver; the text is redacted and names the channel and address."""


def alert_payload(alert: Row) -> dict[str, t.Any]:
    """The JSON form of one ETL_ALERTS row (webhook body, e-mail attachment)."""
    out: dict[str, t.Any] = {}
    for name in PAYLOAD_FIELDS:
        value = alert.get(name)
        if isinstance(value, decimal.Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, dt.datetime):
            value = value.isoformat(timespec="seconds") + "Z"
        out[name] = value
    return out


def summary_text(alerts: list[Row]) -> str:
    lines = [f"{len(alerts)} ETL alert(s) from the staging ledger:", ""]
    for a in alerts:
        p = alert_payload(a)
        where = p["stream_name"] or p["source_name"] or ""
        lines.append(
            f"[{p['severity'].upper()}] {p['rule_name']} {where}: {p['metric']} = "
            f"{p['metric_value']} (threshold {p['threshold_value']}), run {p['run_id']}"
        )
        lines.append(f"    {p['message']}")
    return "\n".join(lines) + "\n"


@dataclass
class EmailChannel:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    recipients: list[str]
    timeout: float
    ca_file: str | None = None  # CA bundle for a server certificate from an internal CA

    @classmethod
    def from_settings(cls, settings: t.Mapping[str, t.Any]) -> EmailChannel | None:
        if not settings.get("smtp_host"):
            return None
        security = str(settings.get("smtp_security") or "starttls").lower()
        if security not in SECURITY:
            msg = f"setting smtp_security must be one of {', '.join(SECURITY)}, got {security!r}"
            raise SettingsError(msg)
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        sender = settings.get("smtp_from") or settings.get("smtp_user")
        if not sender:
            msg = "setting smtp_from (the sender address) is required with smtp_host"
            raise SettingsError(msg)
        return cls(
            host=str(settings["smtp_host"]),
            port=int(as_number(settings, "smtp_port", default_port)),
            security=security,
            user=settings.get("smtp_user") or None,
            password=settings.get("smtp_password") or None,
            sender=str(sender),
            recipients=as_list(settings.get("email_to")),
            timeout=as_number(settings, "smtp_timeout", 30),
            ca_file=settings.get("smtp_ca_file") or None,
        )

    def recipients_for(self, alert: Row, notify: t.Mapping[str, tuple[str, ...]]) -> list[str]:
        return sorted({*self.recipients, *notify.get(alert["rule_name"], ())})

    def send(self, alerts: list[Row], notify: t.Mapping[str, tuple[str, ...]]) -> dict[str, str]:
        """One message per recipient with that recipient's alerts; returns errors by alert id."""
        by_recipient: dict[str, list[Row]] = defaultdict(list)
        for alert in alerts:
            for rcpt in self.recipients_for(alert, notify):
                by_recipient[rcpt].append(alert)
        errors: dict[str, str] = {}
        if not by_recipient:
            for alert in alerts:
                errors[alert["alert_id"]] = "no recipient: set email_to or the rule's notify"
            return errors
        for rcpt, items in sorted(by_recipient.items()):
            try:
                self._send_one(rcpt, items)
            except (OSError, smtplib.SMTPException) as exc:
                reason = (
                    f"e-mail to {rcpt} via {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                )
                for alert in items:
                    errors[alert["alert_id"]] = reason
        return errors

    def _send_one(self, rcpt: str, alerts: list[Row]) -> None:
        message = EmailMessage()
        rules = sorted({a["rule_name"] for a in alerts})
        message["Subject"] = f"[ETL alert] {len(alerts)} breach(es): {', '.join(rules)}"[:200]
        message["From"] = self.sender
        message["To"] = rcpt
        message.set_content(summary_text(alerts))
        body = json.dumps({"alerts": [alert_payload(a) for a in alerts]}, indent=2)
        message.add_attachment(
            body.encode("utf-8"), maintype="application", subtype="json", filename="alerts.json"
        )
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.user and self.password:
                client.login(self.user, self.password)
            client.send_message(message)


@dataclass
class WebhookChannel:
    url: str
    token: str | None
    timeout: float

    @classmethod
    def from_settings(cls, settings: t.Mapping[str, t.Any]) -> WebhookChannel | None:
        url = settings.get("webhook_url")
        if not url:
            return None
        if urllib.parse.urlsplit(str(url)).scheme not in ("http", "https"):
            msg = "setting webhook_url must be an http:// or https:// URL"
            raise SettingsError(msg)
        return cls(
            str(url),
            settings.get("webhook_token") or None,
            as_number(settings, "webhook_timeout", 30),
        )

    @property
    def shown(self) -> str:
        """Scheme and host only: chat webhook URLs carry their secret in the path."""
        parts = urllib.parse.urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"

    def send(self, alerts: list[Row]) -> None:
        body = {
            "text": summary_text(alerts),  # what Slack/Teams/Mattermost incoming webhooks show
            "count": len(alerts),
            "alerts": [alert_payload(a) for a in alerts],
        }
        headers = {"Content-Type": "application/json", "User-Agent": "target-oracle-staging-alerts"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in from_settings
            self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            msg = f"webhook {self.shown}: HTTP {exc.code} {exc.reason}"
            raise DeliveryError(msg) from None
        except (OSError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            msg = f"webhook {self.shown}: {reason}"
            raise DeliveryError(msg) from None
