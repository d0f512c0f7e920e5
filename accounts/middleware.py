import ipaddress

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from .ratelimit import over_limit


class PortalLocaleMiddleware(MiddlewareMixin):
    """Pages are Chinese unless the user picked another language with the switch (its cookie);
    the browser's Accept-Language is not enough, since an intranet PC's browser locale says little
    about its user. API clients still negotiate with Accept-Language.

    The portal's URLs carry no language prefix (no ``i18n_patterns``), so the path is never read for a
    language: Django's ``LocaleMiddleware`` (which this replaces) matches it against the language codes
    and looks for prefixed URL patterns twice per request, on every API call.
    """

    def process_request(self, request):
        if request.path.startswith("/api/") or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _trusted_proxies() -> list:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in settings.TRUSTED_PROXIES]


UNKNOWN_ADDRESS = "0.0.0.0"


def client_ip(request) -> str:
    """The address of the client that sent ``request``.

    ``REMOTE_ADDR``, unless the request comes from a trusted proxy (``DJANGO_TRUSTED_PROXIES``, addresses
    or networks): then the right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy
    (the left-most entries are whatever the client claimed, so they are never believed). django-axes
    (``AXES_CLIENT_IP_CALLABLE``) and the rate limits key on it. A request without a valid address (a
    server bound to a unix socket leaves ``REMOTE_ADDR`` empty) counts as ``UNKNOWN_ADDRESS``: such
    requests share one limit instead of failing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    try:
        remote_address = ipaddress.ip_address(remote)
    except ValueError:
        return UNKNOWN_ADDRESS
    proxies = _trusted_proxies()
    if not any(remote_address in net for net in proxies):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed header: keep to the proxy's own address
        if not any(address in net for net in proxies):
            return str(address)
    return remote


class PrivateApiResponseMiddleware(MiddlewareMixin):
    """API answers carry personal data (names, masked numbers, addresses, a case's history): no shared
    cache and no browser cache may keep them (``Cache-Control: private, no-store``)."""

    def process_response(self, request, response):
        if request.path.startswith("/api/v1/"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class RejectNulMiddleware(MiddlewareMixin):
    """A NUL character in a page's query string or form field is never meant (PostgreSQL refuses to
    store or compare it): the request gets a 400 page (templates/errors/400.html) before any view reads it.
    The API answers for itself, field by field."""

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return None
        fields = [request.GET]
        if request.method == "POST":
            fields.append(request.POST)
        for data in fields:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest("NUL character in the request")
        return None


# The requests that store files, and those that create accounts: POSTs to these paths.
REGISTRATION_PATHS = ("/accounts/register/", "/api/v1/auth/register/")


def _is_upload(request) -> bool:
    return request.content_type == "multipart/form-data" and not request.path.startswith(REGISTRATION_PATHS)


class RateLimitMiddleware(MiddlewareMixin):
    """Uploads (every multipart POST) per signed-in user and per client address, and registrations per
    address, limited by ``settings.RATE_LIMITS`` (``accounts.ratelimit``). Over the limit: 429, in JSON
    for the API, a page otherwise."""

    def process_request(self, request):
        if request.method != "POST":
            return None
        if request.path.startswith(REGISTRATION_PATHS):
            checks = [("registrations", "ip")]
        elif _is_upload(request):
            checks = [("uploads-per-user", _user_key), ("uploads-per-address", "ip")]
        else:
            return None
        for group, key in checks:
            if over_limit(request, group, key=key):
                return _too_many(request)
        return None


def _user_key(group, request) -> str:
    """Who uploads: the signed-in user (session), else the API token sent (DRF authenticates it only
    later, in the view), else the address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    credentials = request.META.get("HTTP_AUTHORIZATION", "")
    return f"credentials:{credentials}" if credentials else f"address:{client_ip(request)}"


def _too_many(request):
    message = _("操作过于频繁，请稍后再试。")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "rate_limited"}, status=429)
    page = render_to_string("errors/429.html", {"message": message}, request=request)
    return HttpResponse(page, status=429)
