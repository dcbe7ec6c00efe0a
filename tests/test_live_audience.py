"""Who a live post goes to, decided for all its viewers at once, agrees with asking each one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.accounts.users import UserRecord
    from services.container import Services


async def _people(services: Services, *names: str) -> list[UserRecord]:
    return [await services.users.sign_up(name, "password-123", None) for name in names]


async def test_the_live_audience_matches_the_policy_asked_viewer_by_viewer(services: Services) -> None:
    author, plain, blocks_author, blocked, mutes_author, in_a_block, stranger = await _people(
        services, "author", "plain", "blocksauthor", "blocked", "mutesauthor", "inablock", "stranger"
    )
    privacy = services.privacy
    assert await privacy.block(blocks_author.id, author.id)
    assert await privacy.block(author.id, blocked.id)
    assert await privacy.mute(mutes_author.id, author.id)
    assert await privacy.block(in_a_block.id, stranger.id)
    viewers = [plain, blocks_author, blocked, mutes_author, in_a_block, author]
    policy = services.policy
    for viewer in viewers:
        await policy.cache_blocks_of(viewer.id)

    audience = await policy.live_audience(author.id, [viewer.id for viewer in viewers])

    assert audience.decided == {viewer.id for viewer in viewers}
    asked = {v.id for v in viewers if author.id in await policy.visible_authors(v.id, [author.id], home=True)}
    assert audience.seeing == asked == {plain.id, in_a_block.id, author.id}
    # In no block either way, by their cached sets: only the plain viewer and the muter
    assert audience.block_free == {plain.id, mutes_author.id}

    # An unmute is seen at once (the cached set of who muted the author was dropped)
    assert await privacy.unmute(mutes_author.id, author.id)
    assert mutes_author.id in (await policy.live_audience(author.id, [mutes_author.id])).seeing


async def test_a_private_authors_viewers_and_unknown_block_sets_are_left_to_ask(services: Services) -> None:
    author, follower, other = await _people(services, "private", "approved", "unrelated")
    await services.users.update_profile(author.id, None, None, is_private=True)
    audience = await services.policy.live_audience(author.id, [follower.id, author.id])
    assert audience.decided == audience.seeing == {author.id}, "only the author's own screen is decided"
    assert audience.block_free == frozenset()

    # A viewer whose block sets are not cached is not known to be in no block
    (public,) = await _people(services, "public")
    audience = await services.policy.live_audience(public.id, [other.id])
    assert audience.seeing == {other.id}
    assert audience.block_free == frozenset()
    await services.policy.cache_blocks_of(other.id)
    assert (await services.policy.live_audience(public.id, [other.id])).block_free == {other.id}
