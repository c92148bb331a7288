"""Issue 9: no "中文 English" duplicates in the Python code. A user-facing text is an English message id
through gettext, its Chinese is in the catalogue (locale/zh_Hans); a Chinese literal next to its English
twin ("已登记项目 Registered", "草稿 draft") is the old pattern this test refuses.

Scanned: every module of jointreview/, projects/ and tasks/, every string literal (f-string pieces too),
docstrings excepted (they are for developers). Not scanned: migrations (history), the seed data (the
official Chinese names of catalogue items and demo records: data, not interface) and the builders of the
issued documents (official Chinese PDFs, jointreview/documents/)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("jointreview", "projects", "tasks")
CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"
# a Chinese text and its English twin side by side, as tests/foundation/test_i18n.py reads the pages
BILINGUAL = re.compile(rf"{CJK}+[ \t]*[A-Za-z]{{2,}}|[A-Za-z]{{2,}}[ \t]*{CJK}")

DATA = {
    "jointreview/catalogue/seed.py",
    "jointreview/demo_seed.py",
}
# the PDF builders (they print Chinese only, checked by reading the PDFs in tests/jointreview/test_documents.py);
# documents/models.py and documents/services.py are scanned
ISSUED_DOCUMENTS = "jointreview/documents/"


def _scanned(rel: str) -> bool:
    if "/migrations/" in rel or rel in DATA:
        return False
    if rel.startswith(ISSUED_DOCUMENTS) and not rel.endswith(("/models.py", "/services.py")):
        return False
    return True


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def bilingual_literals(rel: str, source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and BILINGUAL.search(node.value)]


def test_no_module_holds_a_chinese_text_beside_its_english_twin():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if _scanned(rel):
                found += [f"{rel}:{line}: {text[:60]!r}" for line, text in bilingual_literals(rel, path.read_text())]
    assert not found, "bilingual literals (use an English message id and the catalogue):\n" + "\n".join(found)


def test_the_scan_finds_the_old_pattern_and_lets_the_new_one_pass():
    old = '''
from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "草稿 draft"


def view(request, app):
    messages.success(request, f"已登记项目 Registered: {app.name}")
    raise ServiceError("材料不存在 No such material.")
    notify(key="k", subject="新审查任务 New assignment")
'''
    # the label, the success message, the refusal, a notification's text
    assert sorted(line for line, _text in bilingual_literals("jointreview/x.py", old)) == [6, 10, 11, 12]
    new = '''
"""The single window (一窗受理): 容缺 materials are accepted later."""
from django.utils.translation import gettext as _


def view(request, app):
    messages.success(request, _("Registered: %(project)s") % {"project": app.name})
    raise ServiceError(_("No such material."))
    title = "审查合格书"  # an official Chinese title: data, no English twin
'''
    assert bilingual_literals("jointreview/x.py", new) == []
    assert _scanned("jointreview/intake/views.py") and _scanned("jointreview/documents/models.py")
    assert not _scanned("jointreview/documents/certificate.py") and not _scanned("jointreview/catalogue/seed.py")
    assert not _scanned("jointreview/migrations/0001_initial.py")
