"""Masking of phone and ID numbers before anything reaches a log.

Citizens send phone numbers, 12-digit căn cước numbers and dossier codes freely. Logs are
read by more people than the data is meant for, so every log record passes through
`MaskingFilter`, installed once per process by `install_log_masking`.
"""

from __future__ import annotations

import logging
import re

# Any run of 9 to 13 digits, possibly grouped by spaces, dots or dashes, possibly +84.
_NUMBER_RUN = re.compile(r"(?<![\w.\-])(\+?\d(?:[ .\-]?\d){8,12})(?![\w])")


def _mask_run(match: re.Match[str]) -> str:
    raw = match.group(1)
    digits = [index for index, char in enumerate(raw) if char.isdigit()]
    keep_head, keep_tail = 3, 3
    hidden = set(digits[keep_head:-keep_tail])
    return "".join("*" if index in hidden else char for index, char in enumerate(raw))


def mask_pii(text: str) -> str:
    """Replace the middle digits of phone and ID numbers: "0912345678" -> "091****678"."""
    return _NUMBER_RUN.sub(_mask_run, text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's final message with `mask_pii`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_masking() -> None:
    """Attach the masking filter to every handler of the root logger (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request to Rasa is noise
    for handler in root.handlers:
        if not any(isinstance(existing, MaskingFilter) for existing in handler.filters):
            handler.addFilter(MaskingFilter())
