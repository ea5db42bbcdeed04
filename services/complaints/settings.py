"""Complaints settings (env prefix COMPLAINTS_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.devkeys import (
    COMPLAINTS_ISSUER,
    COMPLAINTS_KEY_NAME,
    DEV_ISSUER,
    DEV_KEY_NAME,
    REGISTRY_ISSUER,
    REGISTRY_KEY_NAME,
    jwks_path,
    keys_dir,
)
from services.common.roles import Role
from services.common.settings import ServiceSettings, TrustedIssuer


class ComplaintsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore")

    service_name: str = "complaints"
    jwt_audience: str = "complaints"
    # The registry reads complaint aggregates (counts only) for early warning: sub=registry.
    jwt_service_subjects: list[str] = Field(default_factory=lambda: ["registry"])
    max_body_bytes: int = Field(9_000_000, ge=1024)

    # Confidential reporter data: Fernet keys, newest first (rotation keeps old ones for reading).
    reporter_keys: list[SecretStr] = Field(default_factory=list)

    # Public routes, per client address: (requests, window seconds).
    intake_rate: tuple[int, int] = (20, 60)
    tracking_rate: tuple[int, int] = (60, 60)
    max_attachment_bytes: int = Field(2_000_000, ge=1)

    # The feed to the registry.
    registry_url: str = "http://127.0.0.1:8001"
    signing_key_file: Path | None = None
    service_issuer: str = COMPLAINTS_ISSUER
    authority_name: str = "市场监督管理投诉举报处理机构（12315）"
    dispatch_enabled: bool = True
    dispatch_interval_seconds: float = Field(1.0, gt=0)
    dispatch_batch: int = Field(20, ge=1, le=500)
    lease_seconds: float = Field(30, gt=0)
    backoff_base_seconds: float = Field(1.0, gt=0)
    backoff_max_seconds: float = Field(300, gt=0)
    registry_timeout_seconds: float = Field(5, gt=0)

    # Notifications (issue 20): "file" writes to notify_file (development only); "gateway" uses the
    # SMS gateway and the SMTP relay below. Retries reuse dispatch_interval/lease/backoff above.
    notify_sender: Literal["file", "gateway"] = "file"
    notify_file: Path | None = None
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "12315@example.cn"
    # The public reward claim, per client address: (requests, window seconds).
    claim_rate: tuple[int, int] = (10, 60)

    @model_validator(mode="after")
    def _notification_sender(self) -> ComplaintsSettings:
        if self.is_production and self.notify_sender == "file":
            raise ValueError("notify_sender=file is for development; configure the gateways in production")
        if self.notify_file is None:
            self.notify_file = self.data_dir / "notifications.jsonl"
        return self

    @model_validator(mode="after")
    def _dev_defaults(self) -> ComplaintsSettings:
        # The dispatcher renews its lease before each delivery, and a delivery is cut off at the
        # timeout: a lease of at least two timeouts leaves room for the writes around it.
        if self.lease_seconds < 2 * self.registry_timeout_seconds:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds}) must be at least twice"
                f" registry_timeout_seconds ({self.registry_timeout_seconds})"
            )
        if self.is_production:
            if not self.reporter_keys:
                raise ValueError("reporter_keys must be configured in production")
            if self.signing_key_file is None:
                raise ValueError("signing_key_file must be configured in production")
            return self
        if not self.trusted_issuers:
            self.trusted_issuers = [
                TrustedIssuer(
                    issuer=DEV_ISSUER,
                    jwks=str(jwks_path(self.data_dir, DEV_KEY_NAME)),
                    roles=[Role.handler, Role.regulator],
                ),
                # The registry's signal job reads complaint aggregates (no personal data) as a service.
                TrustedIssuer(
                    issuer=REGISTRY_ISSUER,
                    jwks=str(jwks_path(self.data_dir, REGISTRY_KEY_NAME)),
                    roles=[Role.service],
                ),
            ]
        if self.signing_key_file is None:
            self.signing_key_file = keys_dir(self.data_dir) / f"{COMPLAINTS_KEY_NAME}.pem"
        return self
