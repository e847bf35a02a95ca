"""The external channels: webhooks signed with HMAC-SHA256, and e-mail over SMTP.

Every delivery carries its idempotency key (``Idempotency-Key`` header; the e-mail's
``Message-ID`` and an ``X-Leds-Idempotency-Key`` header), so a receiver that gets the same
alert twice (delivery is at least once) can drop the repeat.

A webhook receiver checks the signature as::

    expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(f"sha256={expected}", headers["X-Leds-Signature"])

with ``timestamp`` from ``X-Leds-Timestamp`` (reject old ones to stop replays) and
``secret`` the subscription's webhook secret (:func:`webhook_secret`, shown to its owner
when the subscription is made).
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import time
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from leds.config import Settings

TIMEOUT_S = 5.0


class DeliveryFailed(RuntimeError):
    """The receiver did not take the alert (retried with back-off, then dead-lettered)."""


def webhook_secret(settings: Settings, subscription_id: int) -> str:
    """The subscription's signing secret, derived from the service's own key."""
    key = settings.secret("alerts-webhook.key")
    return hmac.new(key, f"subscription:{subscription_id}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(url: str, secret: str, key: str, payload: dict[str, Any], client: httpx.Client | None = None) -> None:
    body = orjson.dumps(payload)
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, "X-Leds-Timestamp": ts,
               "X-Leds-Signature": sign(secret, ts, body)}
    try:
        if client is not None:
            r = client.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
        else:
            r = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook: {type(exc).__name__}: {exc}") from exc
    if not 200 <= r.status_code < 300:
        raise DeliveryFailed(f"webhook answered {r.status_code}")


def send_email(smtp_url: str, to: str, key: str, payload: dict[str, Any]) -> None:
    parts = urlsplit(smtp_url)
    sender = f"{parts.username}@{parts.hostname}" if parts.username and "@" not in parts.username \
        else (parts.username or "leds-alerts@localhost")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject(payload)
    msg["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@leds>"
    msg["X-Leds-Idempotency-Key"] = key
    msg.set_content(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
    try:
        with smtplib.SMTP(parts.hostname or "127.0.0.1", parts.port or 25, timeout=TIMEOUT_S) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"email: {type(exc).__name__}: {exc}") from exc


def subject(payload: dict[str, Any]) -> str:
    alert = payload.get("alert", {})
    if alert.get("kind") == "digest":
        return f"leds: {alert.get('detail', {}).get('folded', 0)} more changes (digest)"
    who = alert.get("person_id") or alert.get("rkey") or "a subject you follow"
    return f"leds: {alert.get('kind', 'alert')} on {who}"
