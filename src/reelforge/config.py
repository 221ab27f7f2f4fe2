"""Settings: every knob has a safe default; read from REELFORGE_* env vars and an optional .env."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that must never run in production (copied from examples, docs or tests).
_WEAK_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "reelforge", "test"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELFORGE_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./data")
    database_url: str = ""  # default: sqlite:///<data_dir>/reelforge.db
    secret_key: str = ""  # default: generated into <data_dir>/secret.key
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    base_url: str = ""  # public URL used in e-mails; default http://host:port
    log_level: str = "INFO"
    log_json: bool = False
    admin_email: str = "admin@example.com"  # the first admin, created on first start

    # Database tuning
    sqlite_busy_timeout_ms: int = Field(default=15000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)

    # Jobs
    broker_url: str = ""  # redis://... switches to distributed mode (Dramatiq)
    workers: int = Field(default=1, ge=0, le=64)  # embedded render workers in `serve`

    # Mail
    smtp_url: str = ""  # smtp://user:pass@host:587 (STARTTLS) or smtps://... ; empty: write .eml to outbox
    mail_from: str = "reelforge <no-reply@reelforge.local>"

    # Media tools
    ffmpeg: str = ""  # path to an ffmpeg binary; default: the imageio-ffmpeg wheel's

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'reelforge.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def public_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def ensure_data_dir(self) -> Path:
        """Create the data folder (0700) if missing and return its absolute path."""
        path = self.data_dir.resolve()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
        return path

    def effective_secret_key(self) -> str:
        """The configured secret, or one generated once into data/secret.key (0600)."""
        if self.secret_key:
            if self.env == "production" and (
                self.secret_key.strip().lower() in _WEAK_SECRETS or len(self.secret_key) < 32
            ):
                raise ValueError(
                    "REELFORGE_SECRET_KEY is a default or too short (< 32 chars); refusing to start in production"
                )
            return self.secret_key
        key_file = self.ensure_data_dir() / "secret.key"
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        os.chmod(key_file, 0o600)
        return key_file.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
