"""Gateway duties in one process: query cost, the rate-limit algorithm, logs and metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from graphql import get_introspection_query

from aperture.logs import JsonFormatter
from gateway import metrics_route
from gateway.rate_limits import Bucket, RateLimiter
from services.timeline.job_names import TimelineJob
from tests import media_files
from tests.helpers import PASSWORD, Api, TestUser, create_media_post, create_post, follow, upload
from tests.live_client import LiveClient
from tests.timelines import scroll

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]


async def cost_of(api: Api, query: str, variables: dict[str, Any] | None = None) -> int:
    response = await api.post(query, variables)
    cost: int = response.json()["extensions"]["cost"]["requested"]
    return cost


async def test_connections_cost_their_page_size_times_their_children(api: Api) -> None:
    posts = '{ user(username: "x") { posts(first: 10) { edges { node { id caption } } } } }'
    # user 1 + posts (1 + 10 x (edges 1 + node 1 + id 1 + caption 1)) = 42
    assert await cost_of(api, posts) == 42
    by_variable = (
        'query($n: Int!) { user(username: "x") { posts(first: $n) { edges { node { id caption } } } } }'
    )
    assert await cost_of(api, by_variable, {"n": 20}) == 82
    # Nesting multiplies: every one of 10 posts may bring 5 comments with their authors
    nested = (
        '{ user(username: "x") { posts(first: 10) { edges { node { id '
        "comments(first: 5) { edges { node { text author { username } } } } } } } } }"
    )
    # node: id 1 + comments (1 + 5 x (edges 1 + node 1 + text 1 + author 1 + username 1))
    assert await cost_of(api, nested) == 1 + 1 + 10 * (1 + 1 + 1 + (1 + 5 * 5))
    # One object matches one type: fragments on different types count as the dearer one
    node = '{ node(id: "x") { ... on User { username bio } ... on Post { caption } } }'
    assert await cost_of(api, node) == 1 + 2
    # __typename is free, and a list of ids costs its length
    assert await cost_of(api, '{ nodes(ids: ["a", "b", "c"]) { __typename id } }') == 1 + 3 * 1


async def test_graphiql_introspection_fits_the_budget(api: Api) -> None:
    response = await api.post(get_introspection_query(descriptions=True))
    assert response.status_code == 200
    cost = response.json()["extensions"]["cost"]
    assert cost["requested"] <= cost["maximum"]


async def test_an_abusive_query_is_refused_with_its_cost(api: Api) -> None:
    abusive = (
        '{ user(username: "x") { followers(first: 100) { edges { node { '
        "followers(first: 100) { edges { node { username } } } } } } } }"
    )
    response = await api.post(abusive)
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # user 1 + followers (1 + 100 x (edges 1 + node 1 + followers (1 + 100 x 3)))
    assert body["extensions"]["cost"] == {"requested": 2 + 100 * (2 + 1 + 100 * 3), "maximum": 5000}


async def test_a_budget_refills_smoothly_and_refusals_cost_nothing(services: Services) -> None:
    limiter = RateLimiter(services.stores.redis, {Bucket.LIKE: 600, Bucket.POST: 600})  # one per 100 ms
    subject = "u:refill-test"
    started = time.monotonic()
    first = await limiter.charge(subject, {Bucket.LIKE: 600})
    assert first.allowed and first.states[0].remaining == 0
    refused = await limiter.charge(subject, {Bucket.LIKE: 1, Bucket.POST: 1})
    assert not refused.allowed
    assert refused.retry_after_s == 1
    # All or nothing: the post budget was not charged by the refused request
    post_state = next(s for s in refused.states if s.bucket is Bucket.POST)
    assert post_state.remaining == 600
    await asyncio.sleep(0.25)
    refilled = 0
    while (await limiter.charge(subject, {Bucket.LIKE: 1})).allowed:
        refilled += 1
        assert refilled < 100, "the budget never ran out again"
    elapsed_s = time.monotonic() - started
    # One like per 100 ms came back: at least the 250 ms slept give, at most the time that
    # passed since the budget was spent (a loaded machine only stretches that time)
    assert 2 <= refilled <= int(elapsed_s / 0.1)


async def test_logs_follow_the_request_into_its_jobs_and_keep_no_secrets(
    api: Api, run_jobs: RunJobs, services: Services
) -> None:
    author = await api.new_user("author")
    fan = await api.new_user("fan")
    await follow(api, fan, author)
    await _more_followers_than_one_batch(api, author)
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        request_id = "trace-me-0123456789"
        create = (
            "mutation CreatePost($c: String!) { createPost(caption: $c) { post { id } errors { code } } }"
        )
        response = await api.post(
            create, {"c": "traced"}, token=author.token, headers={"X-Request-Id": request_id}
        )
        assert response.headers["x-request-id"] == request_id
        upload_payload = await api.post(
            'mutation { requestUpload(contentType: "image/jpeg", byteSize: 100) { upload { target { url } } } }',
            token=author.token,
        )
        presigned = upload_payload.json()["data"]["requestUpload"]["upload"]["target"]["url"]
        await api.post(
            "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { token } }",
            {"u": author.username, "p": PASSWORD},
        )
        await run_jobs()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    entries = [orjson.loads(line) for line in lines]
    access = [e for e in entries if e["logger"] == "aperture.access" and e.get("request_id") == request_id]
    assert len(access) == 1
    assert access[0]["operation"] == "CreatePost"
    assert access[0]["outcome"] == "ok"
    assert access[0]["status"] == 200
    assert isinstance(access[0]["duration_ms"], float)
    # The fan-out job the request enqueued, and the batch jobs that job enqueued, log its id
    jobs = {
        e.get("job") for e in entries if e["logger"] == "aperture.jobs" and e.get("request_id") == request_id
    }
    assert {"fanout_post", "fanout_batch"} <= jobs, jobs
    everything = "\n".join(lines)
    signature = re.search(r"signature=([^&]+)", presigned)
    assert signature is not None
    for secret in (PASSWORD, author.token, fan.token, signature.group(1)):
        assert secret not in everything


async def _more_followers_than_one_batch(api: Api, author: TestUser) -> None:
    """Active followers enough for two fan-out ranges (FANOUT_BATCH_SIZE is 4 in tests): a post
    whose followers fit one range is pushed by the dispatch job itself, with no batch job. The
    follower index holds the active ones only, so each reads their home timeline first."""
    for _ in range(5):
        follower = await api.new_user("more")
        await follow(api, follower, author)
        await scroll(api, follower, 10)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus's text format (0 if absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        sample_name, _, label_text = sample.partition("{")
        if sample_name == name and dict(re.findall(r'(\w+)="([^"]*)"', label_text)) == labels:
            return float(value)
    return 0.0


async def test_metrics_report_requests_errors_jobs_fanout_media_live_and_cache(
    api: Api,
    http: httpx.AsyncClient,
    server_url: str,
    run_jobs: RunJobs,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = (await http.get("/metrics")).text
    author = await api.new_user("author")
    fan = await api.new_user("fan")
    await follow(api, fan, author)
    await _more_followers_than_one_batch(api, author)
    live = await LiveClient.connect(server_url, fan.token)
    assert await live.acknowledged()
    await live.subscribe("subscription { homeTimelineUpdates { type } }")
    await asyncio.sleep(0.2)
    await api.post("query Viewer { viewer { username } }", token=fan.token)
    await api.post("{ noSuchField }")
    await create_post(api, author, "measured")
    upload_id = await upload(api, author, media_files.image_bytes("jpeg", 320, 240), "image/jpeg")
    await create_media_post(api, author, [{"uploadId": upload_id}])
    await services.queue.enqueue(TimelineJob.FANOUT_POST, "not", "valid", "arguments")
    await run_jobs()
    await api.post("{ viewer { homeTimeline(first: 5) { edges { node { id } } } } }", token=fan.token)
    monkeypatch.setattr(metrics_route, "_tiers_counted_at", 0.0)  # tier sizes are counted every 30 s
    scraped = await http.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    after = scraped.text

    def grew(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert grew("aperture_graphql_request_seconds_count", operation="Viewer", type="query") == 1
    assert grew("aperture_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert grew("aperture_fanout_lag_seconds_count") >= 1
    assert grew("aperture_media_processing_seconds_count", kind="IMAGE", outcome="READY") == 1
    assert grew("aperture_job_failures_total", job="fanout_post") >= 1, "a bad job is counted, not fatal"
    assert grew("aperture_job_seconds_count", job="fanout_batch", outcome="ok") >= 1
    assert metric(after, "aperture_live_connections") >= 1
    assert grew("aperture_post_cache_requests_total", result="hit") >= 1
    assert "aperture_queue_depth " in after
    assert metric(after, "aperture_posts", tier="hot") >= 2
    await live.close()


async def test_metrics_can_require_a_token(
    http: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        services, "settings", dataclasses.replace(services.settings, metrics_token="scrape-secret")
    )
    assert (await http.get("/metrics")).status_code == 401
    ok = await http.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert ok.status_code == 200
