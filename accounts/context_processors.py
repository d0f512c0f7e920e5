from .navigation import banners_for, nav_for


def portal(request):
    user = getattr(request, "user", None)
    return {"portal_nav": nav_for(user), "portal_banners": banners_for(request)}
