"""The API's JSON renderer and parsers: DRF's, with orjson, and input checks every endpoint shares."""

import orjson
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
# Dates and times go to DRF's encoder, so the output is DRF's byte for byte; keys that are not strings
# are written as the standard library writes them.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

NOT_AN_OBJECT = "not_an_object"
NULL_CHARACTER = "null_characters_not_allowed"
MESSAGE_NOT_AN_OBJECT = _("请求体必须是一个 JSON 对象。")
MESSAGE_NULL_CHARACTER = _("不能包含空字符（NUL）。")


class JSONRenderer(renderers.JSONRenderer):
    """DRF's compact JSON written by orjson (what orjson does not know itself, such as decimals and lazy
    translations, goes through DRF's encoder; U+2028/U+2029 are escaped as DRF does). Indented output
    and integers beyond 64 bits are left to DRF's own renderer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        return out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def reject_null_characters(fields) -> None:
    """A 400 naming each field (``fields``: name → value, or a QueryDict) whose text holds a NUL, which
    PostgreSQL cannot store."""
    items = fields.lists() if hasattr(fields, "lists") else fields.items()
    bad = {name: [MESSAGE_NULL_CHARACTER] for name, value in items if _holds_nul(name) or _holds_nul(value)}
    if bad:
        raise ValidationError(bad, code=NULL_CHARACTER)


class JSONParser(parsers.JSONParser):
    """A JSON object, parsed by orjson (malformed JSON or JSON nested deeper than 1024 levels is a
    parse error); any other JSON value, or text holding a NUL, is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            raise ParseError(_("JSON 格式错误：%(error)s") % {"error": exc}) from None
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [MESSAGE_NOT_AN_OBJECT]}, code=NOT_AN_OBJECT)
        reject_null_characters(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        reject_null_characters(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        reject_null_characters(parsed.data)
        return parsed
