"""Registry settings (env prefix REGISTRY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
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

RULES_DIR = Path(__file__).parent / "credit" / "rules"


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    jwt_audience: str = "registry"
    jwt_service_subjects: list[str] = Field(
        default_factory=lambda: ["complaints"]
    )  # the feed: sub=complaints
    # The credit rules: a directory of versioned rules files (each in force from its `effective_from`
    # day until the next version's; see credit/rulebook.py), or one file to pin a single version.
    rules_file: Path = RULES_DIR
    batch_max_codes: int = Field(1000, ge=1, le=10000)
    # The hot read path's own connections per worker (PostgreSQL; fixed, never opened under load),
    # and how stale the feed position sent with an answer may be (a lower bound either way).
    reads_pool_size: int = Field(8, ge=1, le=200)
    feed_horizon_seconds: float = Field(0.2, ge=0)
    demo_data: bool = False
    # Seconds between in-process expiry sweeps of the lists; 0 leaves it to `qcr lists sweep` (cron).
    lists_sweep_interval_seconds: float = Field(0, ge=0)
    # Webhook deliveries to partners: a background dispatcher in each replica (rows are leased).
    webhooks_enabled: bool = True
    webhook_interval_seconds: float = Field(1.0, gt=0)
    webhook_timeout_seconds: float = Field(5.0, gt=0)
    webhook_backoff_base_seconds: float = Field(2.0, gt=0)
    webhook_backoff_max_seconds: float = Field(600.0, gt=0)
    # Deliveries to loopback, private or link-local addresses: refused unless this is set, which
    # local tests do for their receivers on 127.0.0.1 (a partner must not make the registry POST into
    # its own network). Production refuses to start with it.
    webhook_private_targets: bool = False

    # The public portal: where it forwards complaints and tracking look-ups, and its own limits per
    # client address, (requests, window seconds), in front of the complaints service's.
    complaints_url: str = "http://127.0.0.1:8002"
    complaints_timeout_seconds: float = Field(10, gt=0)
    portal_complaint_rate: tuple[int, int] = (10, 60)
    portal_tracking_rate: tuple[int, int] = (60, 60)
    # Public searches per client address, (requests, window seconds): the enterprise search (API and
    # portal) and the public black and red lists (API and portal pages).
    search_rate: tuple[int, int] = (120, 60)
    public_list_rate: tuple[int, int] = (120, 60)

    # Self-declared standards: the mandatory-values table declarations are compared against; the
    # largest standard text (a PDF sent base64-encoded in the JSON body, so max_body_bytes must hold
    # it with a third to spare); how long a declaration drawn for a spot check stays out of draws.
    standards_reference_file: Path = Path(__file__).parent / "standards" / "mandatory_values.toml"
    standards_max_document_bytes: int = Field(700_000, ge=1024)
    standards_sample_cooldown_days: int = Field(365, ge=0, le=3650)
    # Time-driven changes (expiries, a rules version taking effect, list terms ending) and the
    # ledger's signed checkpoints: one leased job across all replicas, every this many seconds (0: off;
    # run `qcr sweep` from a separate worker instead). The ledger key signs the checkpoints; in
    # development it is generated in data_dir/keys.
    sweep_interval_seconds: float = Field(60, ge=0)
    sweep_lease_seconds: float = Field(300, gt=0)
    checkpoint_interval_seconds: float = Field(600, ge=0)
    ledger_key_file: Path | None = None

    # Early warning: seconds between in-process signal runs (0 leaves it to `qcr warnings run`), the
    # lease a run holds (replicas skip a run another holds), and the registry's own service key for
    # reading complaint aggregates from the complaints service.
    signals_interval_seconds: float = Field(0, ge=0)
    signals_lease_seconds: float = Field(300, gt=0)
    service_signing_key_file: Path | None = None
    service_issuer: str = REGISTRY_ISSUER

    # Credit reports: the Ed25519 key that signs them and the JWKS that publishes the keys verifying
    # them (rotation: a new key file, its public key added beside the old ones); how long a report is
    # valid (registry policy, no legal source); the public address its QR code and text point to.
    reports_key_file: Path | None = None
    reports_jwks_file: Path | None = None
    reports_validity_days: int = Field(30, ge=1, le=366)
    public_url: str = "http://127.0.0.1:8001"

    @model_validator(mode="after")
    def _dev_issuers(self) -> RegistrySettings:
        if self.ledger_key_file is None:
            if self.is_production:
                raise ValueError("ledger_key_file must be configured in production")
            self.ledger_key_file = keys_dir(self.data_dir) / "registry-ledger.pem"
        if self.service_signing_key_file is None and not self.is_production:
            self.service_signing_key_file = keys_dir(self.data_dir) / f"{REGISTRY_KEY_NAME}.pem"
        if self.reports_key_file is None or self.reports_jwks_file is None:
            if self.is_production:
                raise ValueError("reports_key_file and reports_jwks_file must be configured in production")
            self.reports_key_file = keys_dir(self.data_dir) / "registry-reports.pem"
            self.reports_jwks_file = jwks_path(self.data_dir, "registry-reports")
        if self.is_production and self.webhook_private_targets:
            raise ValueError("webhook_private_targets is for local tests; production refuses it")
        if not self.trusted_issuers and not self.is_production:
            self.trusted_issuers = [
                TrustedIssuer(
                    issuer=DEV_ISSUER,
                    jwks=str(jwks_path(self.data_dir, DEV_KEY_NAME)),
                    roles=[Role.regulator, Role.enterprise, Role.partner],
                ),
                TrustedIssuer(
                    issuer=COMPLAINTS_ISSUER,
                    jwks=str(jwks_path(self.data_dir, COMPLAINTS_KEY_NAME)),
                    roles=[Role.service],
                ),
            ]
        return self
