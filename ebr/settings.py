"""Settings read from the environment (prefix ``EBR_``), with defaults for one machine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "ebr-batches"


class Settings(BaseSettings):
    """Everything ebr reads from its environment. ``EBR_DATA_DIR`` holds all local state."""

    model_config = SettingsConfigDict(env_prefix="EBR_", extra="ignore")

    data_dir: Path = Field(default=Path(".ebr"))
    database_url: str | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    task_queue: str = TASK_QUEUE
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_secret: str | None = None
    token_minutes: int = 480
    # Part 11 controls.
    site_name: str = "ebr site"
    ca_passphrase: str | None = None
    max_failed_attempts: int = Field(default=5, ge=1)
    password_max_age_days: int = Field(default=90, ge=1)
    password_min_length: int = Field(default=10, ge=8)
    signing_session_minutes: int = Field(default=15, ge=1)
    # Sessions end after this long without a request (pages and API alike); a fraction is allowed.
    idle_minutes: float = Field(default=15, gt=0)
    # Lockout: after max_failed_attempts the account is locked this long; 0 locks it until an
    # administrator unlocks it (the permanent lock of 21 CFR 11.300(d) practice).
    lockout_minutes: int = Field(default=30, ge=0)
    # Throttling failed sign-ins: the first delay after a failure, doubled with each further one
    # up to the most; 0 turns the delays off (the lockout still holds).
    throttle_seconds: float = Field(default=1, ge=0)
    throttle_max_seconds: float = Field(default=300, ge=0)
    # One network address may fail this many sign-ins (any accounts) before its delays begin; its
    # failures are forgotten after source_memory_minutes without one.
    source_free_failures: int = Field(default=10, ge=0)
    source_memory_minutes: int = Field(default=30, ge=1)
    # How many of a user's latest passwords may not be chosen again.
    password_history: int = Field(default=5, ge=0)
    checkpoint_minutes: int = Field(default=10, ge=1)
    # Where every signed checkpoint is also kept, out of the database's reach (``ebr.witness``).
    witness_dir: Path | None = None
    # Reports: a time-stamping authority's RFC 3161 URL makes report signatures PAdES B-T.
    tsa_url: str | None = None

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        """The record store: ``EBR_DATABASE_URL``, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'ebr.db'}"

    @property
    def embedded_temporal(self) -> bool:
        """True when ebr starts its own Temporal dev server (no cluster address is given)."""
        return not self.temporal_address

    @property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def temporal_db_file(self) -> Path:
        return self.resolved_data_dir / "temporal.db"


@lru_cache
def get_settings() -> Settings:
    return Settings()
