"""`qcr`: run, migrate and operate the services."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from services.cli import (
    audit,
    calendar,
    citus,
    contracts,
    dev,
    imports,
    lists,
    outbox,
    standards,
    supervision,
    sweep,
    tokens,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qcr", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("dev", help="both services on SQLite with demo data and dev keys")
    p.add_argument("--data-dir", type=Path, default=Path(".qcr"))
    p.add_argument("--registry-port", type=int, default=8001)
    p.add_argument("--complaints-port", type=int, default=8002)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(run=dev.run_dev)

    p = sub.add_parser("serve", help="one service")
    p.add_argument("service", choices=["registry", "complaints"])
    p.add_argument("--port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--registry-url")
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(run=dev.run_serve)

    p = sub.add_parser("migrate", help="upgrade both databases (or one) to the latest revision")
    p.add_argument("service", nargs="?", choices=["registry", "complaints"])
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=dev.run_migrate)

    p = sub.add_parser("token", help="mint a dev token (refused in production)")
    p.add_argument(
        "--role",
        required=True,
        choices=["regulator", "enterprise", "partner", "handler", "service"],
    )
    p.add_argument("--uscc")
    p.add_argument("--sub")
    p.add_argument("--data-dir", type=Path, default=Path(".qcr"))
    p.add_argument("--ttl", type=int, default=None, help="seconds (default 300 for service, else 3600)")
    p.add_argument(
        "--aud",
        choices=["registry", "complaints"],
        help="audience (default: complaints for handler, registry otherwise)",
    )
    p.set_defaults(run=tokens.run_token)

    outbox.add_parser(sub)
    imports.add_parser(sub)
    audit.add_parser(sub)
    citus.add_parser(sub)
    lists.add_parser(sub)
    standards.add_parser(sub)
    sweep.add_parser(sub)
    calendar.add_parser(sub)
    supervision.add_parser(sub)

    p = sub.add_parser("contracts", help="export (or --check) the OpenAPI documents in contracts/")
    p.add_argument("--check", action="store_true")
    p.set_defaults(run=contracts.run_contracts)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
