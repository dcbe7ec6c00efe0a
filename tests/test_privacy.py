"""Private accounts and follow requests, blocks, mutes and reports through the public API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from aperture import cli
from aperture.settings import Settings
from services.privacy.reports import ReportReason
from services.runtime import open_services
from tests.helpers import Api, TestUser, create_post, follow
from tests.processes import redis_db_url
from tests.test_privacy_authorization import (
    APPROVE,
    BLOCK,
    FOLLOW,
    HOME,
    MUTE,
    PROFILE,
    SET_PRIVATE,
    VIEWER_LISTS,
    ids_of,
    names_of,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    RunJobs = Callable[[], Awaitable[int]]

REJECT = "mutation($u: ID!) { rejectFollowRequest(userId: $u) { changed errors { code } } }"
CANCEL = "mutation($u: ID!) { cancelFollowRequest(userId: $u) { changed errors { code } } }"
UNBLOCK = "mutation($u: ID!) { unblock(userId: $u) { changed errors { code } } }"
UNMUTE = "mutation($u: ID!) { unmute(userId: $u) { changed errors { code } } }"
REPORT_POST = """mutation($p: ID!, $r: ReportReason!, $t: String!) {
  reportPost(postId: $p, reason: $r, text: $t) { reported errors { field code } } }"""
REPORT_USER = """mutation($u: ID!, $r: ReportReason!, $t: String!) {
  reportUser(userId: $u, reason: $r, text: $t) { reported errors { field code } } }"""
REQUESTS = "{ viewer { followRequests(first: 10) { edges { node { username } } } } }"


async def requests_of(api: Api, user: TestUser) -> list[str]:
    return names_of((await api.gql(REQUESTS, token=user.token))["viewer"]["followRequests"])


async def make_private(api: Api, user: TestUser, *, private: bool = True) -> None:
    payload = (await api.gql(SET_PRIVATE, {"p": private}, token=user.token))["updateProfile"]
    assert payload == {"user": {"isPrivate": private}, "errors": []}


async def test_approving_a_request_makes_a_follower_and_backfills_their_feed(
    api: Api, run_jobs: RunJobs
) -> None:
    owner, reader = await api.new_user("owner"), await api.new_user("reader")
    await make_private(api, owner)
    older = await create_post(api, owner, "before anyone followed")
    await api.gql(HOME, {"o": "LATEST"}, token=reader.token)
    assert (await api.gql(FOLLOW, {"u": owner.id}, token=reader.token))["follow"] == {
        "changed": True,
        "requested": True,
        "errors": [],
    }
    # Asking twice is one request
    again = (await api.gql(FOLLOW, {"u": owner.id}, token=reader.token))["follow"]
    assert again == {"changed": False, "requested": True, "errors": []}
    assert await requests_of(api, owner) == [reader.username]
    await run_jobs()
    assert ids_of((await api.gql(HOME, {"o": "LATEST"}, token=reader.token))["viewer"]["homeTimeline"]) == []

    assert (await api.gql(APPROVE, {"u": reader.id}, token=owner.token))["approveFollowRequest"]["changed"]
    await run_jobs()
    assert await requests_of(api, owner) == []
    home = (await api.gql(HOME, {"o": "LATEST"}, token=reader.token))["viewer"]["homeTimeline"]
    assert ids_of(home) == [older], "approval backfills as a follow does"
    newer = await create_post(api, owner, "for my followers")
    await run_jobs()
    assert ids_of((await api.gql(HOME, {"o": "LATEST"}, token=reader.token))["viewer"]["homeTimeline"]) == [
        newer,
        older,
    ]
    # Approving what is no longer pending changes nothing
    assert (await api.gql(APPROVE, {"u": reader.id}, token=owner.token))["approveFollowRequest"] == {
        "changed": False,
        "errors": [],
    }


async def test_rejected_and_cancelled_requests_leave_no_follower(api: Api) -> None:
    owner, rejected, cancelling = [await api.new_user(n) for n in ("owner", "rejected", "cancelling")]
    await make_private(api, owner)
    for asker in (rejected, cancelling):
        await api.gql(FOLLOW, {"u": owner.id}, token=asker.token)
    assert sorted(await requests_of(api, owner)) == sorted([rejected.username, cancelling.username])
    assert (await api.gql(REJECT, {"u": rejected.id}, token=owner.token))["rejectFollowRequest"]["changed"]
    assert (await api.gql(CANCEL, {"u": owner.id}, token=cancelling.token))["cancelFollowRequest"]["changed"]
    assert await requests_of(api, owner) == []
    profile = (await api.gql(PROFILE, {"u": owner.username}, token=owner.token))["user"]
    assert names_of(profile["followers"]) == []
    # A request is not a follow: the asker was never shown anything
    assert (await api.gql(PROFILE, {"u": owner.username}, token=rejected.token))["user"]["posts"][
        "edges"
    ] == []


async def test_turning_public_approves_pending_requests_and_turning_private_keeps_followers(
    api: Api, run_jobs: RunJobs
) -> None:
    owner, early, asker, stranger = [await api.new_user(n) for n in ("owner", "early", "asker", "stranger")]
    await follow(api, early, owner)
    await make_private(api, owner)
    post = await create_post(api, owner, "private now")
    profile = (await api.gql(PROFILE, {"u": owner.username}, token=early.token))["user"]
    assert ids_of(profile["posts"]) == [post], "a follower from before stays a follower"
    assert (await api.gql(PROFILE, {"u": owner.username}, token=stranger.token))["user"]["posts"][
        "edges"
    ] == []

    await api.gql(FOLLOW, {"u": owner.id}, token=asker.token)
    await make_private(api, owner, private=False)
    await run_jobs()
    assert await requests_of(api, owner) == []
    followers = (await api.gql(PROFILE, {"u": owner.username}, token=stranger.token))["user"]["followers"]
    assert sorted(names_of(followers)) == sorted([early.username, asker.username])
    assert ids_of((await api.gql(PROFILE, {"u": owner.username}, token=stranger.token))["user"]["posts"]) == [
        post
    ]


async def test_unblocking_and_unmuting_restore_visibility_but_not_follows(
    api: Api, run_jobs: RunJobs
) -> None:
    one, other = await api.new_user("one"), await api.new_user("other")
    await follow(api, other, one)
    post = await create_post(api, one, "visible again later")
    await api.gql(BLOCK, {"u": other.id}, token=one.token)
    assert (await api.gql(PROFILE, {"u": one.username}, token=other.token))["user"] is None
    assert (await api.gql(UNBLOCK, {"u": other.id}, token=one.token))["unblock"] == {
        "changed": True,
        "errors": [],
    }
    profile = (await api.gql(PROFILE, {"u": one.username}, token=other.token))["user"]
    assert ids_of(profile["posts"]) == [post]
    assert names_of(profile["followers"]) == [], "the block ended the follow; unblocking does not restore it"

    await follow(api, other, one)
    await run_jobs()
    await api.gql(MUTE, {"u": one.id}, token=other.token)
    assert ids_of((await api.gql(HOME, {"o": "LATEST"}, token=other.token))["viewer"]["homeTimeline"]) == []
    assert (await api.gql(UNMUTE, {"u": one.id}, token=other.token))["unmute"]["changed"]
    assert ids_of((await api.gql(HOME, {"o": "LATEST"}, token=other.token))["viewer"]["homeTimeline"]) == [
        post
    ]
    lists = (await api.gql(VIEWER_LISTS, {"u": other.username}, token=other.token))["user"]
    assert lists["mutedUsers"]["edges"] == []


@pytest.mark.parametrize("mutation", ["block", "mute", "follow"])
async def test_acting_on_yourself_or_nobody_is_a_clear_error(api: Api, mutation: str) -> None:
    user = await api.new_user("self")
    query = {"block": BLOCK, "mute": MUTE, "follow": FOLLOW}[mutation]
    own = (await api.gql(query, {"u": user.id}, token=user.token))[mutation]["errors"]
    assert own == [{"code": "CANNOT_FOLLOW_SELF" if mutation == "follow" else "CANNOT_TARGET_SELF"}]
    nobody = "VXNlcjo5OTk5OTk5OQ"  # User:99999999
    missing = (await api.gql(query, {"u": nobody}, token=user.token))[mutation]["errors"]
    assert missing == [{"code": "NOT_FOUND"}]
    anonymous = (await api.gql(query, {"u": user.id}))[mutation]["errors"]
    assert anonymous == [{"code": "UNAUTHENTICATED"}]


async def test_reports_are_kept_once_per_reporter_and_target_and_validated(api: Api, services: Any) -> None:
    reporter, author, private = [await api.new_user(n) for n in ("reporter", "author", "private")]
    post = await create_post(api, author, "reportable")
    first = await api.gql(REPORT_POST, {"p": post, "r": "SPAM", "t": "buy now"}, token=reporter.token)
    assert first["reportPost"] == {"reported": True, "errors": []}
    again = await api.gql(REPORT_POST, {"p": post, "r": "HATE", "t": "again"}, token=reporter.token)
    assert again["reportPost"] == {"reported": False, "errors": []}
    user_report = await api.gql(
        REPORT_USER, {"u": author.id, "r": "IMPERSONATION", "t": ""}, token=reporter.token
    )
    assert user_report["reportUser"] == {"reported": True, "errors": []}

    too_long = await api.gql(
        REPORT_USER, {"u": private.id, "r": "OTHER", "t": "x" * 1001}, token=reporter.token
    )
    assert too_long["reportUser"]["errors"] == [{"field": "text", "code": "TEXT_TOO_LONG"}]
    itself = await api.gql(REPORT_USER, {"u": reporter.id, "r": "OTHER", "t": ""}, token=reporter.token)
    assert itself["reportUser"]["errors"] == [{"field": "userId", "code": "CANNOT_TARGET_SELF"}]
    # A post the reporter cannot see cannot be reported (its existence stays unknown)
    await make_private(api, private)
    hidden = await create_post(api, private, "not for you")
    unseen = await api.gql(REPORT_POST, {"p": hidden, "r": "SPAM", "t": ""}, token=reporter.token)
    assert unseen["reportPost"]["errors"] == [{"field": "postId", "code": "NOT_FOUND"}]
    bad_reason = await api.gql_errors(
        REPORT_USER.replace("$r: ReportReason!", "$r: String!"),
        {"u": author.id, "r": "SPAM", "t": ""},
        token=reporter.token,
    )
    assert bad_reason[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    anonymous = await api.gql(REPORT_USER, {"u": author.id, "r": "SPAM", "t": ""})
    assert anonymous["reportUser"]["errors"] == [{"field": None, "code": "UNAUTHENTICATED"}]

    reports = await services.reports.newest(10)
    assert [(r.target.value, r.reason) for r in reports] == [
        ("USER", ReportReason.IMPERSONATION),
        ("POST", ReportReason.SPAM),
    ]
    assert reports[1].text == "buy now"


async def test_the_reports_command_lists_reports_for_moderators(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mongodb_url=f"litemongo://{tmp_path / 'mongo'}",
        redis_url=redis_db_url(redis_url, 2),
        secret_key="reports-cli-secret",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
    )
    async with open_services(settings) as services:
        await services.stores.redis.flushdb()
        reporter = await services.users.sign_up("moderated", "password-123", None)
        target = await services.users.sign_up("troll", "password-123", None)
        assert await services.reports.report_user(reporter.id, target.id, ReportReason.HARASSMENT, " rude ")
    capsys.readouterr()
    await cli.reports(settings, limit=5)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["reporterId"], line["targetId"], line["reason"], line["text"]) for line in lines] == [
        (reporter.id, target.id, "HARASSMENT", "rude")
    ]
