"""The review API (/api/review/): inbox, assignment detail, opinion signing.

Object permissions go through ``jointreview.policy`` (DjangoObjectPermissions would refuse users
holding only object grants): lists are filtered by ``review.selectors.inbox``, details by
``policy.access_assignment`` / ``policy.access_opinion`` (404 alike for missing and not yours).
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from jointreview import policy
from jointreview.api.errors import InvalidInput, invalid, refused
from jointreview.forms_filters import MAX_ID, InboxFilterForm
from jointreview.models import Assignment, Finding, Opinion
from jointreview.review import selectors as sel
from jointreview.review import services as svc
from jointreview.services.errors import ServiceError


class FindingSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True, help_text="open / closed")
    class Meta:
        model = Finding
        fields = ["id", "number", "text", "standard", "clause", "mandatory", "sheet", "document_version", "state",
                  "response", "response_text", "carried_from"]


class OpinionSerializer(serializers.ModelSerializer):
    findings = FindingSerializer(many=True, read_only=True)
    state = serializers.CharField(read_only=True, help_text="draft / signed")

    class Meta:
        model = Opinion
        fields = ["id", "version", "state", "outcome", "summary", "signed_at", "supersedes", "correction_reason",
                  "findings"]


class InboxSerializer(serializers.ModelSerializer):
    application = serializers.CharField(source="application.number")
    project = serializers.CharField(source="application.project.name")
    workflow = serializers.CharField(source="application.workflow.name")
    items = serializers.SerializerMethodField()
    light = serializers.CharField(source="clock.light", default=None)
    remaining_days = serializers.IntegerField(source="clock.remaining_days", default=None)
    reviewer = serializers.CharField(source="reviewer.__str__", default=None)
    backup = serializers.CharField(source="backup.__str__", default=None)
    # plain strings (not enums): "status" choice sets of other areas would collide in the schema
    status = serializers.CharField(read_only=True, help_text="unassigned / in_review / signed / cancelled")

    class Meta:
        model = Assignment
        fields = ["id", "application", "project", "workflow", "items", "round_number", "status", "due_date",
                  "remaining_days", "light", "reviewer", "backup"]

    def get_items(self, obj) -> list[str]:
        return [ai.item.name for ai in obj.items.all()]


class AssignmentDetailSerializer(InboxSerializer):
    opinions = serializers.SerializerMethodField()

    class Meta(InboxSerializer.Meta):
        fields = [*InboxSerializer.Meta.fields, "opinions"]

    @extend_schema_field(OpinionSerializer(many=True))
    def get_opinions(self, obj):
        return OpinionSerializer(sel.assignment_opinions(self.context["request"].user, obj), many=True).data


class InboxView(generics.ListAPIView):
    serializer_class = InboxSerializer

    def get_queryset(self):
        if not policy.can_use_inbox(self.request.user):
            raise PermissionDenied(_("The inbox is for review agencies."))
        filters, errors = InboxFilterForm(self.request.query_params).values_and_errors()
        if errors:
            raise InvalidInput(errors)
        return sel.inbox(self.request.user, **filters)


class AssignmentDetailView(generics.GenericAPIView):
    serializer_class = AssignmentDetailSerializer

    def get(self, request, pk: int):
        a = policy.access_assignment(request.user, pk, "view")
        return Response(AssignmentDetailSerializer(a, context={"request": request}).data)


class OpinionSignView(generics.GenericAPIView):
    serializer_class = OpinionSerializer

    @extend_schema(request=None, responses=OpinionSerializer)
    def post(self, request, pk: int):
        op = policy.access_opinion(request.user, pk, "review")
        op = svc.opinion_sign(actor=request.user, opinion_id=op.pk)  # a refusal: its 4xx body
        return Response(OpinionSerializer(op).data, status=status.HTTP_200_OK)


class FindingWriteSerializer(serializers.ModelSerializer):
    """A finding written through the API: the model's limits (text, standard, clause, sheet), ids as
    positive integers; ``template`` copies a finding of the library (only on create)."""

    document_version = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    template = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                        write_only=True)
    state = serializers.ChoiceField(choices=Finding.State.choices, required=False, help_text="open / closed")

    class Meta:
        model = Finding
        fields = ["text", "standard", "clause", "sheet", "mandatory", "document_version", "state", "template"]
        extra_kwargs = {"text": {"required": False}}  # the service says "a finding needs its text"


def _finding_values(data: dict) -> dict:
    values = {k: data[k] for k in ("text", "standard", "clause", "sheet", "mandatory", "state") if k in data}
    if "document_version" in data:
        values["document_version_id"] = data["document_version"]
    return values


class FindingCreateView(generics.GenericAPIView):
    """Add a finding to the assignment's draft opinion (or to the correction being drafted)."""

    serializer_class = FindingWriteSerializer

    @extend_schema(request=FindingWriteSerializer, responses={201: FindingSerializer})
    def post(self, request, pk: int):
        a = policy.access_assignment(request.user, pk, "view")  # the service refuses a non-writer (403 body)
        data = FindingWriteSerializer(data=request.data)
        if not data.is_valid():
            return invalid(data.errors)
        values = _finding_values(data.validated_data)
        values.pop("state", None)
        template_id = data.validated_data.get("template")
        draft = Opinion.objects.filter(assignment=a, state=Opinion.State.DRAFT).first()
        target = {"opinion_id": draft.pk} if draft is not None and draft.supersedes_id else {"assignment_id": a.pk}
        try:
            finding = svc.finding_add(actor=request.user, template_id=template_id, **target, **values)
        except ServiceError as exc:
            return refused(exc)
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class FindingUpdateView(generics.GenericAPIView):
    """Change a finding of a draft opinion (only the fields sent)."""

    serializer_class = FindingWriteSerializer

    @extend_schema(request=FindingWriteSerializer, responses=FindingSerializer)
    def patch(self, request, pk: int, finding_id: int):
        a = policy.access_assignment(request.user, pk, "view")  # the service refuses a non-writer (403 body)
        finding = Finding.objects.filter(pk=finding_id, opinion__assignment=a).first()
        if finding is None:
            raise policy.not_found("finding")
        data = FindingWriteSerializer(data=request.data, partial=True)
        if not data.is_valid():
            return invalid(data.errors)
        values = _finding_values(data.validated_data)
        try:
            finding = svc.finding_update(actor=request.user, finding_id=finding.pk, **values)
        except ServiceError as exc:
            return refused(exc)
        return Response(FindingSerializer(finding).data)


app_name = "review-api"
urlpatterns = [
    path("inbox/", InboxView.as_view(), name="inbox"),
    path("assignments/<int:pk>/", AssignmentDetailView.as_view(), name="assignment"),
    path("assignments/<int:pk>/findings/", FindingCreateView.as_view(), name="finding_add"),
    path("assignments/<int:pk>/findings/<int:finding_id>/", FindingUpdateView.as_view(), name="finding_update"),
    path("opinions/<int:pk>/sign/", OpinionSignView.as_view(), name="opinion_sign"),
]
