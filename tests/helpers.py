"""A thin GraphQL client over real HTTP, and factories that go through the public API."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from resolvers.global_ids import parse_global_id

if TYPE_CHECKING:
    from services.container import Services

PASSWORD = "correct horse battery"
GRAPHQL_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
_names = itertools.count(1)


class GraphQLErrors(AssertionError):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("errors"))
        self.body = body


@dataclass
class TestUser:
    __test__ = False  # not a test class, despite the name
    id: str
    username: str
    token: str


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if extensions is not None:
            payload["extensions"] = extensions
        # What a client following GraphQL over HTTP sends; tests of other Accept headers pass their own
        all_headers = {"Accept": GRAPHQL_ACCEPT, **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        return await self.http.post("/graphql", json=payload, headers=all_headers)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Run an operation that must succeed without GraphQL errors; return `data`."""
        response = await self.post(query, variables, token)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLErrors(body)
        data: dict[str, Any] = body["data"]
        return data

    async def gql_errors(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Run an operation that must fail; return its top-level errors."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors

    async def new_user(self, prefix: str = "user", password: str = PASSWORD) -> TestUser:
        username = f"{prefix}{next(_names)}"
        data = await self.gql(
            "mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) "
            "{ token user { id username } errors { code message } } }",
            {"u": username, "p": password},
        )
        payload = data["signUp"]
        assert payload["errors"] == [], payload
        return TestUser(
            id=payload["user"]["id"], username=payload["user"]["username"], token=payload["token"]
        )


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


CREATE_POST = """mutation($c: String!) { createPost(caption: $c) { post { id caption } errors { field code message } } }"""
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { changed errors { field code } } }"
UNFOLLOW = "mutation($u: ID!) { unfollow(userId: $u) { changed errors { field code } } }"
LIKE = "mutation($p: ID!) { likePost(postId: $p) { changed errors { field code } } }"
UNLIKE = "mutation($p: ID!) { unlikePost(postId: $p) { changed errors { field code } } }"
DELETE_POST = "mutation($id: ID!) { deletePost(id: $id) { errors { field code } } }"


async def create_post(api: Api, user: TestUser, caption: str = "a post") -> str:
    payload = (await api.gql(CREATE_POST, {"c": caption}, token=user.token))["createPost"]
    assert payload["errors"] == [], payload
    post_id: str = payload["post"]["id"]
    return post_id


async def follow(api: Api, follower: TestUser, followee: TestUser) -> None:
    payload = (await api.gql(FOLLOW, {"u": followee.id}, token=follower.token))["follow"]
    assert payload["errors"] == [], payload


REQUEST_UPLOAD = """mutation($t: String!, $n: Int!) { requestUpload(contentType: $t, byteSize: $n) {
  upload { id target { url method fields { name value } headers { name value } expiresAt } }
  errors { field code message } } }"""
CREATE_MEDIA_POST = """mutation($c: String!, $m: [MediaInput!]) { createPost(caption: $c, media: $m) {
  post { id state media { id state type altText } } errors { field code message } } }"""


async def send_upload(
    http: httpx.AsyncClient, target: dict[str, Any], data: bytes, content_type: str
) -> httpx.Response:
    """Send bytes to a presigned target the way a client would: PUT raw bytes, or POST a form."""
    if target["method"] == "PUT":
        headers = {h["name"]: h["value"] for h in target["headers"]}
        return await http.put(target["url"], content=data, headers=headers)
    fields = {f["name"]: f["value"] for f in target["fields"]}
    return await http.post(target["url"], data=fields, files={"file": ("upload", data, content_type)})


async def upload(api: Api, user: TestUser, data: bytes, content_type: str) -> str:
    payload = (await api.gql(REQUEST_UPLOAD, {"t": content_type, "n": len(data)}, token=user.token))[
        "requestUpload"
    ]
    assert payload["errors"] == [], payload
    response = await send_upload(api.http, payload["upload"]["target"], data, content_type)
    assert response.status_code in (200, 201, 204), response.text
    upload_id: str = payload["upload"]["id"]
    return upload_id


async def create_media_post(
    api: Api, user: TestUser, media: list[dict[str, str]], caption: str = ""
) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.gql(CREATE_MEDIA_POST, {"c": caption, "m": media}, token=user.token)
    )["createPost"]
    return payload


async def original_key(services: Services, upload_id: str) -> str:
    """Where an upload's original bytes are stored."""
    document = await services.stores.db["uploads"].find_one({"_id": parse_global_id(upload_id)[1]})
    assert document is not None
    key: str = document["key"]
    return key
