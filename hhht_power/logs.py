"""Logs: plain text by default, one JSON object per line with ``LOG_FORMAT=json`` (structlog's formatter
over the standard library's records, so every module keeps ``logging.getLogger(__name__)``).

Each line written while a request is served carries its ``request_id`` (nginx's ``X-Request-ID``, or a new
one; sent back in the response), the signed-in ``user_id`` (never a name or phone) and, on a case's
pages and API, its ``case_id`` and, once the case is read, its ``case_number`` (``bind_case``). A Celery
task enqueued by the request carries the same context in a message header, and the worker's lines for that
task carry it too. Personal numbers are masked by ``accounts.masking`` as in every log.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

from accounts.masking import mask_text

logger = logging.getLogger("hhht_power.requests")

HEADER = "hhht_log_context"  # the Celery message header carrying the context
CONTEXT = ("request_id", "user_id", "case_id", "case_number")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The routes of a case: their ``pk`` is the case's id.
_CASE_ROUTES = re.compile(r"^(api/v1/)?applications/<int:pk>/")
# The request being served: its user is read when a line is written (after the view authenticated it).
_request: ContextVar = ContextVar("hhht_request", default=None)


def _mask_exception(_, __, event: dict) -> dict:
    """Tracebacks can quote personal data (a value in an error message): masked like the message."""
    if "exception" in event:
        event["exception"] = mask_text(event["exception"])
    return event


def _add_user(_, __, event: dict) -> dict:
    request = _request.get()
    if request is not None and "user_id" not in event:
        event["user_id"] = _user_id(request)
    return event


def json_formatter() -> logging.Formatter:
    """One JSON object per line: the record's message, level, logger, time (UTC) and the context."""
    chain = [
        structlog.contextvars.merge_contextvars,
        _add_user,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _mask_exception,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING setting: one console handler, personal data masked, plain or JSON lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask_personal": {"()": "accounts.masking.MaskPersonalDataFilter"}},
        "formatters": {
            "json": {"()": json_formatter},
            "plain": {"format": "%(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["mask_personal"],
                "formatter": "json" if log_format == "json" else "plain",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RequestContextMiddleware:
    """Binds the request's id, user and case to every log line written while it is served, logs one
    line when it is done, and answers with its ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        clear_contextvars()
        bind_contextvars(request_id=request_id)
        token = _request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            logger.info(
                "%s %s %s %.0f ms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            response["X-Request-ID"] = request_id
            return response
        finally:
            _request.reset(token)
            clear_contextvars()

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and "pk" in view_kwargs and _CASE_ROUTES.match(match.route):
            bind_contextvars(case_id=view_kwargs["pk"])


def bind_case(application) -> None:
    """The lines written from now on, and the tasks enqueued, name the case ``application`` (its id and,
    once submitted, its number)."""
    bind_contextvars(case_id=application.pk)
    if application.number:
        bind_contextvars(case_number=application.number)


def task_headers(headers: dict) -> None:
    """Before a task is published: the current log context goes with it."""
    context = {key: value for key, value in get_contextvars().items() if key in CONTEXT}
    request = _request.get()
    if request is not None:
        context["user_id"] = _user_id(request)
    if context:
        headers[HEADER] = context


def task_context(task, task_id) -> None:
    """Before a task runs in the worker: its log lines carry the context it was sent with."""
    clear_contextvars()
    request = task.request
    # A worker puts a message's headers on the request; an eager apply(headers=...) keeps them apart.
    context = getattr(request, HEADER, None) or (request.headers or {}).get(HEADER) or {}
    bind_contextvars(**{key: value for key, value in context.items() if key in CONTEXT})
    bind_contextvars(task=task.name, task_id=task_id)
