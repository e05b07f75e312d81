"""Settings from the environment and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.crypto import KEY_FILE
from bot.errors import SettingsError
from storage.db import check_url, sqlite_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"

# What each setting is, for the one-line message when it is missing or wrong.
HINTS = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "the Signing Secret from your app's Basic Information page",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with connections:write, for Socket Mode",
    "PORT": "the HTTP port to listen on, 1–65535 (0 picks a free one)",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "LOG_FORMAT": "text (plain lines) or json (one JSON object per line)",
    "METRICS_PORT": "a port of its own for /metrics, 1–65535; unset: the app's PORT",
    "METRICS_ENABLED": "true or false: whether /metrics is served and metrics are counted",
    "ONBOARD_RETENTION_DAYS": "days an uninstalled workspace's data is kept, 0 or more",
    "DATABASE_URL": "postgresql+psycopg://user:password@host:5432/name, "
    "sqlite:///path/to/onboard.db, or unset for a SQLite file in ONBOARD_DATA_DIR",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str | None = None
    onboard_data_dir: Path = Path("data")
    onboard_encryption_keys: SecretStr | None = None
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Prometheus metrics at /metrics (bot/monitoring/): on PORT, or on a port of their own.
    metrics_enabled: bool = True
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Days an uninstalled workspace's data is kept (a reinstall keeps it); 0: deleted at once.
    onboard_retention_days: int = Field(default=30, ge=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _unset_port(cls, value: object) -> object:
        return None if value == "" else value  # `METRICS_PORT=` in a .env file: unset

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack_sdk joins base_url and the method name without adding a slash.
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url_supported(cls, value: str | None) -> str | None:
        if not value:
            return None  # `DATABASE_URL=` in a .env file: unset, the default SQLite file
        check_url(value)
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return value

    @property
    def oauth(self) -> bool:
        """Installs into any workspace through /slack/install, instead of one bot token."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def database(self) -> str:
        return self.database_url or sqlite_url(self.onboard_data_dir.resolve())

    @property
    def database_setting(self) -> str:
        """The setting that says where the database is, for a message about it."""
        return "DATABASE_URL" if self.database_url else "ONBOARD_DATA_DIR"

    @property
    def creates_key_file(self) -> bool:
        """No ONBOARD_ENCRYPTION_KEYS and no key file yet: the first start writes one into the
        data directory (bot/crypto.py), whatever the database."""
        configured = self.onboard_encryption_keys
        return (
            not (configured and configured.get_secret_value())
            and not (self.onboard_data_dir / KEY_FILE).exists()
        )

    def require_token(self) -> None:
        if self.slack_bot_token is None:
            raise SettingsError(_missing("SLACK_BOT_TOKEN"))

    def require_for_serving(self) -> None:
        """What `run` needs beyond the database: a token (or OAuth), and a signing secret
        over HTTP."""
        if not self.oauth:
            self.require_token()
        if not self.socket_mode and self.slack_signing_secret is None:
            raise SettingsError(_missing("SLACK_SIGNING_SECRET"))


def _missing(name: str) -> str:
    return f"missing setting {name}: {HINTS[name]}"


def load_settings(**overrides: object) -> Settings:
    """Settings, or a SettingsError whose message is one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        error = e.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else ""
        reason = str(error["msg"]).removeprefix("Value error, ")
        hint = f" ({HINTS[name]})" if name in HINTS else ""
        where = f"{name}: " if name else ""
        raise SettingsError(f"bad setting {where}{reason}{hint}") from None
