"""Government intranets are offline: no page may load a script, style, font or image from elsewhere."""
import re

import pytest
from django.urls import reverse

from tests.factories import CentreAdminFactory

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
JS_URL = re.compile(r"""["'](https?:)?//[^"']+\.(?:js|css|woff2?|png|svg)["']""", re.I)


@pytest.mark.parametrize("name", ["login", "home", "api-docs", "admin:index"])
def test_pages_load_assets_only_from_this_site(client, name):
    client.force_login(CentreAdminFactory())
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    external = [url for url in ASSET.findall(html) if re.match(r"^(https?:)?//", url)]
    assert external == []
    assert JS_URL.findall(html) == []
