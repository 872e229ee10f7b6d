"""The packages of openchirp import downwards only: no package imports one that imports it back.

Read from the source with ``ast`` (nothing is imported), so a new upward import fails here
before it becomes an import cycle at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import openchirp

ROOT = Path(openchirp.__file__).parent

LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"client"},
    {"app"},
    {"api", "jobs"},
    {"core"},
    {"media"},
    {"db", "engines", "storage"},
    {"instance"},
    {"config", "vocabulary"},
]
"""Top first. A package may import packages of lower layers only (and itself)."""

NARROW = {("media", "engines"): {"openchirp.engines.base"}}
"""Where a package may use only part of a lower one: media knows the engine seam's types."""

LIGHT = {"client": {"config", "instance"}}
"""Packages that stay light whatever their layer: the client any Python script can import knows
the settings file a local server writes, never the server's own code."""


def unit(module: str) -> str:
    """The package (or top-level module) a dotted openchirp module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def is_unit(name: str) -> bool:
    return (ROOT / name / "__init__.py").exists() or (ROOT / f"{name}.py").exists()


def imports() -> list[tuple[str, str, Path]]:
    """(importing unit, imported module, file) for every openchirp import in the tree."""
    found = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        source = unit(module.removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = [base]
                if base == "openchirp":  # `from openchirp import api`: a package, or the root's
                    names = [f"{base}.{a.name}" for a in node.names if is_unit(a.name)]
            for name in names:
                if name.startswith("openchirp.") and unit(name) != source:
                    found.append((source, name, path))
    return found


def layer_of(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    raise AssertionError(f"openchirp.{name} is in no layer: add it to LAYERS")


def violations(found: list[tuple[str, str, Path]]) -> list[str]:
    wrong = []
    for source, name, path in found:
        target = unit(name)
        if not source or not target:
            continue  # the package's own __init__ and bare `import openchirp`
        if layer_of(target) <= layer_of(source):
            wrong.append(f"{path.name}: openchirp.{source} imports {name}")
        light = LIGHT.get(source)
        if light is not None and target not in light:
            wrong.append(f"{path.name}: openchirp.{source} may import only {sorted(light)}")
        allowed = NARROW.get((source, target))
        if allowed is not None and not any(name.startswith(a) for a in allowed):
            wrong.append(f"{path.name}: openchirp.{source} may use only {sorted(allowed)}")
    return wrong


def test_every_package_has_a_layer() -> None:
    for path in ROOT.iterdir():
        if path.name.startswith("_") or not (
            path.suffix == ".py" or (path / "__init__.py").exists()
        ):
            continue
        layer_of(path.stem)


def test_imports_point_down() -> None:
    assert not violations(imports()), "\n".join(violations(imports()))


def test_no_package_imports_one_that_imports_it_back() -> None:
    edges = {(source, unit(name)) for source, name, _ in imports() if source and unit(name)}
    assert not [(a, b) for a, b in edges if (b, a) in edges]


def test_an_upward_or_sideways_import_is_reported() -> None:
    here = Path("service.py")
    assert violations([("core", "openchirp.jobs.queue", here)])
    assert violations([("db", "openchirp.engines.base", here)])
    assert violations([("media", "openchirp.engines.registry", here)])
    assert not violations([("media", "openchirp.engines.base", here)])
    assert not violations([("core", "openchirp.db.queue", here)])
    assert violations([("client", "openchirp.core.clip", here)])
    assert not violations([("client", "openchirp.config", here)])
