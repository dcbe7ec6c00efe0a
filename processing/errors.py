class MediaRejected(Exception):  # noqa: N818 - a rejection is an outcome, not a programming error
    """The input is unusable; the reason is shown to the client as the media's failure reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
