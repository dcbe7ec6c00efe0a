"""Entry point of the media child process:

    python -m processing.run image|video SOURCE OUT_DIR DECLARED_TYPE OPTIONS_JSON

Prints one JSON line: {"ok": {...}} or {"rejected": {"code": ..., "reason": ...}}. Any other ending (a crash,
a signal, a timeout) is the parent's to report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from processing.errors import MediaFailure, MediaRejected


def main(argv: list[str]) -> int:
    kind, source, out_dir, declared, raw_options = argv
    options = json.loads(raw_options)
    try:
        if kind == "image":
            from processing.images import ImageLimits, process_image  # noqa: PLC0415

            limits = ImageLimits(max_side=options["max_side"], max_pixels=options["max_pixels"])
            result = process_image(Path(source), Path(out_dir), declared, limits)
        elif kind == "video":
            from processing.video import transcode  # noqa: PLC0415

            result = transcode(Path(source), Path(out_dir), declared, options["max_seconds"])
        else:
            raise MediaRejected(MediaFailure.WRONG_TYPE, f"unknown media kind {kind!r}")  # noqa: TRY301
    except MediaRejected as rejection:
        sys.stdout.write(
            json.dumps({"rejected": {"code": rejection.code, "reason": rejection.reason}}) + "\n"
        )
        return 0
    sys.stdout.write(json.dumps({"ok": result}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
