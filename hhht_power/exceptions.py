"""The API's one exception handler (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``): domain errors become JSON
answers with a stable ``code``, so views never catch them.

- invalid fields (Django's or DRF's ``ValidationError``): 400 ``{field: [message], "codes": {field:
  [code]}}`` (a duplicate application also names the ``existing`` case);
- not the caller's role or case (``PermissionDenied``): 403 ``{"detail", "code": "forbidden"}``;
- a missing object (``ObjectDoesNotExist``, ``Http404``): 404;
- not allowed from the current state, or lost a race (``TransitionNotAllowed``,
  ``ConcurrentTransition``): 409 ``{"detail", "code": "conflict"}``;
- DRF's own errors (401, 405, 406, 415, 429...): DRF's answer with the error's ``code``.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

CONFLICT = "conflict"
FORBIDDEN = "forbidden"
NON_FIELD = "non_field_errors"
MESSAGE_FORBIDDEN = _("无权执行此操作。")
MESSAGE_CONFLICT = _("当前状态下不能执行此操作，请刷新后重试。")


def django_validation_body(exc: DjangoValidationError) -> dict:
    """``{field: [message], "codes": {field: [code]}}``, and ``existing`` (``{id, number}``) for an
    address error that names the duplicate case."""
    items = exc.error_dict.items() if hasattr(exc, "error_dict") else [(NON_FIELD, exc.error_list)]
    body, codes = {}, {}
    for field, errors in items:
        body[field] = [message for error in errors for message in error.messages]
        codes[field] = [error.code or "invalid" for error in errors]
        for error in errors:
            if field == "address" and error.params and "id" in error.params:
                body["existing"] = {"id": error.params["id"], "number": str(error.params.get("ref", ""))}
    body["codes"] = codes
    return body


def drf_validation_body(exc: exceptions.ValidationError) -> dict:
    """DRF's field errors in the same shape as Django's."""
    detail, codes = exc.detail, exc.get_codes()
    if not isinstance(detail, dict):
        detail, codes = {NON_FIELD: detail}, {NON_FIELD: codes}
    return {**detail, "codes": codes}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(django_validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        body = {"detail": str(exc) or MESSAGE_FORBIDDEN, "code": FORBIDDEN}
        return Response(body, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, (TransitionNotAllowed, ConcurrentTransition)):
        body = {"detail": str(exc) or MESSAGE_CONFLICT, "code": CONFLICT}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = drf_validation_body(exc)
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or exceptions.NotFound.default_code
    return response
