"""Backups that restore (docs/backup.md): scripts/backup.py then scripts/restore_drill.py, as an
operator runs them, on a small data set in the test database: applications with uploaded materials,
an opinion attachment, an issued joint notice and a certificate with their PDFs."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jointreview.models import IssuedDocument, IssuedKind, Opinion
from jointreview.review import services as review
from projects.models import DocumentVersion
from tests import integration_support as support
from tests.factories import DocumentVersionFactory
from tests.jointreview.review.conftest import make_round

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
D = datetime.date
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64


def script(name: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run scripts/<name> as an operator would (bounded: 60 s; a drill takes a few seconds)."""
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})}, cwd=ROOT)


def small_data_set():
    """Two applications: one approved (materials, an attachment, issued joint notice + certificate),
    one still in review with two uploaded versions."""
    s = make_round(2, project_name="备份演练大厦")
    for side in s.agencies:
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass")
    opinion = Opinion.objects.get(assignment=s.agencies[0].assignment)
    review.opinion_attach(actor=s.agencies[0].reviewer, opinion_id=opinion.pk,
                          upload=SimpleUploadedFile("现场照片.png", PNG, content_type="image/png"))
    for side in s.agencies:
        op = Opinion.objects.get(assignment=side.assignment)
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(round=s.round, kind=IssuedKind.JOINT_NOTICE)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    review.certificate_issue(actor=s.coordinator, application_id=s.app.pk, on=D(2026, 3, 11))
    other = make_round(1, project_name="另一项目")
    v2 = b"%PDF-1.4 v2 " + b"x" * 200
    DocumentVersionFactory(document=other.version.document, number=2, uploaded_by=other.owner, size=len(v2),
                           sha256=hashlib.sha256(v2).hexdigest(), file=SimpleUploadedFile("v2.pdf", v2))
    issued = list(IssuedDocument.objects.filter(state=IssuedDocument.State.ISSUED).order_by("pk"))
    assert [d.kind for d in issued] == [IssuedKind.JOINT_NOTICE, IssuedKind.CERTIFICATE] and all(d.file for d in issued)
    return issued


def test_backup_restores_into_a_fresh_database_and_the_drill_names_a_damaged_file(run_tasks, settings, tmp_path):
    issued = small_data_set()
    db_url = support.test_database_url()
    out = tmp_path / "backups"
    made = script("backup.py", "--database-url", db_url, "--media-root", str(settings.MEDIA_ROOT), "--out", str(out))
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    manifest = json.loads((backup / "manifest.json").read_text())
    assert set(manifest["archives"]) == {"db.dump", "media.tar.gz"}
    assert all(len(a["sha256"]) == 64 for a in manifest["archives"].values())
    assert manifest["media"]["files"] == len([p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()])

    name = f"jr_drill_test_{uuid.uuid4().hex[:10]}"
    media = tmp_path / "restored-media"
    server = db_url.rsplit("/", 1)[0]
    try:
        drill = script("restore_drill.py", str(backup), "--server-url", server, "--name", name,
                       "--media-dir", str(media), "--keep")
        assert drill.returncode == 0, drill.stdout + drill.stderr
        assert "PASSED" in drill.stdout
        assert "2 verification codes" in drill.stdout
        for label, n in (("jointreview.IssuedDocument", 2), ("jointreview.OpinionAttachment", 1),
                         ("projects.DocumentVersion", DocumentVersion.objects.count())):
            assert f"{n} {label}" in drill.stdout, drill.stdout

        # in the restored copy, one uploaded material damaged and one issued PDF gone: the drill fails
        # and names both
        damaged = DocumentVersion.objects.order_by("pk").last().file.name
        (media / damaged).write_bytes(b"not what was uploaded")
        (media / issued[1].file.name).unlink()
        check = script("restore_drill.py", "--check-only", "--database-url", f"{server}/{name}",
                       "--media-dir", str(media))
        assert check.returncode == 1, check.stdout + check.stderr
        assert "FAILED: 2 problem(s)" in check.stdout
        assert "sha256 mismatch: projects.DocumentVersion #" in check.stdout and damaged in check.stdout
        assert f"missing file: jointreview.IssuedDocument #{issued[1].pk} {issued[1].file.name}" in check.stdout
    finally:
        _drop(server, name)
    # the drill without --keep leaves nothing behind; a backup with a damaged archive fails at once
    name2 = f"jr_drill_test_{uuid.uuid4().hex[:10]}"
    again = script("restore_drill.py", str(backup), "--server-url", server, "--name", name2,
                   "--media-dir", str(tmp_path / "m2"))
    assert again.returncode == 0 and not _exists(server, name2) and not (tmp_path / "m2").exists(), again.stdout
    with (backup / "db.dump").open("ab") as f:
        f.write(b"\0")
    broken = script("restore_drill.py", str(backup), "--server-url", server, "--name", name2,
                    "--media-dir", str(tmp_path / "m3"))
    assert broken.returncode == 1 and "archive db.dump: sha256 differs from the manifest" in broken.stdout
    assert not _exists(server, name2)


def test_bad_arguments_exit_2_with_a_clear_message(tmp_path):
    cases = [
        (("restore_drill.py",), "name the backup folder"),
        (("restore_drill.py", str(tmp_path / "nowhere")), "no such backup folder"),
        (("restore_drill.py", str(tmp_path)), "no manifest.json"),
        (("restore_drill.py", "--check-only", "--media-dir", str(tmp_path)), "--check-only takes --database-url"),
        (("restore_drill.py", str(tmp_path), "--name", "Bad-Name"), "lower-case letters"),
        (("backup.py", "--database-url", "sqlite:///demo.sqlite3"), "pg_dump backs up PostgreSQL"),
        (("backup.py", "--keep", "-1"), "--keep"),
    ]
    for args, message in cases:
        done = script(*args, env={"DATABASE_URL": ""})
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)


def _admin(server: str):
    import psycopg

    return psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10)


def _exists(server: str, name: str) -> bool:
    with _admin(server) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _drop(server: str, name: str) -> None:
    from psycopg import sql

    with _admin(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_keep_prunes_the_oldest_whole_backups(settings, tmp_path):
    out = tmp_path / "backups"
    for name in ("20260101T020000Z", "20260102T020000Z", "20260103T020000Z.partial"):
        (out / name).mkdir(parents=True)
        (out / name / "manifest.json").write_text("{}")
    made = script("backup.py", "--database-url", support.test_database_url(), "--media-root",
                  str(settings.MEDIA_ROOT), "--out", str(out), "--keep", "2")
    assert made.returncode == 0, made.stderr
    newest = Path(made.stdout.strip().splitlines()[-1]).name
    assert sorted(p.name for p in out.iterdir()) == sorted(["20260102T020000Z", "20260103T020000Z.partial", newest])
    assert "pruned the older backup 20260101T020000Z" in made.stdout
