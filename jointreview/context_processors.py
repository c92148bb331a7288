from django.conf import settings

from jointreview.navigation import home_links, links_for


def site(request):
    context = {"CENTRE_NAME": settings.JR_CENTRE_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav_links"] = links_for(user)
        context["home_links"] = home_links(user)
    return context
