"""The zh-Hans catalogue is complete and current: every message id of the code and templates is in
locale/zh_Hans/LC_MESSAGES/django.po with a translation, and the committed .mo is its compilation."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
IGNORE = [".venv", "tests", "bench", "scripts", "staticfiles", "var", "locale", "node_modules"]


def _entries(path: Path) -> dict[tuple[str, str], list[str]]:
    """(msgid, msgid_plural) -> msgstrs, read with GNU msgcat's stable output (no extra library)."""
    out = subprocess.run(["msgcat", "--no-wrap", "--no-location", str(path)], capture_output=True, text=True,
                         check=True).stdout
    entries, cur, key = {}, None, None
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        for prefix in ("msgid_plural ", "msgid ", "msgstr[0] ", "msgstr "):
            if line.startswith(prefix):
                key = prefix.strip()
                value = line[len(prefix):].strip()[1:-1]
                if key == "msgid":
                    cur = {"msgid": value, "msgid_plural": "", "msgstr": []}
                elif key == "msgid_plural":
                    cur["msgid_plural"] = value
                else:
                    cur["msgstr"].append(value)
                    entries[(cur["msgid"], cur["msgid_plural"])] = cur["msgstr"]
                break
        else:
            if line.startswith('"') and cur is not None:
                if key in ("msgstr", "msgstr[0]"):
                    cur["msgstr"][-1] += line[1:-1]
                elif key == "msgid_plural":
                    cur["msgid_plural"] += line[1:-1]
                else:
                    cur["msgid"] += line[1:-1]
    entries.pop(("", ""), None)  # the header
    return entries


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_message_id_is_in_the_catalogue_and_translated(tmp_path, monkeypatch):
    """makemessages runs in a scratch folder (links to the source, a copy of the catalogue), so the
    checkout's catalogue is never rewritten by a test."""
    work = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", work)
    for name in ("jointreview", "projects", "tasks", "templates"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    before = PO.read_bytes()
    with override_settings(LOCALE_PATHS=[work]):
        call_command("makemessages", locale=["zh_Hans"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0,
                     symlinks=True)
    assert PO.read_bytes() == before, "the checkout's catalogue must not be touched"
    fresh = _entries(work / "zh_Hans" / "LC_MESSAGES" / "django.po")
    committed = _entries(PO)
    assert set(fresh) == set(committed), (
        f"catalogue out of date: new {sorted(set(fresh) - set(committed))[:10]}, "
        f"gone {sorted(set(committed) - set(fresh))[:10]} (run makemessages -l zh_Hans and translate)")
    untranslated = [k[0] for k, v in committed.items() if not any(v)]
    assert not untranslated, f"untranslated: {untranslated[:10]}"


def test_the_compiled_catalogue_matches_the_po(tmp_path):
    mo = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(mo), str(PO)], check=True)
    assert mo.read_bytes() == (PO.parent / "django.mo").read_bytes(), "run msgfmt (compilemessages) and commit"


def test_pages_speak_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        assert translation.gettext("Your portion:") == "您的审查范围："
    with translation.override("en"):
        assert translation.gettext("Your portion:") == "Your portion:"
