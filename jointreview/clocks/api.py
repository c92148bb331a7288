"""Read-only API of the clocks (centre users only): /api/clocks/."""
from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, permissions, serializers

from jointreview import policy
from jointreview.api.errors import InvalidInput
from jointreview.clocks.selectors import clock_list, clock_subject
from jointreview.forms_filters import ClockFilterForm
from jointreview.models import Clock


class IsCentre(permissions.BasePermission):
    message = _("Clocks are visible to centre staff only.")

    def has_permission(self, request, view):
        return policy.can_watch_clocks(request.user)


class ClockSerializer(serializers.ModelSerializer):
    application = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()

    class Meta:
        model = Clock
        fields = [
            "id", "kind", "state", "limit_value", "limit_unit", "policy", "started_on", "due_date",
            "used_days", "paused_days", "remaining_days", "light", "provisional", "evaluated_on",
            "application", "project", "agency",
        ]
        read_only_fields = fields

    def _subject(self, obj):
        return clock_subject(obj)

    def get_application(self, obj) -> str | None:
        app = self._subject(obj)["application"]
        return app.number if app else None

    def get_project(self, obj) -> str | None:
        project = self._subject(obj)["project"]
        return project.code if project else None

    def get_agency(self, obj) -> str | None:
        agency = self._subject(obj)["agency"]
        return agency.name if agency else None


class ClockListView(generics.ListAPIView):
    """Open clocks, red first. Filters: ?light=green|yellow|red, ?provisional=1."""

    serializer_class = ClockSerializer
    permission_classes = [IsCentre]

    def get_queryset(self):
        filters, errors = ClockFilterForm(self.request.query_params).values_and_errors()
        if errors:
            raise InvalidInput(errors)
        return clock_list(self.request.user, light=filters["light"], provisional=filters["provisional"])


app_name = "clocks-api"
urlpatterns = [path("", ClockListView.as_view(), name="list")]
