from services.cli.contracts import CONTRACTS, documents, render


def test_exported_openapi_matches_the_code() -> None:
    for name, document in documents().items():
        path = CONTRACTS / name
        assert path.exists(), f"{name} missing: run `qcr contracts`"
        assert path.read_text(encoding="utf-8") == render(document), (
            f"contracts/{name} drifted from the code: run `qcr contracts` and commit"
        )


def test_contract_shows_auth_and_problem_responses() -> None:
    registry = documents()["registry.openapi.json"]
    post = registry["paths"]["/v1/enterprises/{uscc}/credit-events"]["post"]
    assert {"201", "200", "401", "403", "422"} <= post["responses"].keys()
    assert post["security"] == [{"HTTPBearer": []}]
    assert "Problem" in registry["components"]["schemas"]
