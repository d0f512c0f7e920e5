"""The landing page."""

from django.shortcuts import redirect, render

from accounts.navigation import nav_for


def home(request):
    """Landing page: each role goes to its own workspace; others see the public guide links."""
    items = nav_for(request.user)
    if request.user.is_authenticated:
        first = next((i for i in items if i["name"] not in ("supervision:guide", "deadlines:inbox")), None)
        if first and first["name"] != "admin:index":
            return redirect(first["url"])
    return render(request, "home.html", {"items": items})
