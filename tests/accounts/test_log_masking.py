"""ID and phone numbers never reach a log line: not in the message, the traceback, the exception text or
an ``extra`` value, whatever formatter writes the record (the settings' handler, a JSON one, Celery's)."""

import io
import json
import logging

import pytest
from django.db import IntegrityError

from accounts.masking import MaskPersonalDataFilter, mask_handlers

ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
CREDIT_CODE = "91150100MA0N12345X"


def _raise_and_log(logger):
    try:
        try:
            raise ValueError(f"contact {PHONE} for {CREDIT_CODE}")
        except ValueError as inner:
            raise IntegrityError(
                f"duplicate key value violates unique constraint\nDETAIL:  Key (id_number, address_key)="
                f"({ID_NUMBER}, 呼和浩特市新城区12号) already exists."
            ) from inner
    except IntegrityError:
        logger.exception(
            "Internal Server Error: %s", f"/api/v1/applications/?phone={PHONE}", extra={"who": ID_NUMBER}
        )


def _assert_masked(text):
    assert "Traceback" in text and "IntegrityError" in text
    for secret in (ID_NUMBER, PHONE, CREDIT_CODE):
        assert secret not in text
    assert "110105********002X" in text and "139****5678" in text


def test_the_configured_console_handler_masks_a_traceback():
    """The handler settings.LOGGING installs on the root logger, its output captured."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskPersonalDataFilter) for f in h.filters)
    )
    out = io.StringIO()
    old = handler.setStream(out)
    try:
        _raise_and_log(logging.getLogger("django.request"))
    finally:
        handler.setStream(old)
    _assert_masked(out.getvalue())


class _JsonFormatter(logging.Formatter):
    """A structured formatter as JSON loggers write one: the traceback and every extra value."""

    def format(self, record):
        data = {"message": record.getMessage(), "who": getattr(record, "who", None)}
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc_info"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def test_a_structured_formatter_gets_the_masked_record():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(_JsonFormatter())
    handler.addFilter(MaskPersonalDataFilter())
    logger = logging.getLogger("tests.masking.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        _raise_and_log(logger)
    finally:
        logger.removeHandler(handler)
    line = json.loads(out.getvalue())
    assert line["who"] == "110105********002X"
    _assert_masked(json.dumps(line, ensure_ascii=False))


@pytest.mark.parametrize("signal_name", ["after_setup_logger", "after_setup_task_logger"])
def test_celery_worker_handlers_get_the_filter(signal_name):
    from celery import signals

    import hhht_power.celery  # noqa: F401  (connects the receivers)

    out = io.StringIO()
    logger = logging.getLogger(f"tests.masking.{signal_name}")
    logger.propagate = False
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        getattr(signals, signal_name).send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
        )
        _raise_and_log(logger)
    finally:
        logger.removeHandler(handler)
    _assert_masked(out.getvalue())


def test_masking_twice_changes_nothing_more():
    record = logging.makeLogRecord({"msg": "phone %s", "args": (PHONE,)})
    f = MaskPersonalDataFilter()
    f.filter(record)
    f.filter(record)
    assert record.getMessage() == "phone 139****5678"
    mask_handlers(None)  # the root logger's handlers keep one filter each
    assert all(
        sum(isinstance(x, MaskPersonalDataFilter) for x in h.filters) <= 1
        for h in logging.getLogger().handlers
    )


def test_the_digits_of_a_fraction_are_not_masked():
    from accounts.masking import mask_text

    line = "task succeeded in 0.027015930123456788s; caller 13812345678, id 11010519491231002X."
    assert (
        mask_text(line)
        == "task succeeded in 0.027015930123456788s; caller 138****5678, id 110105********002X."
    )
