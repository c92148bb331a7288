"""多测合一: one intake, one fee, one survey by one firm, one report per receiving department."""
from __future__ import annotations

from decimal import Decimal

import pytest

from jointreview.intake import services as intake
from jointreview.models import FeeOrder, SurveyReport
from jointreview.policy import access_document_version, access_survey_report, survey_reports_for
from jointreview.services.errors import PermissionDeniedError
from tests.factories import (
    AgencyFactory,
    CoordinatorFactory,
    ItemFactory,
    MaterialFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
    WorkflowFactory,
)

from .conftest import pdf, upload_all

pytestmark = pytest.mark.django_db


def survey_world():
    owner = OwnerUserFactory()
    centre = CoordinatorFactory()
    project = ProjectFactory(owner=owner.organization)
    wf = WorkflowFactory(kind="joint_survey", single_fee=True)
    survey_item = ItemFactory(workflow=wf, agency=None, competitive=True, kind="intermediary", fee=45000)
    MaterialFactory(item=survey_item)
    firm = AgencyFactory(agency_type="intermediary")
    planning, cadastre = AgencyFactory(), AgencyFactory()
    ItemFactory(workflow=wf, agency=planning, name="规划核实测量成果确认")
    ItemFactory(workflow=wf, agency=cadastre, name="地籍与房产测量成果确认")
    app = intake.application_open(actor=owner, project=project, workflow=wf)
    intake.application_choose_intermediary(actor=owner, application=app, item=survey_item, agency=firm)
    upload_all(type("W", (), {"owner": owner})(), app)
    intake.application_submit(actor=owner, application=app)
    intake.completeness_check(actor=centre, application=app,
                              results=[{"material_id": am.pk, "status": "ok"} for am in app.materials.all()])
    intake.application_accept(actor=centre, application=app)
    return dict(owner=owner, centre=centre, app=app, firm=firm, planning=planning, cadastre=cadastre,
                firm_user=ReviewerFactory(organization=firm), planning_user=ReviewerFactory(organization=planning),
                cadastre_user=ReviewerFactory(organization=cadastre))


def test_one_firm_one_fee_one_report_per_department():
    s = survey_world()
    app = s["app"]
    assert list(app.assignments.values_list("agency_id", flat=True)) == [s["firm"].pk]
    assert set(app.survey_reports.values_list("department_id", flat=True)) == {s["planning"].pk,
                                                                               s["cadastre"].pk}
    order = FeeOrder.objects.get(application=app)
    assert order.total == Decimal("45000.00")
    assert [(x.recipient_id, x.amount) for x in order.splits.all()] == [(s["firm"].pk, Decimal("45000.00"))]


def test_each_department_sees_only_its_own_report():
    s = survey_world()
    app = s["app"]
    planning_report = app.survey_reports.get(department=s["planning"])
    cadastre_report = app.survey_reports.get(department=s["cadastre"])
    intake.survey_report_deliver(actor=s["firm_user"], report=planning_report, upload=pdf("规划核实.pdf"))
    intake.survey_report_deliver(actor=s["firm_user"], report=cadastre_report, upload=pdf("房产.pdf"))
    planning_report.refresh_from_db()
    cadastre_report.refresh_from_db()
    assert list(survey_reports_for(s["planning_user"], app)) == [planning_report]
    assert list(survey_reports_for(s["cadastre_user"], app)) == [cadastre_report]
    assert survey_reports_for(s["firm_user"], app).count() == 2
    assert survey_reports_for(s["owner"], app).count() == 2
    from django.http import Http404

    with pytest.raises(Http404):
        access_survey_report(s["planning_user"], cadastre_report.pk)
    with pytest.raises(Http404):
        access_document_version(s["planning_user"], cadastre_report.document_version_id)
    assert access_document_version(s["planning_user"], planning_report.document_version_id)
    assert access_document_version(s["owner"], cadastre_report.document_version_id)


def test_only_the_firm_delivers_reports():
    s = survey_world()
    report = s["app"].survey_reports.first()
    with pytest.raises(PermissionDeniedError):
        intake.survey_report_deliver(actor=s["planning_user"], report=report, upload=pdf())
    assert SurveyReport.objects.get(pk=report.pk).document_version is None
