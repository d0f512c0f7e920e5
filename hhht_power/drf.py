"""The API's JSON renderer and content negotiation: DRF's, with a shorter path for the common request."""

import orjson
from rest_framework import negotiation, renderers
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
# Dates, times and instants are written by orjson in DRF's formats (ISO 8601, microseconds when there
# are any, "Z" for a zero UTC offset): the serializers hand it the instants themselves (a C call each,
# where ``isoformat`` and DRF's suffix check cost a third of a case's serializer). Dataclasses go to DRF's
# encoder; keys that are not strings are written as the standard library writes them.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_DATACLASS


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer writing its compact UTF-8 form with orjson, several times faster than the
    standard library on a page of cases, to the same bytes: what orjson does not know itself (decimals,
    lazy translations...) goes through DRF's encoder, and U+2028/U+2029 are escaped as DRF does. One
    difference: a UTC offset with seconds (a zone's local mean time, before 1901) is written to the
    minute, as RFC 3339 has it, where DRF would write the seconds too.
    Indented output (``Accept: application/json; indent=4``, the browsable API), what orjson refuses
    (integers beyond 64 bits) and the ASCII-only or spaced settings are left to DRF's own."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        return out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation, answering the API client's usual request (no ``format`` parameter, no Accept
    header or one taking anything or JSON) without parsing the header: the first renderer, when it
    writes JSON, as DRF would choose it. Anything else is negotiated by DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            not format_suffix
            and request.META.get("HTTP_ACCEPT", "*/*") in ("*/*", "application/json")
            and renderers
            and renderers[0].media_type == "application/json"
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
