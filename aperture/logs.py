"""Structured JSON logs with the request id of the work being done, and no secrets."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}  # uvicorn's ANSI-coloured duplicate
)
# Bearer tokens, passwords in JSON bodies, and presigned URL signatures
_SECRET_PATTERNS = [
    (re.compile(r"\bap_[A-Za-z0-9_\-]{20,}"), "ap_[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"']+"), r"\1[redacted]"),
    (re.compile(r'(?i)("?password"?\s*[:=]\s*)"[^"]*"'), r'\1"[redacted]"'),
    (
        re.compile(r"(?i)((?:signature|x-amz-signature|x-amz-credential|policy)=)[^&\s\"']+"),
        r"\1[redacted]",
    ),
]
_SECRET_KEYS = frozenset({"password", "token", "authorization", "secret", "signature", "url", "upload_url"})


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(key: str, value: Any) -> Any:
    if key.lower() in _SECRET_KEYS and isinstance(value, str) and key.lower() != "url":
        return "[redacted]"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key != "request_id" and not key.startswith("_"):
                entry[key] = _clean(key, value)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


class TextFormatter(logging.Formatter):
    """One line per record for a person at a terminal: time, level, logger, message, then the
    record's extra fields (an access log's method, path, status and duration) as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        extras = [
            f"{key}={_clean(key, value)}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        ]
        line = super().format(record)
        return redact(f"{line}  {' '.join(extras)}" if extras else line)


def resolve_format(fmt: str, stream: Any = None) -> str:
    """`auto` is text when the stream (stderr by default) is a terminal, json otherwise."""
    if fmt != "auto":
        return fmt
    isatty = getattr(stream or sys.stderr, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if resolve_format(fmt) == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our access log replaces uvicorn's; arq's per-job lines are kept at warning and above
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("arq.worker").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("strawberry.execution").disabled = True
