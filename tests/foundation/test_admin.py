"""The admin pages of every model render for a centre admin and are refused to everybody else."""
import pytest
from django.contrib import admin
from django.urls import reverse

from jointreview.auth import SUPERUSER_APPS
from tests.factories import CentreAdminFactory, CoordinatorFactory, OwnerUserFactory, ReviewerFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)
CENTRE_ADMIN_MODELS = [(m, ma) for m, ma in REGISTERED if m._meta.app_label not in SUPERUSER_APPS]
SUPERUSER_ONLY = [m for m, _ma in REGISTERED if m._meta.app_label in SUPERUSER_APPS]


@pytest.fixture
def centre_admin_client(client):
    client.force_login(CentreAdminFactory())
    return client


def test_every_project_model_is_registered():
    from django.apps import apps

    labels = {m._meta.label for m in admin.site._registry}
    for model in apps.get_app_config("jointreview").get_models():
        if not model.__name__.endswith("ObjectPermission"):
            assert model._meta.label in labels
    for model in apps.get_app_config("projects").get_models():
        if not model.__name__.endswith("ObjectPermission"):
            assert model._meta.label in labels


@pytest.mark.parametrize("model", [m for m, _ in CENTRE_ADMIN_MODELS], ids=lambda m: m._meta.label)
def test_changelist_renders_for_centre_admin(centre_admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = centre_admin_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("model", [m for m, ma in CENTRE_ADMIN_MODELS if ma.has_add_permission.__qualname__.split(".")[0] != "ReadOnlyAdmin"],
                         ids=lambda m: m._meta.label)
def test_add_form_renders_for_centre_admin(centre_admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    response = centre_admin_client.get(url)
    assert response.status_code in (200, 403)  # 403 only where the model is append-only by design


@pytest.mark.parametrize("factory", [OwnerUserFactory, ReviewerFactory, CoordinatorFactory],
                         ids=["owner", "agency", "coordinator"])
def test_admin_is_refused_to_non_admins(client, factory):
    user = factory()
    user.is_staff = True  # even a staff flag set by mistake does not open the admin
    user.save()
    client.force_login(user)
    for url in [reverse("admin:index"), reverse("admin:jointreview_item_changelist"),
                reverse("admin:projects_project_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", SUPERUSER_ONLY, ids=lambda m: m._meta.label)
def test_beat_groups_and_permissions_are_a_superusers(centre_admin_client, admin_client, model):
    """A centre admin cannot switch off beat tasks or hand out groups; a superuser can."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert centre_admin_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200
