"""Masking of phone and ID numbers before anything reaches a log.

Citizens send phone numbers, 12-digit căn cước numbers and dossier codes freely. Logs are
read by more people than the data is meant for, so every log record is masked as it is
created, once `install_log_masking` has run in the process.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# Any run of 9 to 13 digits, possibly grouped by spaces, dots or dashes, possibly +84. It may
# follow a word directly ("sđt0912345678") when it starts like a phone or căn cước number
# (0 or +); a run inside a dossier code ("H26-250612-0012") is left alone.
_NUMBER_RUN = re.compile(r"(?:(?<![\w.\-])|(?<=[^\W\d_])(?=[0+]))(\+?\d(?:[ .\-]?\d){8,12})(?!\d)")


def _mask_run(match: re.Match[str]) -> str:
    raw = match.group(1)
    digits = [index for index, char in enumerate(raw) if char.isdigit()]
    keep_head, keep_tail = 3, 3
    hidden = set(digits[keep_head:-keep_tail])
    return "".join("*" if index in hidden else char for index, char in enumerate(raw))


def mask_pii(text: str) -> str:
    """Replace the middle digits of phone and ID numbers: "0912345678" -> "091****678"."""
    return _NUMBER_RUN.sub(_mask_run, text)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record's final message and its traceback, which may quote SQL parameters or citizen text."""
    message = record.getMessage()
    masked = mask_pii(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info:
        record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)
    return record


def install_log_masking() -> None:
    """Mask every log record of this process as it is created (idempotent).

    A record factory rather than a handler filter: it covers every logger and handler,
    including those libraries add later (uvicorn's error log, the action server's).
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_pii", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(factory(*args, **kwargs))

    masked_record.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)
