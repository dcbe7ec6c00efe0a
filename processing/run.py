"""Entry point of a media child process: `python -m processing.run`.

It loads the decoders once, answers {"ready": true}, then reads one request per line on stdin
({"kind", "source", "out_dir", "declared", "options"}) and answers each with one line:
{"ok": {...}, "rss": bytes} or {"rejected": {"code", "reason"}}. It exits at the end of its
input. Any other ending (a crash, a signal, a timeout) is the parent's to report
(processing/child.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from processing.errors import MediaFailure, MediaRejected
from processing.images import ImageLimits, process_image, warm_up_coders

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _resident_bytes() -> int:
    # What the process holds now, not its peak: the parent retires a child that has grown
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES


def handle(request: dict[str, Any]) -> dict[str, Any]:
    kind, declared, options = request["kind"], request["declared"], request["options"]
    source, out_dir = Path(request["source"]), Path(request["out_dir"])
    try:
        if kind == "image":
            limits = ImageLimits(max_side=options["max_side"], max_pixels=options["max_pixels"])
            result = process_image(source, out_dir, declared, limits)
        elif kind == "video":
            # Imported on the first video: PyAV's libraries cost a cold image child 80 ms
            from processing.video import transcode  # noqa: PLC0415

            result = transcode(source, out_dir, declared, options["max_seconds"])
        else:
            raise MediaRejected(MediaFailure.WRONG_TYPE, f"unknown media kind {kind!r}")  # noqa: TRY301
    except MediaRejected as rejection:
        return {"rejected": {"code": rejection.code.value, "reason": rejection.reason}}
    return {"ok": result, "rss": _resident_bytes()}


def _answer(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def main() -> int:
    # Answers go to a private copy of stdout; whatever a library prints goes to stderr, so
    # it can never be mistaken for an answer
    with os.fdopen(os.dup(sys.stdout.fileno()), "w") as answers:
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        warm_up_coders()
        _answer(answers, {"ready": True})
        for line in sys.stdin:
            _answer(answers, handle(json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
