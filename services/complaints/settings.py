"""Complaints settings (env prefix COMPLAINTS_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from services.common.devkeys import (
    COMPLAINTS_KEY_NAME,
    DEV_ISSUER,
    DEV_KEY_NAME,
    jwks_path,
    keys_dir,
)
from services.common.roles import Role
from services.common.settings import ServiceSettings, TrustedIssuer


class ComplaintsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore")

    service_name: str = "complaints"
    jwt_audience: str = "complaints"
    registry_url: str = "http://127.0.0.1:8001"
    signing_key_file: Path | None = None

    @model_validator(mode="after")
    def _dev_defaults(self) -> ComplaintsSettings:
        if not self.is_production:
            if not self.trusted_issuers:
                self.trusted_issuers = [
                    TrustedIssuer(
                        issuer=DEV_ISSUER,
                        jwks=str(jwks_path(self.data_dir, DEV_KEY_NAME)),
                        roles=[Role.handler, Role.regulator],
                    ),
                ]
            if self.signing_key_file is None:
                self.signing_key_file = keys_dir(self.data_dir) / f"{COMPLAINTS_KEY_NAME}.pem"
        return self
