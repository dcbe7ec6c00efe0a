"""The client side of bench/soak.py: what each simulated user does, and how every answer is judged.

Every request goes through `Recorder`, which keeps its latency by operation and minute and
sorts what came back into kinds: HTTP statuses, top-level error codes, mutation payload
error codes, exceptions. A 5xx and any INTERNAL_ERROR, anywhere in a body, are counted apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from wand.image import Image

from bench.common import percentile

PASSWORD = "soak password 1"  # noqa: S105 - the throwaway accounts of a benchmark
POST_FIELDS = """fragment PostFields on Post {
  id caption createdAt state likeCount commentCount viewerHasLiked
  author { id username displayName }
  media { id type state width height blurhash thumb: url(size: THUMBNAIL) medium: url(size: MEDIUM) }
  comments(first: 3) { edges { node { id text author { username } } } }
}"""
HOME = (
    "query Home { viewer { homeTimeline(first: 10) { edges { cursor node { ...PostFields } } "
    "pageInfo { hasNextPage endCursor } } } } " + POST_FIELDS
)
USER_TIMELINE = (
    "query UserTimeline($u: String!) { user(username: $u) { id username followerCount postCount "
    "posts(first: 10) { edges { node { ...PostFields } } } } } " + POST_FIELDS
)
POST = "query Post($id: ID!) { post(id: $id) { ...PostFields } } " + POST_FIELDS
SIGN_UP = "mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token user { id } errors { code } } }"
REQUEST_UPLOAD = """mutation($t: String!, $n: Int!) { requestUpload(contentType: $t, byteSize: $n) {
  upload { id target { url method headers { name value } } } errors { code } } }"""
CREATE_POST = """mutation($c: String!, $m: [MediaInput!]) { createPost(caption: $c, media: $m) {
  post { id } errors { code } } }"""
LIKE = "mutation($p: ID!) { likePost(postId: $p) { changed errors { code } } }"
UNLIKE = "mutation($p: ID!) { unlikePost(postId: $p) { changed errors { code } } }"
COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { changed errors { code } } }"
UNFOLLOW = "mutation($u: ID!) { unfollow(userId: $u) { changed errors { code } } }"
UPDATES = "subscription { homeTimelineUpdates { type cursor post { id caption } } }"


def _codes(value: Any) -> list[str]:
    """Every `code` in a response body, wherever it sits (top-level errors, payload errors)."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            code = item.get("code")
            if isinstance(code, str):
                found.append(code)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    latencies: dict[tuple[int, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    operations: Counter[str] = field(default_factory=Counter)
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    refusals_of_hostile_documents: Counter[str] = field(default_factory=Counter)
    http_5xx: int = 0
    internal_errors: int = 0

    def minute(self) -> int:
        return int((time.monotonic() - self.started) // 60)

    def record(
        self, operation: str, seconds: float, status: int | None, body: Any, error: str | None
    ) -> None:
        self.latencies[self.minute(), operation].append(seconds)
        self.operations[operation] += 1
        kinds: list[str] = []
        if error is not None:
            kinds.append(f"exception:{error}")
        if status is not None and status >= 500:
            self.http_5xx += 1
        if status is not None and status != 200:
            kinds.append(f"http:{status}")
        codes = _codes(body)
        self.internal_errors += codes.count("INTERNAL_ERROR")
        kinds += [f"code:{code}" for code in codes]
        target = self.refusals_of_hostile_documents if operation == "hostile" else self.errors_by_kind
        for kind in kinds:
            target[f"{operation} {kind}"] += 1

    def by_minute(self) -> list[dict[str, Any]]:
        minutes = sorted({minute for minute, _ in self.latencies})
        return [
            {
                "minute": minute,
                "operations": {
                    name: {
                        "n": len(samples),
                        "p50_ms": round(percentile(samples, 50) * 1000, 1),
                        "p99_ms": round(percentile(samples, 99) * 1000, 1),
                    }
                    for (at, name), samples in sorted(self.latencies.items())
                    if at == minute
                },
            }
            for minute in minutes
        ]


@dataclass
class User:
    id: str
    username: str
    token: str


@dataclass
class World:
    """What the load shares: the users, the posts made so far, one photo, the recorder."""

    base: str
    recorder: Recorder
    users: list[User] = field(default_factory=list)
    post_ids: list[str] = field(default_factory=list)
    photo: bytes = b""
    live_events: int = 0
    live_sessions: int = 0


def make_photo() -> bytes:
    with Image(width=800, height=600, pseudo="plasma:fractal") as image:
        image.format = "jpeg"
        out = io.BytesIO()
        image.save(file=out)
        return out.getvalue()


async def call(
    world: World,
    http: httpx.AsyncClient,
    operation: str,
    query: str,
    variables: dict[str, Any],
    token: str | None,
) -> dict[str, Any] | None:
    """One GraphQL request, recorded; its `data`, or None."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    status, body, error = None, None, None
    try:
        response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        status = response.status_code
        body = response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        error = type(exc).__name__
    world.recorder.record(operation, time.perf_counter() - started, status, body, error)
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None


async def sign_up(world: World, http: httpx.AsyncClient, username: str) -> User:
    data = await call(world, http, "sign_up", SIGN_UP, {"u": username, "p": PASSWORD}, None)
    payload = (data or {}).get("signUp") or {}
    if not payload.get("token"):
        raise RuntimeError(f"could not sign up {username}: {payload}")
    return User(payload["user"]["id"], username, payload["token"])


async def read(world: World, http: httpx.AsyncClient) -> None:
    user = random.choice(world.users)
    roll = random.random()
    if roll < 0.5:
        await call(world, http, "home", HOME, {}, user.token)
    elif roll < 0.8 or not world.post_ids:
        other = random.choice(world.users)
        await call(world, http, "user_timeline", USER_TIMELINE, {"u": other.username}, user.token)
    else:
        await call(world, http, "post", POST, {"id": random.choice(world.post_ids[-500:])}, user.token)


async def post(world: World, http: httpx.AsyncClient, *, photo: bool) -> None:
    user = random.choice(world.users)
    media = None
    if photo:
        variables = {"t": "image/jpeg", "n": len(world.photo)}
        data = await call(world, http, "request_upload", REQUEST_UPLOAD, variables, user.token)
        upload = ((data or {}).get("requestUpload") or {}).get("upload")
        if upload is None:
            return
        target = upload["target"]
        started = time.perf_counter()
        status, error = None, None
        try:
            headers = {h["name"]: h["value"] for h in target["headers"]}
            status = (await http.put(target["url"], content=world.photo, headers=headers)).status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        ok = 200 if status == 204 else status
        world.recorder.record("upload_put", time.perf_counter() - started, ok, None, error)
        media = [{"uploadId": upload["id"]}]
    operation = "create_photo_post" if photo else "create_text_post"
    caption = f"soak #{len(world.post_ids)} by @{user.username}"
    data = await call(world, http, operation, CREATE_POST, {"c": caption, "m": media}, user.token)
    created = ((data or {}).get("createPost") or {}).get("post")
    if created:
        world.post_ids.append(created["id"])


async def engage(world: World, http: httpx.AsyncClient) -> None:
    if not world.post_ids:
        return
    user, post_id = random.choice(world.users), random.choice(world.post_ids[-200:])
    roll = random.random()
    if roll < 0.4:
        await call(world, http, "like", LIKE, {"p": post_id}, user.token)
    elif roll < 0.6:
        await call(world, http, "unlike", UNLIKE, {"p": post_id}, user.token)
    else:
        await call(world, http, "comment", COMMENT, {"p": post_id, "t": "nice one"}, user.token)


async def follow(world: World, http: httpx.AsyncClient) -> None:
    user, other = random.sample(world.users, 2)
    mutation, operation = (FOLLOW, "follow") if random.random() < 0.6 else (UNFOLLOW, "unfollow")
    await call(world, http, operation, mutation, {"u": other.id}, user.token)


async def hostile(world: World, http: httpx.AsyncClient, bodies: list[dict[str, Any]], n: int) -> None:
    body = dict(bodies[n % len(bodies)])
    body["query"] = f"#{n}\n" + body["query"]  # new to every cache
    started = time.perf_counter()
    status, data, error = None, None, None
    try:
        response = await http.post("/graphql", json=body)
        status, data = response.status_code, response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        error = type(exc).__name__
    world.recorder.record("hostile", time.perf_counter() - started, status, data, error)


async def live_session(world: World, hold_s: float) -> None:
    """One subscriber: connects, subscribes to its home timeline, listens for `hold_s`, leaves."""
    user = random.choice(world.users)
    url = world.base.replace("http://", "ws://") + "/graphql"
    started = time.perf_counter()
    status, error, body = None, None, None
    try:
        async with websockets.connect(
            url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as socket:
            await socket.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {user.token}"}})
            )
            ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
            status = 200 if ack.get("type") == "connection_ack" else 403
            world.recorder.record("live_connect", time.perf_counter() - started, status, None, None)
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": UPDATES}}))
            world.live_sessions += 1
            deadline = time.monotonic() + hold_s
            with contextlib.suppress(TimeoutError):
                while (left := deadline - time.monotonic()) > 0:
                    message = json.loads(await asyncio.wait_for(socket.recv(), left))
                    if message.get("type") == "next":
                        world.live_events += 1
                    if message.get("type") in ("error", "complete"):
                        body = message.get("payload")
                        world.recorder.record("live_event", 0.0, None, body, f"ws_{message['type']}")
                        return
    except (OSError, websockets.WebSocketException, TimeoutError, json.JSONDecodeError) as exc:
        error = type(exc).__name__
        world.recorder.record("live_connect", time.perf_counter() - started, status, body, error)
