"""Bench-only dependencies (the ``bench`` extra in pyproject.toml: django-viewflow, whose licence
differs, for bench/peer_viewflow.py) are never imported by the product: not by jointreview, projects
or tasks, at any depth, not even lazily inside a function."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("jointreview", "projects", "tasks")
BENCH_ONLY = {"viewflow", "locust"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_product_imports_no_bench_only_package():
    files = [p for package in PRODUCT for p in (ROOT / package).rglob("*.py")]
    assert len(files) > 50  # the product's modules were found
    offenders = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & BENCH_ONLY) for p in files}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_peer_bench_does_import_it():
    """The check above would see an import: the peer bench's flow has one."""
    assert "viewflow" in imported_roots(ROOT / "bench" / "peer" / "flows.py")
