"""Log records without ID numbers or phones: the free-text mask applied to every message and traceback.

Installed on the log handler (``app.logging_config``), so it covers every logger that reaches it: a
message or an exception that quotes a summary or a note ("…电话13800138000…") is written masked. Structured
``fields`` are left alone: they carry only ids, codes and paths by design, and a request id must stay as sent.
"""

from __future__ import annotations

import logging

from app.pii.free_text import mask_free_text

__all__ = ["MaskPersonalData"]

_traceback = logging.Formatter()


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_free_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatters use a record's exc_text when it is set instead of formatting exc_info again.
            record.exc_text = _traceback.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_free_text(record.exc_text)
        return True
