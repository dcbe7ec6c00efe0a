"""Sign-up, sign-in, sign-out, profiles and global ids, through the public API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers import PASSWORD, Api, error_codes

if TYPE_CHECKING:
    from services.container import Services

SIGN_UP = """mutation($u: String!, $p: String!, $d: String) {
  signUp(username: $u, password: $p, displayName: $d) { token user { id username displayName } errors { field code message } }
}"""
SIGN_IN = """mutation($u: String!, $p: String!) {
  signIn(username: $u, password: $p) { token user { username } errors { field code message } }
}"""
VIEWER = "{ viewer { id username displayName bio } }"


async def test_sign_up_returns_a_working_token(api: Api) -> None:
    data = await api.gql(SIGN_UP, {"u": "Ada.Lovelace", "p": PASSWORD, "d": "Ada"})
    payload = data["signUp"]
    assert payload["errors"] == []
    assert payload["user"]["username"] == "ada.lovelace"
    viewer = (await api.gql(VIEWER, token=payload["token"]))["viewer"]
    assert viewer["username"] == "ada.lovelace"
    assert viewer["displayName"] == "Ada"
    assert viewer["id"] == payload["user"]["id"]


async def test_passwords_are_stored_as_argon2id(api: Api, services: Services) -> None:
    await api.gql(SIGN_UP, {"u": "hashcheck", "p": PASSWORD})
    document = await services.stores.db["users"].find_one({"username": "hashcheck"})
    assert document is not None
    assert document["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(document)


@pytest.mark.parametrize(
    ("username", "password", "code", "field"),
    [
        ("ab", PASSWORD, "USERNAME_INVALID", "username"),
        ("x" * 31, PASSWORD, "USERNAME_INVALID", "username"),
        ("has space", PASSWORD, "USERNAME_INVALID", "username"),
        ("émile", PASSWORD, "USERNAME_INVALID", "username"),
        # Names nobody can tell apart or link to: only dots or underscores, leading, trailing
        # or doubled dots
        ("...", PASSWORD, "USERNAME_INVALID", "username"),
        ("._.", PASSWORD, "USERNAME_INVALID", "username"),
        ("___", PASSWORD, "USERNAME_INVALID", "username"),
        (".alice", PASSWORD, "USERNAME_INVALID", "username"),
        ("alice.", PASSWORD, "USERNAME_INVALID", "username"),
        ("al..ice", PASSWORD, "USERNAME_INVALID", "username"),
        ("shortpw", "1234567", "PASSWORD_TOO_SHORT", "password"),
        ("longpw", "p" * 257, "PASSWORD_TOO_LONG", "password"),
    ],
)
async def test_sign_up_validation(api: Api, username: str, password: str, code: str, field: str) -> None:
    payload = (await api.gql(SIGN_UP, {"u": username, "p": password}))["signUp"]
    assert payload["token"] is None
    assert payload["errors"][0]["code"] == code
    assert payload["errors"][0]["field"] == field


@pytest.mark.parametrize("username", ["jo.doe", "_zed_", "x_1", "a.b.c", "007"])
async def test_usernames_with_dots_and_underscores_between_letters_are_accepted(
    api: Api, username: str
) -> None:
    payload = (await api.gql(SIGN_UP, {"u": username, "p": PASSWORD}))["signUp"]
    assert payload["errors"] == []


async def test_usernames_are_unique_regardless_of_case(api: Api) -> None:
    await api.gql(SIGN_UP, {"u": "grace", "p": PASSWORD})
    payload = (await api.gql(SIGN_UP, {"u": "GRACE", "p": PASSWORD}))["signUp"]
    assert error_codes(payload) == ["USERNAME_TAKEN"]


async def test_concurrent_sign_ups_of_one_name_create_one_user(api: Api, services: Services) -> None:
    import asyncio

    results = await asyncio.gather(*(api.gql(SIGN_UP, {"u": "racer", "p": PASSWORD}) for _ in range(5)))
    winners = [r for r in results if r["signUp"]["token"]]
    assert len(winners) == 1
    assert all(error_codes(r["signUp"]) == ["USERNAME_TAKEN"] for r in results if not r["signUp"]["token"])
    assert await services.stores.db["users"].count_documents({"username": "racer"}) == 1


async def test_sign_in_is_case_insensitive(api: Api) -> None:
    await api.gql(SIGN_UP, {"u": "linus", "p": PASSWORD})
    payload = (await api.gql(SIGN_IN, {"u": "Linus", "p": PASSWORD}))["signIn"]
    assert payload["token"].startswith("ap_")


async def test_wrong_password_and_unknown_user_look_the_same(api: Api) -> None:
    await api.gql(SIGN_UP, {"u": "margaret", "p": PASSWORD})
    wrong = (await api.gql(SIGN_IN, {"u": "margaret", "p": "not the password"}))["signIn"]
    unknown = (await api.gql(SIGN_IN, {"u": "nobody_here", "p": "not the password"}))["signIn"]
    assert wrong == unknown
    assert error_codes(wrong) == ["INVALID_CREDENTIALS"]


async def test_sign_out_really_ends_the_session(api: Api) -> None:
    user = await api.new_user()
    second = (await api.gql(SIGN_IN, {"u": user.username, "p": PASSWORD}))["signIn"]["token"]
    assert (await api.gql(VIEWER, token=user.token))["viewer"] is not None
    out = (await api.gql("mutation { signOut { signedOut errors { code } } }", token=user.token))["signOut"]
    assert out == {"signedOut": True, "errors": []}
    assert (await api.post(VIEWER, token=user.token)).status_code == 401, "the token is revoked"
    # Other sessions of the same account stay signed in
    assert (await api.gql(VIEWER, token=second))["viewer"]["username"] == user.username


async def test_sign_out_without_a_session(api: Api) -> None:
    out = (await api.gql("mutation { signOut { signedOut errors { code } } }"))["signOut"]
    assert out == {"signedOut": False, "errors": [{"code": "UNAUTHENTICATED"}]}


@pytest.mark.parametrize(
    "header", ["Bearer ap_not-a-real-token-at-all-xxxxxxxxx", "Bearer x y", "Basic abc", "ap_x"]
)
async def test_bad_credentials_are_refused_not_ignored(api: Api, header: str) -> None:
    response = await api.post(VIEWER, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.post(VIEWER)).json()["data"] == {"viewer": None}, "no credentials: anonymous"


async def test_update_profile(api: Api) -> None:
    user = await api.new_user()
    mutation = """mutation($d: String, $b: String) {
      updateProfile(displayName: $d, bio: $b) { user { displayName bio } errors { field code } } }"""
    payload = (await api.gql(mutation, {"d": "  New Name ", "b": "I take photos."}, token=user.token))[
        "updateProfile"
    ]
    assert payload == {"user": {"displayName": "New Name", "bio": "I take photos."}, "errors": []}
    viewer = (await api.gql(VIEWER, token=user.token))["viewer"]
    assert viewer["displayName"] == "New Name"
    too_long = (await api.gql(mutation, {"b": "b" * 301}, token=user.token))["updateProfile"]
    assert too_long["errors"] == [{"field": "bio", "code": "TEXT_TOO_LONG"}]
    anonymous = (await api.gql(mutation, {"d": "x"}))["updateProfile"]
    assert anonymous["errors"] == [{"field": None, "code": "UNAUTHENTICATED"}]


async def test_user_by_username_and_node(api: Api) -> None:
    user = await api.new_user("nodey")
    by_name = await api.gql(
        "query($u: String!) { user(username: $u) { id username } }", {"u": user.username.upper()}
    )
    assert by_name["user"] == {"id": user.id, "username": user.username}
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { __typename id ... on User { username } } }", {"id": user.id}
    )
    assert node["node"] == {"__typename": "User", "id": user.id, "username": user.username}
    nodes = await api.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [user.id, user.id]})
    assert nodes["nodes"] == [{"id": user.id}, {"id": user.id}]


async def test_unknown_user_is_null(api: Api) -> None:
    assert (await api.gql('{ user(username: "ghost") { id } }'))["user"] is None


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-base64!",
        "VXNlcjo",
        "Zm9vOmJhcg",
        "VXNlcjotMQ",
        "VXNlcjrZoQ",  # "User:" and an Arabic-Indic one, which int() reads as 1
        "VXNlcjogMQ",  # "User: 1"
        "VXNlcjorMQ",  # "User:+1"
        "VXNlcjoxXzA",  # "User:1_0"
        "VXNlcjowMQ",  # "User:01": one user, one id
    ],
)
async def test_malformed_node_ids_are_invalid_id(api: Api, bad_id: str) -> None:
    errors = await api.gql_errors("query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    assert errors[0]["extensions"]["code"] == "INVALID_ID"


async def test_well_formed_but_unknown_node_is_null(api: Api) -> None:
    from resolvers.global_ids import to_global_id

    data = await api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("User", 12345)})
    assert data["node"] is None


async def test_a_blank_bearer_placeholder_is_anonymous(api: Api) -> None:
    # GraphiQL's header template sends "Bearer " until the developer pastes a token; HTTP
    # clients strip the trailing space
    response = await api.post(VIEWER, headers={"Authorization": "Bearer"})
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": None}
