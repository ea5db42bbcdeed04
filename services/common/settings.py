"""Settings shared by both services; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.roles import Role
from services.common.workdays import DEFAULT_CALENDAR

Environment = Literal["dev", "test", "production"]


class TrustedIssuer(BaseModel):
    """An issuer whose tokens we accept, where its public keys live, and which roles it may grant."""

    issuer: str
    jwks: str = Field(description="path of a JWKS file, or an https URL")
    roles: list[Role]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    environment: Environment = "dev"
    data_dir: Path = Path(".qcr")
    database_url: str = ""
    db_pool_size: int = Field(10, ge=1, le=200)
    db_echo: bool = False
    jwt_audience: str = ""
    trusted_issuers: list[TrustedIssuer] = []
    jwt_leeway_seconds: int = Field(30, ge=0, le=120)
    # Audiences a token may name besides this service's own (a token naming more is refused: one
    # leaked token must not open every service it lists).
    jwt_extra_audiences: list[str] = []
    # Longest lifetime (`exp - iat`) accepted: machine tokens are minted per use and live minutes,
    # people's tokens a working day at most.
    jwt_max_lifetime_seconds: int = Field(12 * 3600, ge=60)
    jwt_service_max_lifetime_seconds: int = Field(900, ge=60)
    # The `sub` a `service` token must carry: the services allowed to call this one as machines.
    jwt_service_subjects: list[str] = []
    jwks_refresh_seconds: int = Field(60, ge=1)
    # How often a JWKS *file* is checked for a change (key rotation without a restart).
    jwks_file_check_seconds: float = Field(1.0, ge=0)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    log_level: str = "INFO"
    cors_origins: list[str] = []

    # The working-day calendar (State Council holiday notices): operators load next year's notice
    # by pointing this at a new file (check it first with `qcr calendar check FILE`).
    workdays_file: Path = DEFAULT_CALENDAR
    # /readyz warns when the calendar covers fewer days ahead than this (0: the longest deadline).
    workdays_warn_days: int = Field(0, ge=0)
    # How often the calendar file is checked for a change (then running deadlines are recomputed:
    # complaint cases; list entries and repair applications); 0: never.
    calendar_check_seconds: float = Field(60, ge=0)

    service_name: str = ""

    # Work consoles (issue 21): sign-in at the department's OpenID Connect provider
    # (authorization code with PKCE); the person's role and enterprise code come from these claims.
    console_oidc_issuer: str = ""
    console_oidc_client_id: str = ""
    console_oidc_client_secret: SecretStr = SecretStr("")
    console_role_claim: str = "role"
    console_uscc_claim: str = "uscc"
    console_name_claim: str = "name"
    # The consoles' external base URL (for the redirect URIs); empty: the request's own.
    console_public_url: str = ""
    # Secure cookies (HTTPS only); turned off only for plain-http development.
    console_cookie_secure: bool = True
    console_session_seconds: int = Field(8 * 3600, ge=60, le=24 * 3600)
    # Sign-ins started per client address: (limit, window seconds). Each start writes a pending
    # session row, so it is limited like the public searches. A console choice, not a legal number.
    console_login_rate: tuple[int, int] = (30, 60)

    @model_validator(mode="after")
    def _fill_dev_defaults(self) -> ServiceSettings:
        if not self.database_url:
            if self.environment == "production":
                raise ValueError("database_url is required in production")
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / (self.service_name + '.db')}"
        if self.environment != "dev":
            plain = [t.issuer for t in self.trusted_issuers if t.jwks.lower().startswith("http://")]
            if plain:
                raise ValueError(f"JWKS URLs must be https outside development (issuers {plain})")
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError("production runs on PostgreSQL, not SQLite")
            if not self.trusted_issuers:
                raise ValueError("trusted_issuers must be configured in production")
            dev_keys = str(self.data_dir / "keys")
            if any(t.jwks.startswith(dev_keys) for t in self.trusted_issuers):
                raise ValueError("production refuses the generated dev keys")
            if not self.console_cookie_secure:
                raise ValueError("console cookies are Secure in production")
        if self.environment != "dev" and self.console_oidc_issuer.startswith("http://"):
            host = self.console_oidc_issuer.split("/")[2].split(":")[0]
            if host not in ("127.0.0.1", "localhost", "::1") or self.environment == "production":
                raise ValueError("the console's identity provider must be https outside development")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"
