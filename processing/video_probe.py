"""What a video holds, measured from its samples rather than taken from its header.

A container header is a claim. An MP4 with its index at the front (faststart) that was cut
in half still declares its whole length, and one whose headers were edited can declare 5 s
over 20 minutes of samples. So the length is measured from the packets the demuxer really
reads, the first frame is decoded to learn how it is displayed, and only then is the file
judged against the limit and its own declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import av

from processing.errors import MediaFailure, MediaRejected

if TYPE_CHECKING:
    from pathlib import Path

    from av.container import InputContainer
    from av.packet import Packet
    from av.video.stream import VideoStream

# AAC priming and frame rounding make a recording of exactly the limit measure a little over it
LIMIT_SLACK_S = 0.5
# Streams of one file end a frame or two apart, and headers round; more missing than this is a cut
MISSING_SLACK_S = 0.5
MISSING_SLACK_RATIO = 0.02
_QUARTER_TURN = 90


@dataclass(frozen=True)
class VideoFacts:
    width: int  # as displayed, rotation applied
    height: int
    seconds: float  # from the first packet in the file to the end of the last one
    video_seconds: float  # the same, of the video stream alone
    declared_seconds: float | None  # what the container header says
    audio: bool

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def missing_seconds_allowed(expected_s: float) -> float:
    return max(MISSING_SLACK_S, MISSING_SLACK_RATIO * expected_s)


@dataclass
class _Span:
    first: float | None = None
    last: float = 0.0

    def add(self, begin: float, end: float) -> None:
        self.first = begin if self.first is None else min(self.first, begin)
        self.last = max(self.last, end)

    @property
    def seconds(self) -> float:
        return self.last - self.first if self.first is not None else 0.0


def _first_rotation(video: VideoStream, packet: Packet[Any] | None) -> int | None:
    try:
        return next((int(frame.rotation) for frame in video.codec_context.decode(packet)), None)
    except av.FFmpegError:
        return None  # a damaged packet; the next one may decode


def _measure(
    container: InputContainer, video: VideoStream, stop_after_s: float
) -> tuple[_Span, _Span, int | None]:
    """The time covered by the packets in the file, of all streams and of the video alone
    (stopping once past `stop_after_s`), and the rotation of the first frame that decodes."""
    whole, pictures = _Span(), _Span()
    rotation: int | None = None
    try:
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None:
                continue  # the demuxer's end-of-stream marker
            begin = float(packet.pts * packet.time_base)
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            whole.add(begin, end)
            if packet.stream is video:
                pictures.add(begin, end)
                rotation = _first_rotation(video, packet) if rotation is None else rotation
            if whole.seconds > stop_after_s:
                break
    except av.FFmpegError:
        pass  # the data breaks off here: what was read is what the file holds
    if rotation is None:
        rotation = _first_rotation(video, None)  # a decoder that holds frames back gives them up now
    return whole, pictures, rotation


def probe(source: Path, max_seconds: float) -> VideoFacts:
    """Raises MediaRejected for a file that is unreadable, longer than `max_seconds` or cut short."""
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise MediaRejected(MediaFailure.UNREADABLE, "the file has no video stream")
            video = container.streams.video[0]
            whole, pictures, rotation = _measure(container, video, max_seconds + LIMIT_SLACK_S)
            declared = container.duration / 1_000_000 if container.duration else None
            width, height, audio = video.width, video.height, bool(container.streams.audio)
    except av.FFmpegError as exc:
        raise MediaRejected(
            MediaFailure.UNREADABLE, f"the file could not be read as a video ({exc.__class__.__name__})"
        ) from None
    if rotation is None:
        raise MediaRejected(MediaFailure.UNREADABLE, "no frame of the video could be decoded")
    seconds = whole.seconds
    if seconds > max_seconds + LIMIT_SLACK_S:
        raise MediaRejected(MediaFailure.TOO_LONG, f"the video is longer than the limit of {max_seconds:g} s")
    if declared is not None and declared - seconds > missing_seconds_allowed(declared):
        raise MediaRejected(
            MediaFailure.TRUNCATED,
            f"the file is truncated: it declares {declared:.1f} s but holds {seconds:.1f} s",
        )
    if rotation % (2 * _QUARTER_TURN):
        width, height = height, width
    return VideoFacts(width, height, seconds, pictures.seconds, declared, audio)
