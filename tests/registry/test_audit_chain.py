"""Per-enterprise chains and signed checkpoints: truncation and rewriting are detected and named."""

import asyncio
import os
import subprocess
import sys

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from services.common.roles import Role
from services.registry.ledger import chain, checkpoints
from tests.processes import ROOT
from tests.support import Backend, Tokens, code, event_body, register


async def _qcr(registry_app: FastAPI, backend: Backend, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": backend.registry_url,
        "REGISTRY_DATA_DIR": str(registry_app.state.settings.data_dir),
    }
    command = [sys.executable, "-m", "services.cli.main", *args]
    return await asyncio.to_thread(
        subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def _two_enterprises(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    for n in (1, 2):
        await register(registry, reg, code(n))
        await registry.post(
            f"/v1/enterprises/{code(n)}/credit-events", json=event_body(f"T-{n}"), headers=reg
        )


async def test_a_truncated_chain_is_named(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    await _two_enterprises(registry, tokens)
    async with registry_app.state.engine.begin() as conn:  # drop code(2)'s last entry
        last = (
            await conn.execute(text("SELECT max(version) FROM audit_entry WHERE chain = :c"), {"c": code(2)})
        ).scalar_one()
        first_chain = (
            await conn.execute(text("SELECT count(*) FROM audit_entry WHERE chain = :c"), {"c": code(1)})
        ).scalar_one()
        await conn.execute(
            text("DELETE FROM audit_entry WHERE chain = :c AND version = :v"), {"c": code(2), "v": last}
        )
    async with registry_app.state.sessions() as session:
        checked, broken = await chain.verify_chains(session)
    assert broken is not None and broken.chain == code(2) and f"ends at {last - 1}" in broken.reason
    assert checked == first_chain + last - 1


async def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, backend: Backend
) -> None:
    await _two_enterprises(registry, tokens)
    assert (await _qcr(registry_app, backend, "audit", "checkpoint")).returncode == 0
    # An insider drops code(1)'s last entry AND rewinds the head on its row: each chain still checks.
    async with registry_app.state.engine.begin() as conn:
        last = (
            await conn.execute(text("SELECT max(version) FROM audit_entry WHERE chain = :c"), {"c": code(1)})
        ).scalar_one()
        prev = (
            await conn.execute(
                text("SELECT hash FROM audit_entry WHERE chain = :c AND version = :v"),
                {"c": code(1), "v": last - 1},
            )
        ).scalar_one()
        await conn.execute(
            text("DELETE FROM audit_entry WHERE chain = :c AND version = :v"), {"c": code(1), "v": last}
        )
        await conn.execute(
            text("UPDATE enterprise SET version = :v, chain_head = :h WHERE uscc = :c"),
            {"v": last - 1, "h": prev, "c": code(1)},
        )
    async with registry_app.state.sessions() as session:
        _, broken = await chain.verify_chains(session)
        key = registry_app.state.ledger_key.public_key()
        signed, bad = await checkpoints.verify(session, public_keys={checkpoints.key_id(key): key})
    assert broken is None
    assert bad is not None and signed == 0 and "no longer give its root" in bad.reason
    result = await _qcr(registry_app, backend, "audit", "verify")
    assert result.returncode == 1 and f"checkpoint {bad.id}" in result.stdout


async def test_a_forged_checkpoint_signature_is_refused(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, backend: Backend
) -> None:
    await _two_enterprises(registry, tokens)
    assert (await _qcr(registry_app, backend, "audit", "checkpoint")).returncode == 0
    async with registry_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_checkpoint SET tree_size = tree_size - 1"))
    result = await _qcr(registry_app, backend, "audit", "verify")
    assert result.returncode == 1 and "signature does not match" in result.stdout


def test_merkle_root_follows_rfc_6962() -> None:
    import hashlib

    leaf = [hashlib.sha256(b"\x00" + x).digest() for x in (b"a", b"b", b"c")]
    left = hashlib.sha256(b"\x01" + leaf[0] + leaf[1]).digest()
    assert checkpoints.merkle_root([b"a", b"b", b"c"]) == hashlib.sha256(b"\x01" + left + leaf[2]).hexdigest()
    assert checkpoints.merkle_root([b"a"]) == leaf[0].hex()
