"""Intake API: /api/intake/. Applications of the requesting user (through the selectors); the centre
accepts or returns them. Errors are {"code", "message", "fields"} with a 4xx status
(jointreview/api/errors.py)."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from jointreview.api.errors import InvalidInput
from jointreview.forms_filters import ApplicationFilterForm
from jointreview.intake import services as intake
from jointreview.intake.selectors import application_rows
from jointreview.models import Application, ApplicationItem
from jointreview.paging import RowsById
from jointreview.policy import access_application, applications_for


class ApplicationItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    agency = serializers.CharField(source="agency.name", default=None)
    regional_evaluation = serializers.CharField(source="regional_evaluation.title", default=None)

    class Meta:
        model = ApplicationItem
        fields = ["code", "name", "required", "reason", "evaluation_mode", "regional_evaluation", "agency"]


class ApplicationSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    project_name = serializers.CharField(source="project.name")
    workflow = serializers.CharField(source="workflow.code")
    due_date = serializers.DateField(source="clock.due_date", default=None)

    class Meta:
        model = Application
        fields = ["id", "number", "project", "project_name", "workflow", "status", "acceptance_mode",
                  "current_round", "submitted_at", "accepted_on", "due_date"]


class ApplicationDetailSerializer(ApplicationSerializer):
    items = ApplicationItemSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = ApplicationSerializer.Meta.fields + ["items"]


class ApplicationList(generics.ListAPIView):
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        qs = applications_for(self.request.user).order_by("-created_at", "-pk")
        filters, errors = ApplicationFilterForm(self.request.query_params).values_and_errors()
        if errors:
            raise InvalidInput(errors)
        if filters["status"]:
            qs = qs.filter(status=filters["status"])
        return RowsById(qs, application_rows)  # a page's ids in index order, then its rows


class ApplicationDetail(generics.RetrieveAPIView):
    serializer_class = ApplicationDetailSerializer

    def get_object(self):
        return access_application(self.request.user, self.kwargs["pk"], "view")


class DeferralSerializer(serializers.Serializer):
    material_id = serializers.IntegerField()
    promised_date = serializers.DateField()
    commitment = serializers.CharField(max_length=500)


class AcceptSerializer(serializers.Serializer):
    deferrals = DeferralSerializer(many=True, required=False, help_text="acceptance with gaps (容缺): non-essential materials delivered later")


class NoticeDefectSerializer(serializers.Serializer):
    material = serializers.CharField()
    problem = serializers.CharField(help_text="missing / defective")
    note = serializers.CharField()


class ReturnResultSerializer(serializers.Serializer):
    notice = serializers.CharField(help_text="the one-time notice's number")
    defects = NoticeDefectSerializer(many=True)


class _CentreAction(generics.GenericAPIView):
    def _app(self, request, pk):
        # 404 if they may not even see it; otherwise 403 with the reason: the action is what they may not do
        return access_application(request.user, pk, "check")


class AcceptView(_CentreAction):
    serializer_class = AcceptSerializer

    @extend_schema(request=AcceptSerializer, responses=ApplicationSerializer)
    def post(self, request, pk):
        app = self._app(request, pk)
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)  # 400 {"code", "message", "fields"}
        app = intake.application_accept(actor=request.user, application=app,  # a refusal: its 4xx body
                                        deferrals=data.validated_data.get("deferrals") or [])
        return Response(ApplicationSerializer(app).data)


class ReturnView(_CentreAction):
    serializer_class = ReturnResultSerializer

    @extend_schema(request=None, responses={201: ReturnResultSerializer})
    def post(self, request, pk):
        app = self._app(request, pk)
        notice = intake.application_return(actor=request.user, application=app)
        result = {"notice": notice.number, "defects": [
            {"material": d.material.name, "problem": d.problem, "note": d.note}
            for d in notice.defects.select_related("material")]}
        return Response(ReturnResultSerializer(result).data, status=status.HTTP_201_CREATED)


app_name = "intake-api"
urlpatterns = [
    path("applications/", ApplicationList.as_view(), name="application-list"),
    path("applications/<int:pk>/", ApplicationDetail.as_view(), name="application-detail"),
    path("applications/<int:pk>/accept/", AcceptView.as_view(), name="application-accept"),
    path("applications/<int:pk>/return/", ReturnView.as_view(), name="application-return"),
]
