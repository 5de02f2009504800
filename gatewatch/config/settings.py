"""Process settings from the environment (GATEWATCH_*), separate from the camera/rules config file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gatewatch import packaged
from gatewatch.vision.analytics_config import TimeZoneName
from gatewatch.vision.errors import UserError

# Folders given as relative paths (the defaults are) are inside ``home``.
HOME_RELATIVE = ("models_dir", "weights_dir", "samples_dir", "data_dir", "cache_dir")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWATCH_", extra="forbid")

    home: Path = Field(
        default_factory=Path.cwd,
        description="Working folder: relative paths below are inside it (default: the current directory).",
    )
    models_dir: Path = Field(Path("models/weights"), description="Where model weights are looked up first.")
    weights_dir: Path = Field(
        Path("models/weights"), description="Where downloaded weights are stored and looked up second."
    )
    manifest: Path = Field(
        default_factory=packaged.models_manifest, description="Model manifest file (default: the one shipped)."
    )
    samples_dir: Path = Field(Path(".cache/sample_videos"), description="Recorded sample clips.")
    cache_dir: Path = Field(Path(".cache"), description="Downloads (sample clips, bench sources) are cached here.")
    data_dir: Path = Field(
        Path("data"), description="Where the service keeps its database (by default) and event snapshots."
    )
    database_url: str = Field(
        "",
        max_length=2000,
        description="SQLAlchemy database URL; empty means sqlite:///<data_dir>/gatewatch.db.",
    )
    webhook_timeout_s: float = Field(10.0, gt=0.0, le=120.0, description="Seconds one webhook request may take.")
    webhook_max_attempts: int = Field(
        20, ge=1, le=100, description="Attempts per webhook delivery before it is marked failed."
    )
    webhook_backoff_base_s: float = Field(
        1.0, gt=0.0, le=3600.0, description="Wait after the first failed webhook attempt; doubles per attempt."
    )
    webhook_backoff_max_s: float = Field(
        300.0, gt=0.0, le=86400.0, description="Longest wait between two attempts of one webhook delivery."
    )
    webhook_poll_interval_s: float = Field(
        1.0, gt=0.0, le=60.0, description="How often the webhook worker looks for due retries when not woken."
    )
    webhook_concurrency: int = Field(
        8, ge=1, le=64, description="Webhook subscribers served side by side (each gets its records in seq order)."
    )
    store_max_held_records: int = Field(
        10_000,
        ge=100,
        le=1_000_000,
        description="Event records held in memory, in order, while the store cannot write (past it: dropped).",
    )
    store_spill_path: Path | None = Field(
        None,
        description="JSON-lines file, best on another disk than data_dir, where event records still held at "
        "shutdown are kept and stored from at the next start; unset: they are logged by id and lost.",
    )
    store_retry_interval_s: float = Field(
        1.0, gt=0.0, le=60.0, description="How often held event records are retried while the store cannot write."
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs that resolve to loopback, link-local or private addresses (an alarm "
        "receiver on the LAN); off, such URLs are refused at subscription and before each delivery.",
    )
    mqtt_host: str | None = Field(
        None, min_length=1, max_length=253, description="MQTT broker host; unset disables MQTT publishing."
    )
    mqtt_port: int = Field(1883, ge=1, le=65535, description="MQTT broker port.")
    mqtt_prefix: str = Field(
        "gatewatch",
        min_length=1,
        max_length=100,
        pattern=r"^[^/+#]+$",
        description="First MQTT topic level: <prefix>/events and <prefix>/<camera>/status.",
    )
    mjpeg_max_fps: float = Field(10.0, gt=0.0, le=60.0, description="Highest frame rate an MJPEG viewer may ask for.")
    max_body_bytes: int = Field(
        1_000_000,
        ge=1024,
        le=1_000_000_000,
        description="Largest request body accepted (bytes); larger ones get 413 before anything reads, parses or "
        "authenticates them.",
    )
    session_ttl_s: float = Field(
        12 * 3600.0,
        ge=60.0,
        le=30 * 86400.0,
        description="How long a console login lasts (seconds) before the browser has to log in again.",
    )
    forwarded_allow_ips: str = Field(
        "",
        max_length=2000,
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-Proto/-For headers are "
        "trusted ('*' for any); empty trusts none. Set it behind a TLS proxy so the login cookie is Secure.",
    )
    timezone: TimeZoneName = Field("Asia/Shanghai", description="IANA time zone the console displays times in.")

    @model_validator(mode="after")
    def _inside_home(self) -> Settings:
        for name in HOME_RELATIVE:
            path = getattr(self, name)
            if not path.is_absolute():
                setattr(self, name, self.home / path)
        return self

    @model_validator(mode="after")
    def _backoff_ordered(self) -> Settings:
        if self.webhook_backoff_max_s < self.webhook_backoff_base_s:
            raise ValueError("webhook_backoff_max_s must be >= webhook_backoff_base_s")
        return self

    @property
    def db_url(self) -> str:
        """The database URL in force (database_url, or the SQLite file in data_dir)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'gatewatch.db'}"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"


class SettingsError(UserError):
    """A GATEWATCH_* environment variable holds a value the settings refuse."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GATEWATCH_{'_'.join(str(p) for p in issue['loc']).upper()}: {issue['msg']}" for issue in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
