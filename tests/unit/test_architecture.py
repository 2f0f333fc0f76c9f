"""The core imports no framework, and only registry/crypto touches cryptographic primitives."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_registry_imports_no_web_or_cli_framework() -> None:
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in (ROOT / "registry").rglob("*.py")
        if (bad := _imports(path) & {"flask", "click", "web", "cli", "werkzeug", "jinja2"})
    }
    assert offenders == {}


def test_only_crypto_package_imports_cryptography() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for base in ("registry", "web", "cli")
        for path in (ROOT / base).rglob("*.py")
        if "cryptography" in _imports(path) and "registry/crypto" not in str(path)
    ]
    assert offenders == []


def test_migrations_do_not_import_models() -> None:
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        assert "registry" not in _imports(path), path.name
