"""GraphQL over HTTP: media types, status codes and transport errors, on a real server."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.helpers import Api

if TYPE_CHECKING:
    from services.container import Services

GRJ = "application/graphql-response+json"


async def test_post_query_answers_graphql_response_json(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers={"accept": GRJ})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRJ)
    assert response.json() == {
        "data": {"viewer": None},
        "extensions": {"cost": {"requested": 2, "maximum": 5000}},
    }


async def test_any_or_no_accept_header_gets_application_json(http: httpx.AsyncClient) -> None:
    """GraphQL over HTTP: `*/*` and a missing Accept mean a client that may predate
    application/graphql-response+json, so it gets application/json, and request errors
    with status 200 as for any application/json client."""
    no_accept = http.build_request("POST", "/graphql", json={"query": "{ __typename }"})
    del no_accept.headers["accept"]
    for request in (
        http.build_request("POST", "/graphql", json={"query": "{ __typename }"}, headers={"accept": "*/*"}),
        no_accept,
        http.build_request(
            "POST", "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/html"}
        ),
    ):
        response = await http.send(request)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.json()["data"] == {"__typename": "Query"}
    invalid = await http.post("/graphql", json={"query": "{ noSuchField }"}, headers={"accept": "*/*"})
    assert invalid.status_code == 200
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_accept_quality_decides_between_the_graphql_media_types(http: httpx.AsyncClient) -> None:
    for accept, expected in (
        ("application/json, application/graphql-response+json", GRJ),
        ("application/graphql-response+json;q=0.5, application/json", "application/json"),
        ("application/graphql-response+json;q=0, */*", "application/json"),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRJ),
    ):
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
        assert response.headers["content-type"].startswith(expected), accept


async def test_get_query_works(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ __typename }"}, headers={"accept": GRJ})
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}
    # Anonymous GET reads are the same for everyone, so a CDN may keep them a while
    assert response.headers["cache-control"] == "public, max-age=30"
    assert {"Accept", "Authorization"} <= {v.strip() for v in response.headers["vary"].split(",")}


async def test_unparseable_query_is_400_without_data(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ viewer { id "}, headers={"accept": GRJ})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_invalid_query_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ noSuchField }"}, headers={"accept": GRJ})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_legacy_json_clients_get_200_for_request_errors(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ noSuchField }"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"]


async def test_malformed_json_is_400_with_json_body(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRJ)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_wrong_content_type_is_415(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"query { viewer { id } }", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_query_must_be_a_string(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": 42})
    assert response.status_code == 400


async def test_unknown_operation_name_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "query A { __typename } query B { __typename }", "operationName": "C"},
        headers={"accept": GRJ},
    )
    assert response.status_code == 400
    assert "C" in response.json()["errors"][0]["message"]


async def test_mutation_over_get_is_405(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql",
        params={"query": 'mutation { signIn(username: "a", password: "b") { token } }'},
        headers={"accept": GRJ},
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "POST"


async def test_other_methods_are_405(http: httpx.AsyncClient) -> None:
    response = await http.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_alias_limit(http: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(31))
    response = await http.post("/graphql", json={"query": "{ " + aliases + " }"}, headers={"accept": GRJ})
    assert response.status_code == 400
    assert "aliases" in response.json()["errors"][0]["message"]


async def test_token_limit(http: httpx.AsyncClient) -> None:
    fields = " ".join("__typename" for _ in range(1100))
    response = await http.post("/graphql", json={"query": "{ " + fields + " }"}, headers={"accept": GRJ})
    assert response.status_code == 400
    assert "more than 1000 tokens" in response.json()["errors"][0]["message"]


async def test_request_id_is_echoed_and_generated(http: httpx.AsyncClient) -> None:
    mine = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "req-12345678"}
    )
    assert mine.headers["x-request-id"] == "req-12345678"
    generated = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "bad id!"}
    )
    assert len(generated.headers["x-request-id"]) == 32


async def test_unexpected_errors_are_masked_and_logged(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(username: str) -> None:
        raise RuntimeError(f"database exploded for {username}")

    monkeypatch.setattr(services.users, "get_by_username", explode)
    response = await api.post(
        '{ user(username: "someone") { id } }', headers={"x-request-id": "trace-abcdef12"}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"user": None}
    error = body["errors"][0]
    assert "exploded" not in error["message"]
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": "trace-abcdef12"}
    logged = [r for r in caplog.records if r.name == "aperture.errors"]
    assert logged and logged[0].request_id == "trace-abcdef12"  # type: ignore[attr-defined]
    assert "database exploded" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_healthz_and_readyz(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).text == "ok"
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "mongodb": "ok",
        "archive": "ok",
        "redis": "ok",
        "blobs": "ok",
        "queue": "ok",
    }


async def test_pages_on_other_origins_may_call_upload_and_load_media(http: httpx.AsyncClient) -> None:
    origin = {"Origin": "http://localhost:5173"}
    for path, method in (("/graphql", "POST"), ("/uploads/incoming/abc", "PUT")):
        preflight = await http.options(
            path,
            headers={
                **origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200, (path, preflight.text)
        assert method in preflight.headers["access-control-allow-methods"]
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "RateLimit-Remaining" in response.headers["access-control-expose-headers"]
    media = await http.get("/media/no/such/file.webp", headers=origin)
    assert media.headers["access-control-allow-origin"] == "*"


POSTS_OF = 'query($f: Int!) { user(username: "alice") { posts(first: $f) { edges { cursor } } } }'


@pytest.mark.parametrize("value", ["ten", 1.5, True, None, [10], {"n": 10}, 2**31, 2**64, -(2**31) - 1])
async def test_a_variable_of_the_wrong_type_is_a_request_error(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    caplog.set_level(logging.WARNING)
    response = await http.post(
        "/graphql", json={"query": POSTS_OF, "variables": {"f": value}}, headers={"accept": GRJ}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRJ)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$f" in body["errors"][0]["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_missing_required_variable_is_a_request_error(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": POSTS_OF}, headers={"accept": GRJ})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


SUBSCRIPTION = "subscription { homeTimelineUpdates { type } }"


async def test_subscriptions_over_http_are_refused_with_a_code(http: httpx.AsyncClient) -> None:
    for response in (
        await http.post("/graphql", json={"query": SUBSCRIPTION}, headers={"accept": GRJ}),
        await http.get("/graphql", params={"query": SUBSCRIPTION}, headers={"accept": GRJ}),
    ):
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "SUBSCRIPTION_NEEDS_WEBSOCKET"
        assert "graphql-transport-ws" in error["message"]
