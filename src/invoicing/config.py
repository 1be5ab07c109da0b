"""Runtime settings, read once from the environment (and `.env` if present)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "invoicing.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="sqlite:///path/to/file.db or postgresql://user@host:port/db",
    )
    app_database_url: str | None = Field(
        default=None,
        description="PostgreSQL: how `invoicing serve` logs in, as the role invoicing_app (or a member of it). "
        "Unset: DATABASE_URL, acting as invoicing_app by SET ROLE.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    db_pool_size: int = Field(default=10, ge=1)
    hot_path: bool = Field(
        default=True,
        description="PostgreSQL: answer the hottest routes (one invoice, a page, cancel and revert) through the "
        "database's functions (docs/benchmarks.md, 'The hot path'); off: every request takes the full path.",
    )
    db_pool_timeout_seconds: float = Field(
        default=10, gt=0, description="How long a request waits for a free connection before 503 (Retry-After)."
    )
    access_token_ttl_seconds: int = Field(default=3600, ge=60)
    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=200, ge=1)
    max_lines_per_page: int = Field(
        default=1000,
        ge=1,
        description="Most lines a list page with `expand=lines` carries; the page ends early rather than exceed "
        "it (its first invoice always comes, with all of its lines).",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Ceilings well below orjson's 255 levels, and the size HighLevel reads guard (highlevel.mapping).
    max_json_depth: int = Field(
        default=32, ge=8, le=64, description="How deeply a JSON body may nest objects and arrays (the body is 1)."
    )
    max_free_form_bytes: int = Field(
        default=16_384, ge=1024, le=65_536, description="Serialized size of each free-form JSON field (HighLevel)."
    )
    idempotency_key_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    rate_limit_per_second: float = Field(default=300, ge=0, description="Per credential and worker; 0 turns it off.")
    rate_limit_burst: int = Field(default=600, ge=1)
    auth_failures_per_minute: float = Field(
        default=60, ge=0, description="401 answers a client address may get, per worker; 0 turns the limit off."
    )
    auth_failure_burst: int = Field(default=60, ge=1)
    max_header_bytes: int = Field(default=65_536, ge=4096, description="All request header fields together (431).")
    max_header_count: int = Field(default=100, ge=16)
    max_header_field_bytes: int = Field(default=8192, ge=1024, description="One header field, name and value (431).")
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="Where customers reach the service (e.g. https://invoices.example.com): the start of every "
        "hosted_url. Unset: http://HOST:PORT.",
    )
    dashboard_secure_cookies: bool = Field(
        default=True,
        description="The dashboard's session cookie is Secure (and __Host- prefixed). Browsers accept it from "
        "https:// and from http://localhost or http://127.0.0.1; false only for another plain-HTTP host.",
    )
    download_signing_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs the FlowPayroll attachments' PDF download links (HMAC-SHA256); the same on every "
        "worker and across restarts. Unset: a random key per process, so a link works only on the worker that "
        "made it and until it restarts.",
    )
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry (traces, metrics and logs to the providers the process "
        "configures, e.g. with opentelemetry-instrument). Off, no request pays for looking them up; the service's "
        "own metrics (/metrics) and request log do not depend on it.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="The service's log lines: readable text, or one JSON object a line."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="When set, GET /metrics requires `Authorization: Bearer <it>`. Unset: open, as Prometheus "
        "scrapes usually are (keep the port private).",
    )
    readiness_timeout_seconds: float = Field(
        default=2, gt=0, le=30, description="How long each /readyz check may take before it counts as failing."
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Where invoice e-mails go: smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465 "
        "(TLS), smtp://host:25?starttls=false (a local relay). Unset: each e-mail is written as an .eml file "
        "under MAIL_DIR.",
    )
    mail_from: str | None = Field(
        default=None,
        pattern=r"^[^@\s<>]+@[^@\s<>]+$",
        description="The From address of invoice e-mails (the tenant's name shown with it; its own e-mail as "
        "Reply-To). Unset: the tenant's e-mail.",
    )
    mail_dir: Path = Field(default=Path("var") / "mail", description="Where .eml files go without SMTP_URL.")
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=300, description="Per SMTP connect and command.")
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Seals the webhook endpoints' signing secrets stored in the database (Fernet, its key derived "
        "with HKDF-SHA256). A deployment on more than one machine must set it, the same everywhere. Unset: a "
        "random key kept in SECRET_KEY_FILE, made on first use (good for one machine only).",
    )
    secret_key_file: Path = Field(
        default=Path("var") / "secret_key",
        description="Without SECRET_KEY: the file holding the key that seals webhook secrets (mode 0600, made on "
        "first use). Losing it makes every stored webhook secret unreadable.",
    )
    webhook_allow_private_networks: bool = Field(
        default=False,
        description="Let webhook endpoints resolve to loopback, private, unique-local, CGNAT, multicast or reserved "
        "addresses (a self-hosted LAN, tests). Link-local addresses (169.254.0.0/16, fe80::/10, cloud metadata) "
        "are refused regardless.",
    )

    delivery_in_server: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Run the outbox worker inside `invoicing serve` (each server process runs one). auto: on for "
        "SQLite (so `make run` delivers with nothing else to start), off for PostgreSQL, where `invoicing worker` "
        "runs beside the servers.",
    )
    readiness_requires_worker: bool = Field(
        default=True,
        description="/readyz answers 503 unless some outbox worker's heartbeat is fresh (30 s).",
    )
    worker_concurrency: int = Field(default=16, ge=1, le=256, description="Deliveries one worker has in flight.")
    worker_lease_seconds: float = Field(
        default=120,
        ge=5,
        le=3600,
        description="How long a claimed delivery stays a worker's before others may retry it.",
    )
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60, description="How often an idle worker looks for work.")

    outbox_retention_days: int = Field(
        default=30,
        ge=1,
        description="`invoicing purge-outbox` deletes messages with nothing left to deliver after this many days "
        "(replay reaches back as far as messages are kept).",
    )

    @property
    def runs_delivery_in_server(self) -> bool:
        if self.delivery_in_server == "auto":
            return self.database_url.startswith("sqlite")
        return self.delivery_in_server == "on"

    @property
    def base_url(self) -> str:
        """PUBLIC_BASE_URL without its trailing slash, or the address `invoicing serve` listens on."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
