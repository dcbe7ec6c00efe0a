"""`aperture serve` as a user runs it: a real process with embedded stores that survive a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import free_port
from tests.processes import alive, engine_children, media_children

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.multiprocess

SIGN_IN = 'mutation { signIn(username: "alice", password: "aperture-demo") { token errors { code } } }'


def _env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "S3_", "APERTURE_"))
    }
    env.update({"LOG_FORMAT": "text", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8192"})
    return env


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aperture.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(base: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("serve never became ready")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return output


def _gql(base: str, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=10)
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


HOME = """{ viewer { unreadNotificationCount homeTimeline(first: 40) { edges { node {
  caption createdAt likeCount author { username } media { type state width height } } } } } }"""


AVATAR = '{ user(username: "alice") { avatar { state } } }'


def test_serve_runs_seeds_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    first = _start(data_dir, port)
    try:
        _wait_ready(base, first)
        token = _gql(base, SIGN_IN)["signIn"]["token"]
        assert token
        _gql(base, 'mutation { updateProfile(bio: "kept across restarts") { errors { code } } }', token)
        famous = _gql(base, '{ user(username: "natgeo_demo") { username followerCount } }')["user"]
        assert famous["username"] == "natgeo_demo"
        assert famous["followerCount"] == 29, "every other demo user follows the famous account"
        following = _gql(base, "{ viewer { followingCount } }", token)["viewer"]["followingCount"]
        assert following == 13, "alice follows natgeo_demo and 12 others"
        # The seed processed its media before serving: the first screen is complete at once
        home = _gql(base, HOME, token)["viewer"]
        posts = [edge["node"] for edge in home["homeTimeline"]["edges"]]
        authors = {post["author"]["username"] for post in posts}
        assert "natgeo_demo" in authors
        assert len(posts) >= 20
        assert len(authors) >= 8
        assert all(post["media"] and all(m["state"] == "READY" for m in post["media"]) for post in posts)
        captions = [post["caption"] for post in posts]
        assert len(set(captions)) == len(captions), "no caption repeats"
        media = [m for post in posts for m in post["media"]]
        shapes = {round(m["width"] / m["height"], 2) for m in media if m["type"] == "IMAGE"}
        assert {1.0, 0.8, 1.91} <= shapes, shapes
        assert sum(m["type"] == "VIDEO" for m in media) >= 2
        assert any(len(post["media"]) > 1 for post in posts), "some carousels"
        days = {post["createdAt"][:10] for post in posts}
        assert len(days) >= 10, "posts spread over the past weeks"
        assert all(post["likeCount"] > 0 for post in posts)
        assert home["unreadNotificationCount"] > 0, "alice has notifications to read"
        # Profile photos are processed by the server's own worker just after it starts
        deadline = time.monotonic() + 60
        while (state := _gql(base, AVATAR)["user"]["avatar"]["state"]) == "PROCESSING":
            assert time.monotonic() < deadline, "alice's profile photo was never processed"
            time.sleep(0.5)
        assert state == "READY"
        media_processes = media_children(first.pid)
        assert media_processes, "the in-process worker keeps warm media processes"
        engines = engine_children(first.pid)
        assert len(engines) == 1, "the MongoDB stand-in runs in its own process"
    finally:
        output = _stop(first)
    assert not [pid for pid in media_processes if alive(pid)], "serve leaves no media process behind"
    assert not [pid for pid in engines if alive(pid)], "serve stops the stand-in's process"
    assert f"{base}/graphql" in output
    assert "username=alice password=aperture-demo" in output
    assert "stopped cleanly" in output
    redis_pid_file = data_dir / "redis" / "redis.pid"
    assert not redis_pid_file.exists() or not alive(int(redis_pid_file.read_text()))

    second = _start(data_dir, port)
    try:
        _wait_ready(base, second)
        # The same token still works: sessions, profiles and demo data all persisted
        viewer = _gql(base, "{ viewer { username bio } }", token)["viewer"]
        assert viewer == {"username": "alice", "bio": "kept across restarts"}
    finally:
        output = _stop(second)
    assert "seeding the demo network" not in output


def test_api_refuses_to_start_without_shared_stores() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aperture.cli", "api"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "set MONGODB_URL and REDIS_URL" in result.stderr
