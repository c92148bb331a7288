from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render


def healthz(request):
    """Liveness + database check for compose/orchestrators; no login, no data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request):
    return render(request, "common/home.html", {})


def forbidden(message: str) -> HttpResponse:
    return HttpResponse(message, status=403)
