"""A ranked post's reason, in words a person reads beside the post."""

from __future__ import annotations

from services.ranking.scoring import Reason

# The words for a post past the ranked ones, where the feed continues newest first
CHRONOLOGICAL = "Newest first: past your ranked posts"

_TEMPLATES = {
    Reason.OWN_POST: "Your post",
    Reason.SHOWN_BEFORE: "Shown to you before",
    Reason.OFTEN_LIKED: "You often like posts by {author}",
    Reason.OFTEN_COMMENTED: "You often comment on posts by {author}",
    Reason.OFTEN_VISITED: "You often visit {author}'s profile",
    Reason.POPULAR: "Popular right now",
    Reason.NEW: "New from {author}",
    Reason.FOLLOWED: "From {author}, whom you follow",
}


def reason_text(reason: Reason, author_username: str | None) -> str:
    author = f"@{author_username}" if author_username else "a followed account"
    return _TEMPLATES[reason].format(author=author)
