from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from jointreview.models import Item, Workflow, WorkflowKind
from projects.models import Organization, OrganizationKind, Project, Role, User

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = [m for m in apps.get_models() if m._meta.app_label in {"projects", "jointreview"}]


def counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in DOMAIN_MODELS}


def test_seed_demo_twice_leaves_the_same_rows():
    first_out = StringIO()
    call_command("seed_demo", stdout=first_out)
    after_first = counts()
    snapshot = sorted(User.objects.values_list("username", "password"))
    second_out = StringIO()
    call_command("seed_demo", stdout=second_out)
    assert counts() == after_first
    assert sorted(User.objects.values_list("username", "password")) == snapshot
    assert "演示账号" in first_out.getvalue()  # the default language (Simplified Chinese)
    assert "演示账号" not in second_out.getvalue()
    assert "没有新建" in second_out.getvalue()


def test_seed_demo_covers_every_role_workflow_and_prints_working_passwords(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Organization.objects.filter(kind=OrganizationKind.AGENCY).count() >= 8
    assert Organization.objects.filter(kind=OrganizationKind.OWNER).count() == 2
    assert Organization.objects.filter(kind=OrganizationKind.CENTRE).count() == 1
    assert Project.objects.count() == 3
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for kind in [WorkflowKind.JOINT_EVALUATION, WorkflowKind.JOINT_DRAWING_REVIEW, WorkflowKind.JOINT_SURVEY,
                 WorkflowKind.JOINT_ACCEPTANCE]:
        workflow = Workflow.objects.get(kind=kind)
        assert Item.objects.filter(workflow=workflow).exists()
    # every joint workflow's items are covered by an agency (or the intermediary registry)
    assert not Item.objects.filter(agency__isnull=True, competitive=False).exists()
    # three projects at three stages, made through the real services
    from jointreview.models import Application, ApplicationStatus, Assignment

    assert sorted(Application.objects.values_list("workflow__code", "status")) == [
        ("51", ApplicationStatus.DRAFT), ("52", ApplicationStatus.SUBMITTED), ("53", ApplicationStatus.ACCEPTED),
    ]
    accepted = Application.objects.get(workflow__code="53")
    assert accepted.clock.state == "running"
    assert Assignment.objects.filter(application=accepted).count() >= 3
    assert Assignment.objects.filter(application=accepted, reviewer__username="shentu-a").exists()
    # the printed password logs the user in
    line = next(ln for ln in out.getvalue().splitlines() if ln.strip().startswith("coordinator "))
    username, password = line.split()[:2]
    # (through the login page: django-axes needs the request that Client.login does not pass)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").context["user"].username == username
