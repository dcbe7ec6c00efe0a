"""Log lines: JSON for machines by default, readable text when a person watches a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

SCRIPT = (
    "import logging; from aperture.logs import configure_logging; configure_logging();"
    "logging.getLogger('aperture.access').info('request', extra={'path': '/graphql', 'status': 200,"
    " 'authorization': 'Bearer ap_abcdefghijklmnopqrstuvwxyz'})"
)


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}


def test_logs_are_json_when_stderr_is_not_a_terminal() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=_env(), check=True, timeout=30
    )
    entry = json.loads(result.stderr.strip())
    assert entry["msg"] == "request"
    assert entry["path"] == "/graphql"
    assert entry["authorization"] == "[redacted]"


def test_logs_are_text_with_their_fields_when_stderr_is_a_terminal() -> None:
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-c", SCRIPT], stderr=terminal, env=_env(), check=True, timeout=30
        )
        assert process.returncode == 0
        line = os.read(controller, 4096).decode()
    finally:
        os.close(controller)
        os.close(terminal)
    assert not line.lstrip().startswith("{"), line
    assert "INFO    aperture.access: request" in line
    assert "path=/graphql" in line
    assert "status=200" in line
    assert "ap_abcdefghijklmnopqrstuvwxyz" not in line
    assert "authorization=[redacted]" in line
