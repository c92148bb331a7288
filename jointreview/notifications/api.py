"""The notification centre's API (/api/notifications/): a person's notifications, mark one or all
read. The same rules as the pages: one's own and one's organization's only (404 alike for missing
and not yours), read state per person."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jointreview import policy
from jointreview.api.errors import InvalidInput
from jointreview.models import Notification
from jointreview.notifications import selectors as sel
from jointreview.notifications import services as svc
from jointreview.notifications.forms import NotificationFilterForm


class NotificationSerializer(serializers.ModelSerializer):
    subject = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()
    link = serializers.SerializerMethodField(help_text="the page of the thing it is about, for this reader; "
                                                       "null when they may not open it")
    application = serializers.CharField(source="application.number", default=None)
    personal = serializers.SerializerMethodField(help_text="addressed to this person (else to their organization)")

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "created_at", "unread", "personal", "application", "link"]

    def get_subject(self, obj) -> str:
        return obj.render()[0]

    def get_body(self, obj) -> str:
        return obj.render()[1]

    def get_unread(self, obj) -> bool:
        return not obj.read_one and obj.pk > obj.read_upto

    def get_personal(self, obj) -> bool:
        return obj.user_id is not None

    def get_link(self, obj) -> str | None:
        return sel.notification_target(self.context["request"].user, obj)


class NewestFirst(CursorPagination):
    """Pages by position, newest first, without counting every notification."""

    ordering = "-id"
    page_size = 50


class NotificationListView(generics.ListAPIView):
    """The person's notifications, newest first (``next``/``previous`` links, no total). Filter: ?unread=1."""

    serializer_class = NotificationSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        values, errors = NotificationFilterForm(self.request.query_params).values_and_errors()
        if errors:
            raise InvalidInput(errors)
        return sel.notification_list(self.request.user, unread_only=bool(values["unread"]))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:  # the grants the links depend on, once for the page
            policy.prefetch_grants(self.request.user, [n.assignment for n in page if n.assignment_id])
            policy.prefetch_grants(self.request.user, [n.application for n in page if n.application_id])
        return page


_READ = inline_serializer("NotificationRead", {"id": serializers.IntegerField(), "unread": serializers.BooleanField()})
_READ_ALL = inline_serializer("NotificationsReadAll", {"marked": serializers.IntegerField(),
                                                       "unread": serializers.IntegerField()})


class NotificationReadView(APIView):
    @extend_schema(request=None, responses=_READ)
    def post(self, request, pk: int):
        n = policy.access_notification(request.user, pk)
        svc.notification_mark_read(actor=request.user, notification=n)
        return Response({"id": n.pk, "unread": False})


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses=_READ_ALL)
    def post(self, request):
        marked = svc.notification_mark_all_read(actor=request.user)
        return Response({"marked": marked, "unread": sel.unread_count(request.user)})


app_name = "notifications-api"
urlpatterns = [
    path("", NotificationListView.as_view(), name="list"),
    path("read-all/", NotificationReadAllView.as_view(), name="read_all"),
    path("<int:pk>/read/", NotificationReadView.as_view(), name="read"),
]
