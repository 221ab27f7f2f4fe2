"""Settings: every knob has a safe default; read from REELFORGE_* env vars and an optional .env."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> list[Network]:
    """`"10.0.0.5, 192.168.0.0/16"` -> networks; raises ValueError naming a bad entry."""
    out: list[Network] = []
    for item in raw.replace(";", ",").replace(" ", ",").split(","):
        if item.strip():
            try:
                out.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"REELFORGE_TRUSTED_PROXIES: {item.strip()!r} is not an IP address or network"
                ) from None
    return out


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
    admin_starting_credits: int = Field(default=10000, ge=0, le=1_000_000)  # granted to that first admin

    # Database tuning
    sqlite_busy_timeout_ms: int = Field(default=15000, ge=0)
    db_pool_size: int = Field(default=10, ge=1, le=200)  # also the number of requests served at once
    http_queue_wait_seconds: float = Field(default=15.0, gt=0, le=300)  # beyond: 503 + Retry-After
    http_max_waiting: int = Field(default=2000, ge=1, le=100_000)  # queued requests beyond: 503 at once

    # Jobs
    broker_url: str = ""  # redis://... switches to distributed mode (Dramatiq)
    workers: int = Field(default=1, ge=0, le=64)  # embedded render workers in `serve`
    broker_namespace: str = "reelforge"  # Redis key prefix of the Dramatiq queues
    job_lease_seconds: float = Field(default=30.0, gt=0)  # a worker silent this long loses its job
    job_max_attempts: int = Field(default=3, ge=1)  # claims (crash recoveries) before a job fails
    job_step_retries: int = Field(default=3, ge=0)  # retries of a step raising TransientError
    job_retry_backoff_seconds: float = Field(default=2.0, ge=0)  # first backoff; doubles each retry
    job_poll_seconds: float = Field(default=1.0, gt=0)  # embedded pool: look for work this often
    job_max_active_per_user: int = Field(default=3, ge=1)  # pending+processing per user, else 429
    job_queue_cap: int = Field(default=500, ge=1)  # pending jobs across all users, else 429
    job_retry_charges: bool = True  # retrying a failed paid job charges again
    job_sse_poll_seconds: float = Field(default=0.5, gt=0)  # SSE: database poll interval
    # SSE with Redis: progress is pushed, the database is re-read every max(this, job_sse_poll_seconds)
    job_sse_live_poll_seconds: float = Field(default=3.0, gt=0, le=60)
    sse_max_streams: int = Field(default=1000, ge=1, le=100_000)  # open SSE streams per API process; beyond: 503
    worker_health_port: int = Field(default=0, ge=0, le=65535)  # `reelforge worker`: /healthz + /metrics; 0 = off
    worker_health_host: str = "0.0.0.0"  # noqa: S104 - an orchestrator probes the worker from outside

    # Metrics (GET /metrics, Prometheus text format)
    metrics_token: str = ""  # Bearer token a scraper must send; empty: loopback only (or 404)
    metrics_loopback: bool = True  # without a token, answer scrapes from 127.0.0.1/::1 that no proxy forwarded

    # Mail
    smtp_url: str = ""  # smtp://user:pass@host:587 (STARTTLS) or smtps://... ; empty: write .eml to outbox
    mail_from: str = "reelforge <no-reply@reelforge.local>"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    # Accounts and UI
    timezone: str = "Asia/Seoul"  # dates and times on pages are shown in this zone
    login_max_failures: int = Field(default=5, ge=1, le=100)  # per account+IP in login_window_seconds
    login_window_seconds: int = Field(default=60, ge=1, le=3600)
    # Per account, whatever the IP: past this many failures in the window the account is locked
    # (429) until the window passes, and its owner gets a notice e-mail.
    login_account_max_failures: int = Field(default=20, ge=1, le=10_000)
    login_account_window_seconds: int = Field(default=900, ge=1, le=86_400)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: IPs or CIDRs, comma-separated.
    # Empty (the default): forwarded headers are ignored and the client is the TCP peer.
    trusted_proxies: str = ""
    session_purge_minutes: int = Field(default=15, ge=1, le=1440)  # purge expired sessions at most this often
    smtp_ca_file: str = ""  # extra CA bundle to trust for the SMTP server (self-signed relays)

    # Media tools
    ffmpeg: str = ""  # path to an ffmpeg binary; default: the imageio-ffmpeg wheel's
    ffmpeg_threads: int = Field(default=0, ge=0, le=64)  # x264 threads per render; 0 = ffmpeg decides

    # Render providers (offline by default: a fresh install renders with no keys and no network)
    image_provider: Literal["offline", "openai"] = "offline"
    image_base_url: str = ""  # OpenAI-compatible /v1 base; empty: the SDK's default
    image_api_key: str = ""
    image_model: str = ""  # required for image_provider=openai (hosted models retire; no default)
    image_size: str = "auto"  # sent as `size`; "auto" picks 1024x1536 / 1536x1024 / 1024x1024 by frame
    tts_provider: Literal["offline", "openai", "azure"] = "offline"
    tts_base_url: str = ""  # OpenAI-compatible /v1 base for /audio/speech
    tts_api_key: str = ""
    tts_model: str = ""  # required for tts_provider=openai
    tts_voice: str = ""  # default voice for tts_provider=openai
    azure_speech_key: str = ""
    azure_speech_region: str = ""  # e.g. koreacentral
    azure_speech_endpoint: str = ""  # overrides https://{region}.tts.speech.microsoft.com
    video_provider: Literal["offline", "openai"] = "offline"  # sora2 clips
    video_base_url: str = ""  # any endpoint with the OpenAI Videos API shape
    video_api_key: str = ""
    video_model: str = ""  # required for video_provider=openai
    video_poll_timeout_seconds: float = Field(default=900.0, gt=0)
    provider_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    provider_max_retries: int = Field(default=2, ge=0, le=10)
    media_root: str = ""  # local media store folder; default <data_dir>/media

    # Media store: "local" (one folder; one machine or a shared mount) or "s3" (any S3-compatible bucket)
    media_backend: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_prefix: str = ""  # e.g. "reelforge/" to share a bucket
    s3_endpoint_url: str = ""  # empty = AWS; MinIO/R2/GCS: their endpoint
    s3_public_endpoint_url: str = ""  # the endpoint browsers reach, when it differs (presigned URLs)
    s3_region: str = ""
    s3_path_style: bool = False  # MinIO and most self-hosted servers want path-style addressing
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    media_url_seconds: int = Field(default=900, ge=30, le=7 * 24 * 3600)  # presigned URL lifetime
    # Step outputs copied to the media store so another worker can resume a job (auto: when S3).
    job_checkpoints: Literal["auto", "on", "off"] = "auto"
    media_serve: Literal["redirect", "stream"] = "redirect"  # S3: send browsers to the bucket, or stream

    # YouTube (OAuth client of the operator's Google Cloud project; endpoints overridable for dev mode)
    youtube_client_id: str = ""
    youtube_client_secret: str = ""
    youtube_client_secrets_file: str = ""  # a Google "web" client-secrets JSON instead of id + secret
    youtube_api_base: str = ""  # default https://youtube.googleapis.com (the discovery document's root)
    youtube_auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    youtube_token_uri: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
    youtube_revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    youtube_ca_bundle: str = ""  # extra CA file to trust for the endpoints above (dev fake server only)
    youtube_token_key: str = ""  # Fernet key for OAuth tokens; default: derived from the secret key
    youtube_daily_upload_cap: int = Field(default=100, ge=0)  # uploads per quota day for this install
    youtube_quota_timezone: str = "America/Los_Angeles"  # YouTube resets quota at Pacific midnight; or "UTC"
    youtube_upload_chunk_kib: int = Field(default=8192, ge=256, multiple_of=256)

    # Script writing (LLM). Empty key and "auto" provider: the offline writer.
    llm_provider: Literal["auto", "openai", "offline"] = "auto"
    llm_base_url: str = ""  # e.g. http://127.0.0.1:11434/v1 (Ollama); empty: the SDK's default (OpenAI)
    llm_api_key: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    llm_max_retries: int = Field(default=2, ge=0, le=10)  # the SDK's own retries of 429/5xx/timeouts
    llm_json_mode: Literal["json_schema", "json_object", "none"] = "json_object"
    llm_stream: bool = True
    llm_temperature: float = Field(default=0.7, ge=0, le=2)
    script_topic_max_chars: int = Field(default=200, ge=10, le=500)
    script_backups_keep: int = Field(default=10, ge=0, le=1000)  # automatic backups before script runs

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: str) -> str:
        parse_networks(v)  # a bad entry stops start-up with its name
        return v

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @property
    def trusted_proxy_networks(self) -> list[Network]:
        return parse_networks(self.trusted_proxies)

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
