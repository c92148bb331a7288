"""Code shape (issue 9): no function in jointreview/, projects/ or tasks/ (migrations aside) longer than
60 lines and no module in jointreview/ longer than 400 lines, unless it says why.

A function's length runs from its ``def`` line to its last line (decorators not counted; a nested
function or a method is checked on its own too). A longer one needs the comment ``# long: <reason>``
on the line just above it (above its first decorator if it has any). A longer module needs
``# long-module: <reason>`` on one of its first five lines. Complexity is checked by ruff (C901 in
pyproject.toml); ruff has no rule that counts lines.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_PACKAGES = ("jointreview", "projects", "tasks")
MODULE_PACKAGES = ("jointreview",)
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
LONG_FUNCTION = re.compile(r"#\s*long:\s*\S")
LONG_MODULE = re.compile(r"#\s*long-module:\s*\S")

# The functions that were longer than 60 lines when this check came, in files that other branches are
# refactoring at the same time. THIS LIST MUST ONLY SHRINK: never add to it. Write the function
# shorter, or give the reason in a "# long:" comment above it. An entry whose function is now short
# enough fails test_known_offenders_are_still_long, so that it is removed.
KNOWN_LONG_FUNCTIONS: set[str] = set()
# Same rule for modules (none when the check came).
KNOWN_LONG_MODULES: set[str] = set()


def long_functions(source: str) -> dict[str, int]:
    """Qualified name -> length of every function in ``source`` longer than MAX_FUNCTION_LINES that
    does not carry a ``# long: <reason>`` comment."""
    lines = source.splitlines()
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}."
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                length = child.end_lineno - child.lineno + 1
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                above = lines[first - 2] if first >= 2 else ""
                if length > MAX_FUNCTION_LINES and not LONG_FUNCTION.search(above):
                    found[name[:-1]] = length
            visit(child, name)

    visit(ast.parse(source), "")
    return found


def module_is_too_long(source: str) -> bool:
    lines = source.splitlines()
    return len(lines) > MAX_MODULE_LINES and not any(LONG_MODULE.search(line) for line in lines[:5])


def _sources(packages: tuple[str, ...]):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _long_functions_in_the_code() -> dict[str, int]:
    return {f"{path}::{name}": length for path, source in _sources(FUNCTION_PACKAGES)
            for name, length in long_functions(source).items()}


def test_no_function_is_longer_than_60_lines_without_a_reason():
    found = _long_functions_in_the_code()
    new = {key: length for key, length in found.items() if key not in KNOWN_LONG_FUNCTIONS}
    assert not new, (
        f"functions longer than {MAX_FUNCTION_LINES} lines: {new}. Split them into named helpers, or put "
        "'# long: <reason>' on the line above the def (above its decorators)"
    )


def test_no_module_in_jointreview_is_longer_than_400_lines_without_a_reason():
    new = [path for path, source in _sources(MODULE_PACKAGES)
           if module_is_too_long(source) and path not in KNOWN_LONG_MODULES]
    assert not new, (
        f"modules longer than {MAX_MODULE_LINES} lines: {new}. Split them, or put "
        "'# long-module: <reason>' on one of their first five lines"
    )


def test_known_offenders_are_still_long():
    """The allow-lists only shrink: an entry that no longer needs to be there is removed."""
    stale = sorted(KNOWN_LONG_FUNCTIONS - set(_long_functions_in_the_code()))
    assert not stale, f"remove from KNOWN_LONG_FUNCTIONS (short enough now, or gone): {stale}"
    long_modules = {path for path, source in _sources(MODULE_PACKAGES) if module_is_too_long(source)}
    assert KNOWN_LONG_MODULES <= long_modules, "remove from KNOWN_LONG_MODULES: " + str(
        sorted(KNOWN_LONG_MODULES - long_modules))


def _function(name: str, body_lines: int, *, above: str = "", decorator: str = "") -> str:
    head = [line for line in ("x = 0", above, decorator) if line]
    return "\n".join([*head, f"def {name}():", *(f"    x{i} = {i}" for i in range(body_lines))]) + "\n"


def test_the_checker_counts_def_to_last_line_and_honours_a_reason():
    assert long_functions(_function("short", MAX_FUNCTION_LINES - 1)) == {}
    assert long_functions(_function("long", MAX_FUNCTION_LINES)) == {"long": MAX_FUNCTION_LINES + 1}
    assert long_functions(_function("kept", 80, above="# long: one table, read top to bottom")) == {}
    no_reason = _function("kept", 80, above="# long: ", decorator="@cache")
    assert long_functions(no_reason) == {"kept": 81}
    assert long_functions(_function("kept", 80, above="# long: a reason", decorator="@cache")) == {}
    nested = "class A:\n" + "\n".join("    " + line for line in _function("method", 70).splitlines())
    assert long_functions(nested) == {"A.method": 71}


def test_the_checker_measures_modules_and_honours_a_reason():
    assert not module_is_too_long("x = 1\n" * MAX_MODULE_LINES)
    assert module_is_too_long("x = 1\n" * (MAX_MODULE_LINES + 1))
    assert not module_is_too_long('"""Doc."""\n# long-module: the generated table\n' + "x = 1\n" * 500)
