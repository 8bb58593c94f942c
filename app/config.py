"""Service settings, read from the environment (prefix ``JIEFEN_``) and an optional ``.env`` file.

Secrets: in development the encryption and blind-index keys are generated once into ``var/keys.json``;
with ``JIEFEN_ENV=production`` the service refuses to start without them (a lost key means lost data).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.pii.crypto import generate_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JIEFEN_VAR_DIR", PROJECT_ROOT / "var"))


class ConfigurationError(RuntimeError):
    """The service cannot start with the given settings."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    database_url: str = Field(default_factory=lambda: f"sqlite+aiosqlite:///{VAR_DIR / 'jiefen.db'}")
    # urlsafe base64 of 32 random bytes each; see `jiefen keys generate`.
    encryption_key: str | None = None
    encryption_key_id: str = "k1"
    # Old keys still needed to read data written before a rotation: {"k0": "<b64>"}.
    encryption_old_keys: dict[str, str] = Field(default_factory=dict)
    blind_index_key: str | None = None
    token_ttl_minutes: int = 12 * 60
    log_level: str = "INFO"
    city_reference_prefix: str = "LY"
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 30
    login_window_minutes: int = 15
    idempotency_retention_days: int = 7
    # PIPL 最小必要: how many contact reveals one person may make in an hour (app.contact).
    contact_reveals_per_hour: int = Field(default=30, ge=1)
    sla_sweep_interval_seconds: int = 60
    sla_sweep_enabled: bool = True
    purge_interval_seconds: int = 3600  # expired Idempotency-Keys and tokens (app.housekeeping); 0: never
    api_key_rotation_overlap_hours: int = 24
    db_pool_size: int = 20  # PostgreSQL connections per process; no overflow (see app.db.make_engine)
    db_pool_timeout_seconds: float = 10.0  # a request waits this long for a connection, then gets 503
    # Proxies whose X-Forwarded-For/-Proto are believed (comma-separated IPs, or "*"). Behind a TLS proxy this
    # gives the login throttle the client's address (not the proxy's) and the session cookie its Secure flag.
    forwarded_allow_ips: str = "127.0.0.1"
    # /docs and /openapi.json: on unless JIEFEN_ENV=production; this setting overrides either way.
    api_docs: bool | None = None
    # /metrics answers only `Authorization: Bearer <this>`; unset, /metrics is 404 (app.metrics.exposition).
    metrics_token: str | None = None
    # Largest request body accepted (413 beyond it, before parsing). A case with many parties is a few KB;
    # the rule set, the largest body, stays far below this too.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_keys(self) -> Settings:
        """Fill missing keys: from ``var/keys.json`` in development, or refuse in production."""
        if self.encryption_key and self.blind_index_key:
            return self
        if self.env == "production":
            raise ConfigurationError(
                "JIEFEN_ENCRYPTION_KEY and JIEFEN_BLIND_INDEX_KEY must be set in production "
                "(generate them with `jiefen keys generate`)"
            )
        keys = _development_keys(VAR_DIR / "keys.json")
        return self.model_copy(
            update={
                "encryption_key": self.encryption_key or keys["encryption_key"],
                "blind_index_key": self.blind_index_key or keys["blind_index_key"],
            }
        )


def _development_keys(path: Path) -> dict[str, str]:
    if path.exists():
        return dict(json.loads(path.read_text()))
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {"encryption_key": generate_key(), "blind_index_key": generate_key()}
    # Written once, readable by the owner only: these keys unlock every stored ID number and phone.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keys, f)
    return keys


@lru_cache
def get_settings() -> Settings:
    return Settings().with_keys()
