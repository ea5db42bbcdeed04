"""The registry's import graph: no module cycle, and no feature imports a feature above it.

Read from the source with `ast` (imports executed when a module loads; an import inside a function,
such as `database.load_models`, is wiring that runs later and is not counted).
"""

import ast
from collections import defaultdict
from pathlib import Path

import services.registry

ROOT = Path(services.registry.__file__).parent
# Lowest first. A feature may import only features before it; top-level modules (app, subscribers,
# dependencies, demo, settings, database) are wiring and may import any feature.
LAYERS = [
    "events",
    "draws",
    "access",
    "enterprises",
    "ledger",
    "credit",
    "lists",
    "measures",
    "standards",
    "partners",
    "answers",
    "sweep",
    "imports",
    "products",
    "supervision",
    "warnings",
    "reports",
    "portal",
    "console",
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(("services", "registry", *path.relative_to(ROOT).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets: set[str] = set()
            if isinstance(node, ast.ImportFrom) and node.module:
                # `from pkg import mod` imports the module; `from mod import name` the module itself.
                targets = {f"{node.module}.{a.name}" for a in node.names} & modules.keys() or {node.module}
            elif isinstance(node, ast.Import):
                targets = {a.name for a in node.names}
            edges[name].update(t for t in targets if t in modules and t != name)
    return edges


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 else None


def test_every_feature_has_a_layer() -> None:
    features = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert features == set(LAYERS)


def test_no_feature_imports_a_feature_above_it() -> None:
    upward = sorted(
        f"{a} -> {b}"
        for a, targets in _graph().items()
        for b in targets
        if (fa := _feature(a)) and (fb := _feature(b)) and LAYERS.index(fb) > LAYERS.index(fa)
    )
    assert upward == []


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for module in sorted(_modules()):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_the_check_sees_an_upward_import() -> None:
    """The graph is real: credit's service imports enterprises (below it), which the check reports."""
    graph = _graph()
    assert "services.registry.enterprises.service" in graph["services.registry.credit.service"]
