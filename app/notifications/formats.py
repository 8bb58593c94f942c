"""The three channel formats, and their signatures. Pure: the time and the secrets are arguments.

* 企业微信 / 政务微信 group robot: ``{"msgtype": "markdown", "markdown": {"content": …}}``, at most 4,096
  bytes of UTF-8 (the robot refuses longer content), posted to ``{base}/cgi-bin/webhook/send?key=…``.
* 钉钉 group robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a secret, the URL carries
  ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded.
* Webhook: a JSON event ``{"type", "timestamp", "data"}`` signed per Standard Webhooks (``webhook-id``,
  ``webhook-timestamp``, ``webhook-signature``), with the specification's reference library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from standardwebhooks import Webhook

from app.models import ChannelKind

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 20000
ELLIPSIS = "\n…"


@dataclass(frozen=True)
class Notice:
    """One message, before it is shaped for a channel. Holds no full ID number or phone, and party names
    only in 王某 form (the producers see to it; tests check every payload)."""

    event: str  # e.g. case.breached, digest.daily, urge.created, case.confirmation_requested, channel.test
    title: str
    markdown: str
    data: dict[str, Any] = field(default_factory=dict)


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut at a line (or character) boundary so that its UTF-8 fits in ``limit`` bytes."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = raw[:room].decode("utf-8", errors="ignore")
    line_end = cut.rfind("\n")
    if line_end > room // 2:
        cut = cut[:line_end]
    return cut + ELLIPSIS


def render(kind: str, notice: Notice, occurred_at: datetime) -> dict[str, Any]:
    """The body to POST to a channel of ``kind``."""
    if kind == ChannelKind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": fit_bytes(notice.markdown, WECOM_MAX_BYTES)}}
    if kind == ChannelKind.DINGTALK:
        text = fit_bytes(notice.markdown, DINGTALK_MAX_BYTES)
        return {"msgtype": "markdown", "markdown": {"title": notice.title, "text": text}}
    return {"type": notice.event, "timestamp": occurred_at.isoformat(), "data": notice.data}


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_url(url: str, secret: str | None, now: datetime) -> str:
    if not secret:
        return url
    timestamp_ms = int(now.timestamp() * 1000)
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


def webhook_headers(secret: str, message_id: str, now: datetime, body: bytes) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def valid_webhook_secret(secret: str) -> bool:
    try:
        Webhook(secret)
    except Exception:  # the library raises several types for a bad secret
        return False
    return True
