from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin


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
