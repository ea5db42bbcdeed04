"""`qcr contracts`: the exported OpenAPI documents both services publish in contracts/."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from services.common.migrate import ROOT

CONTRACTS = ROOT / "contracts"


def documents() -> dict[str, dict[str, Any]]:
    from services.complaints.app import create_app as complaints_app
    from services.complaints.settings import ComplaintsSettings
    from services.registry.app import create_app as registry_app
    from services.registry.settings import RegistrySettings

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        return {
            "registry.openapi.json": registry_app(RegistrySettings(data_dir=data)).openapi(),
            "complaints.openapi.json": complaints_app(ComplaintsSettings(data_dir=data)).openapi(),
        }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def run_contracts(args: argparse.Namespace) -> int:
    drifted = []
    for name, document in documents().items():
        path = CONTRACTS / name
        text = render(document)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drifted.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if drifted:
        print(
            "contracts drifted from the code: " + ", ".join(drifted) + " (run `qcr contracts` and commit)",
            file=sys.stderr,
        )
        return 1
    return 0
