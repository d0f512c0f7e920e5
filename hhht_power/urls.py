from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from applications import api_urls as applications_api_urls
from portal import lookup

# The applications' own patterns sit directly in this list (not behind an include of their own): each
# level of includes is matched, and recorded as tried, on every request.
api_v1 = [
    *applications_api_urls.urlpatterns,
    path("auth/", include("accounts.api_urls")),
    path("", include("deadlines.api_urls")),
    path("", include("approvals.api_urls")),
    path("", include("supervision.api_urls")),
    path("lookup/", lookup.LookupView.as_view(), name="lookup-api"),
]

# The API first: a request is matched against the patterns in order, and API clients call often.
urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("healthz", account_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("portal.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The API docs' script is a file too (the split view); their widgets style themselves inline.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
]

# People get Chinese pages in the portal's frame; API clients (paths under /api/) get JSON.
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
