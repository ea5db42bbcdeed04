"""`qcr token`: a dev token from the dev key, never in production."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from services.common import uscc as uscc_rules
from services.common.devkeys import (
    COMPLAINTS_ISSUER,
    COMPLAINTS_KEY_NAME,
    DEV_ISSUER,
    DEV_KEY_NAME,
    ensure_key,
    sign_token,
)
from services.common.roles import Role

_ENVIRONMENT_VARIABLES = ("QCR_ENVIRONMENT", "REGISTRY_ENVIRONMENT", "COMPLAINTS_ENVIRONMENT")


def production_configured() -> bool:
    return any(os.environ.get(v, "").strip().lower() == "production" for v in _ENVIRONMENT_VARIABLES)


def audience_for(role: Role) -> str:
    return "complaints" if role is Role.handler else "registry"


def mint(
    data_dir: Path,
    role: Role,
    *,
    uscc: str | None = None,
    subject: str | None = None,
    ttl: int | None = None,
    audience: str | None = None,
) -> str:
    if production_configured():
        raise RuntimeError("refusing to mint dev tokens: settings say production")
    if role is Role.service:
        key, issuer = ensure_key(data_dir, COMPLAINTS_KEY_NAME), COMPLAINTS_ISSUER
    else:
        key, issuer = ensure_key(data_dir, DEV_KEY_NAME), DEV_ISSUER
    return sign_token(
        key,
        issuer=issuer,
        audience=audience or audience_for(role),
        subject=subject or ("complaints" if role is Role.service else f"dev-{role}"),
        role=role,
        uscc=uscc,
        # Service tokens live minutes (the services cap them); people's an hour unless asked.
        ttl_seconds=ttl if ttl is not None else (300 if role is Role.service else 3600),
    )


def run_token(args: argparse.Namespace) -> int:
    role = Role(args.role)
    uscc = None
    if role is Role.enterprise:
        if not args.uscc:
            print("qcr token: --uscc is required for the enterprise role", file=sys.stderr)
            return 2
        uscc = uscc_rules.normalise(args.uscc)
    try:
        token = mint(args.data_dir, role, uscc=uscc, subject=args.sub, ttl=args.ttl, audience=args.aud)
    except RuntimeError as exc:
        print(f"qcr token: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0
