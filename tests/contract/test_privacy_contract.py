"""Follow requests, blocks, mutes and reports: the privacy services' own queries on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson import Int64

from services.foundation.ids import IdGenerator
from services.foundation.turn_batch import TurnBatch
from services.privacy.follow_requests import FollowRequests
from services.privacy.relations import RelationStore, relation_key
from services.privacy.reports import ReportReason, ReportService, ReportTarget
from tests.contract.privacy_graph import core_services, privacy_graph


@pytest.fixture
async def world(contract_db: Any, contract_redis: Any) -> dict[str, Any]:
    core = core_services(contract_db, contract_redis, node=4)
    ids, users, posts, follows = core.ids, core.users, core.posts, core.follows
    graph = privacy_graph(contract_db, contract_redis, ids, users, follows, core.bus)
    reports = ReportService(contract_db, ids, posts=posts, users=users, policy=graph.policy)
    for service in (users, posts, follows, graph.privacy, reports):
        await service.ensure_indexes()
    people = {
        name: (await users.sign_up(name, "password-1", None)).id for name in ("ann", "ben", "cat", "dan")
    }
    return {
        "users": users,
        "posts": posts,
        "follows": follows,
        "graph": graph,
        "reports": reports,
        "requests": FollowRequests(contract_db, ids),
        "redis": contract_redis,
        "people": people,
    }


async def test_relations_page_and_answer_from_mongodb_and_from_the_cache(world: dict[str, Any]) -> None:
    blocks, redis = world["graph"].blocks, world["redis"]
    ann, ben, cat, dan = (world["people"][n] for n in ("ann", "ben", "cat", "dan"))
    assert await blocks.add(ann, ben)
    assert await blocks.add(ann, cat)
    assert not await blocks.add(ann, cat), "a second block of the same person is a duplicate"
    assert await blocks.add(dan, ben)
    page = await blocks.page(ann, None, 1)
    assert ([edge.to_id for edge in page.items], page.has_next) == ([cat], True)
    rest = await blocks.page(ann, page.items[-1].seq, 5)
    assert ([edge.to_id for edge in rest.items], rest.has_next) == ([ben], False)
    # Cold (from MongoDB, filling the set), then warm (the set alone)
    for _ in range(2):
        assert await blocks.which(blocks.outgoing, ann, [ben, cat, dan]) == {ben, cat}
        assert await blocks.which(blocks.incoming, ben, [ann, cat, dan]) == {ann, dan}
    assert await redis.exists(relation_key("blocks", ann))
    assert await blocks.remove(ann, ben)
    assert not await blocks.remove(ann, ben)
    assert await blocks.which(blocks.outgoing, ann, [ben, cat]) == {cat}
    assert await blocks.which(blocks.incoming, ben, [ann, dan]) == {dan}


async def test_relations_answer_for_ids_as_mongodb_returns_them_over_the_pipelined_wire(
    world: dict[str, Any], contract_db: Any, contract_redis: Any
) -> None:
    # The app's batch goes over the pipelined wire (hiredis), which refuses bson.Int64: ids
    # read back from MongoDB (a comment's author, a liker) must still be answered, cold and warm
    turns = TurnBatch(contract_redis)
    assert turns.pipelined
    blocks = RelationStore(
        contract_db["blocks"], contract_redis, IdGenerator(node=5), name="blocks", reverse=True, turns=turns
    )
    ann, ben, cat = (world["people"][n] for n in ("ann", "ben", "cat"))
    assert await blocks.add(ann, ben)
    assert blocks.incoming is not None
    for _ in range(2):
        found = await asyncio.wait_for(
            blocks.which(blocks.outgoing, ann, [Int64(ben), Int64(cat)]), timeout=10
        )
        assert found == {ben}
        assert await asyncio.wait_for(blocks.which(blocks.incoming, ben, [Int64(ann)]), timeout=10) == {ann}
    await turns.aclose()


async def test_follow_requests_are_kept_once_and_paged_by_target(world: dict[str, Any]) -> None:
    requests = world["requests"]
    ann, ben, cat = (world["people"][n] for n in ("ann", "ben", "cat"))
    assert await requests.create(ben, ann)
    assert not await requests.create(ben, ann)
    assert await requests.create(cat, ann)
    page = await requests.page(ann, None, 10)
    assert [r.requester_id for r in page.items] == [cat, ben]
    assert await requests.requested_which(ben, [ann, cat]) == {ann}
    assert await requests.delete(ben, ann)
    assert not await requests.delete(ben, ann)
    assert [r.requester_id for r in (await requests.page(ann, None, 10)).items] == [cat]


async def test_a_private_account_is_seen_by_approved_followers_only(world: dict[str, Any]) -> None:
    users, graph = world["users"], world["graph"]
    ann, ben, cat = (world["people"][n] for n in ("ann", "ben", "cat"))
    await users.update_profile(ann, None, None, is_private=True)
    assert (await users.get(ann)).is_private
    changed, _ = await graph.privacy.follow(ben, ann)
    assert changed
    assert not await graph.policy.can_see(ben, ann), "a request is not a follow"
    assert await graph.privacy.approve(ann, ben)
    assert await graph.policy.can_see(ben, ann)
    assert not await graph.policy.can_see(cat, ann)
    assert not await graph.policy.can_see(None, ann)
    assert await graph.policy.visible_authors(cat, [ann, ben, cat]) == {ben, cat}


async def test_reports_are_kept_once_per_reporter_and_target(world: dict[str, Any]) -> None:
    reports, posts = world["reports"], world["posts"]
    ann, ben = world["people"]["ann"], world["people"]["ben"]
    post = await posts.create(ann, "reported")
    assert await reports.report_post(ben, post.id, ReportReason.SPAM, "spam")
    assert not await reports.report_post(ben, post.id, ReportReason.HATE, "again")
    assert await reports.report_user(ben, ann, ReportReason.OTHER, "")
    newest = await reports.newest(10)
    assert [(r.target, r.target_id, r.subject_user_id, r.reason) for r in newest] == [
        (ReportTarget.USER, ann, ann, ReportReason.OTHER),
        (ReportTarget.POST, post.id, ann, ReportReason.SPAM),
    ]
