"""Rate limits, query cost and persisted queries hold across two real API processes.

Both processes share one Redis, so a budget spent on one is spent on the other. Each
simulated client has its own address (passed as X-Forwarded-For, which the processes trust
here), so tests do not share per-address budgets.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.helpers import CREATE_POST, FOLLOW, GRAPHQL_ACCEPT, LIKE, UNFOLLOW, UNLIKE, Api, TestUser
from tests.processes import Deployment, deployment

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

pytestmark = pytest.mark.multiprocess

BUDGETS = {
    "read": 6,
    "anon": 8,
    "post": 3,
    "like": 4,
    "comment": 3,
    "follow": 3,
    "account": 5,
    "upload": 2,
    "report": 2,
}
VIEWER = "query Viewer { viewer { username } }"
ADD_COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"
USERNAME_FAILURES = 6
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { token errors { code field } } }"
SIGN_UP = (
    "mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token errors { code } } }"
)
_addresses = (f"198.51.{n // 250}.{n % 250 + 1}" for n in itertools.count(0))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Deployment]:
    extra = {
        "RATE_LIMITS": ",".join(f"{bucket}={budget}" for bucket, budget in BUDGETS.items()),
        "FORWARDED_ALLOW_IPS": "*",
        "GRAPHQL_MAX_COST": "1000",
        "SIGN_IN_FAILURES_PER_USERNAME": str(USERNAME_FAILURES),
    }
    with deployment(
        tmp_path_factory.mktemp("limits"), redis_url, redis_db=4, worker=False, extra_env=extra
    ) as d:
        yield d


class Client:
    """One user agent at one address, talking to both API processes in turn."""

    def __init__(self, running: Deployment) -> None:
        self.address = next(_addresses)
        self.https = [
            httpx.AsyncClient(base_url=base, timeout=30, headers={"X-Forwarded-For": self.address})
            for base in running.bases
        ]
        self.apis = [Api(http) for http in self.https]
        self._turn = itertools.cycle(range(len(self.https)))

    def next_api(self) -> Api:
        return self.apis[next(self._turn)]

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        return await self.next_api().post(query, variables, token)

    async def close(self) -> None:
        for http in self.https:
            await http.aclose()


@pytest.fixture
async def clients(running: Deployment) -> AsyncIterator[Any]:
    opened: list[Client] = []

    def make() -> Client:
        opened.append(Client(running))
        return opened[-1]

    yield make
    for client in opened:
        await client.close()


async def new_user(client: Client) -> TestUser:
    return await client.next_api().new_user("limited")


def assert_refused(response: httpx.Response, *, retry: bool = True) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    body: dict[str, Any] = response.json()
    assert "data" not in body, "refused before execution"
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    if retry:
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["ratelimit-remaining"] == "0"
    else:
        assert "retry-after" not in response.headers, "waiting would not help"
    return body


async def test_the_read_budget_is_one_budget_across_processes(clients: Any) -> None:
    client = clients()
    user = await new_user(client)
    remaining = []
    for _ in range(BUDGETS["read"]):
        response = await client.post(VIEWER, token=user.token)  # alternates between processes
        assert response.status_code == 200, response.text
        remaining.append(int(response.headers["ratelimit-remaining"]))
        assert response.headers["ratelimit-limit"] == str(BUDGETS["read"])
        assert response.headers["ratelimit-policy"] == f"{BUDGETS['read']};w=60"
    assert remaining == list(range(BUDGETS["read"] - 1, -1, -1))
    for api in client.apis:  # both processes refuse now
        assert_refused(await api.post(VIEWER, token=user.token))
    # The budget is the user's, not the address's: another user at the same address goes on
    other = await new_user(client)
    assert (await client.post(VIEWER, token=other.token)).status_code == 200


async def test_anonymous_clients_are_limited_per_address(clients: Any) -> None:
    client, neighbour = clients(), clients()
    for _ in range(BUDGETS["anon"]):
        assert (await client.post(VIEWER)).status_code == 200
    assert_refused(await client.post(VIEWER))
    assert (await neighbour.post(VIEWER)).status_code == 200


async def test_sign_in_attempts_are_limited_per_address(clients: Any) -> None:
    client = clients()
    user = await new_user(client)  # one account action spent
    for _ in range(BUDGETS["account"] - 1):
        response = await client.post(SIGN_IN, {"u": user.username, "p": "wrong password!"})
        assert response.json()["data"]["signIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    # Even the right password is refused now: guessing stops at the budget
    assert_refused(await client.post(SIGN_IN, {"u": user.username, "p": "correct horse battery"}))


async def test_sign_in_is_charged_to_the_address_whatever_token_it_carries(clients: Any) -> None:
    victim = await new_user(clients())
    attacker = clients()
    tokens = [(await new_user(clients())).token for _ in range(3)]  # made elsewhere, carried here
    outcomes = []
    for token in tokens * BUDGETS["account"]:
        response = await attacker.post(SIGN_IN, {"u": victim.username, "p": "a wrong guess"}, token=token)
        outcomes.append("refused" if response.status_code == 429 else "tried")
    # One address gets one budget of attempts, however many accounts it signs in from
    assert outcomes.count("tried") == BUDGETS["account"], outcomes


async def test_sign_up_is_charged_to_the_address_whatever_token_it_carries(clients: Any) -> None:
    client = clients()
    for n in range(BUDGETS["account"]):
        response = await client.post(SIGN_UP, {"u": f"addr{id(client)}x{n}", "p": "correct horse battery"})
        assert response.json()["data"]["signUp"]["errors"] == []
    assert_refused(await client.post(SIGN_UP, {"u": f"addr{id(client)}y", "p": "correct horse battery"}))
    # A token from an account made elsewhere does not buy this address more sign-ups
    token = (await new_user(clients())).token
    assert_refused(
        await client.post(SIGN_UP, {"u": f"addr{id(client)}z", "p": "correct horse battery"}, token=token)
    )


async def test_failed_sign_ins_are_limited_per_username_across_addresses(clients: Any) -> None:
    home = clients()
    victim = await new_user(home)  # signed up from `home`, which becomes a known address
    outcomes: list[str] = []
    for attacker in [clients() for _ in range(10)]:
        for n in range(3):
            response = await attacker.post(SIGN_IN, {"u": victim.username, "p": f"guess {n}"})
            errors = response.json()["data"]["signIn"]["errors"]
            outcomes.append(errors[0]["code"] if errors[0]["code"] != "RATE_LIMITED" else errors[0]["field"])
    # Only so many passwords are ever checked for one username, from any number of addresses
    assert outcomes.count("INVALID_CREDENTIALS") == USERNAME_FAILURES, outcomes
    assert outcomes.count("username") == 30 - USERNAME_FAILURES
    # The right password from a new address waits too...
    newcomer = await clients().post(SIGN_IN, {"u": victim.username, "p": "correct horse battery"})
    assert newcomer.json()["data"]["signIn"]["errors"] == [{"code": "RATE_LIMITED", "field": "username"}]
    # ...but the owner, from an address that signed in before, is not locked out
    owner = await home.post(SIGN_IN, {"u": victim.username, "p": "correct horse battery"})
    assert owner.json()["data"]["signIn"]["token"], owner.text


async def test_refused_documents_cost_the_callers_budget(clients: Any) -> None:
    """Refusing a document costs the server work, so it costs the client a request."""
    client = clients()
    remaining = []
    for query in ["{ ...Nope }", "{ viewer { ", "{ noSuchField }"] * 3:
        response = await client.post(query)
        if response.status_code == 429:
            break
        assert response.status_code == 400, response.text
        remaining.append(int(response.headers["ratelimit-remaining"]))
    assert remaining == list(range(BUDGETS["anon"] - 1, -1, -1))
    assert_refused(await client.post(VIEWER))


async def test_each_mutation_field_is_charged_however_it_is_spelled(clients: Any) -> None:
    client = clients()
    author = await new_user(client)
    fields = " ".join(f'p{n}: createPost(caption: "spread {n}") {{ post {{ id }} }}' for n in range(4))
    for spelling in (
        f"mutation {{ ...Burst }} fragment Burst on Mutation {{ {fields} }}",
        f"mutation {{ ... on Mutation {{ ...Burst }} }} fragment Burst on Mutation {{ {fields} }}",
        "mutation { ...A ...B } fragment A on Mutation { " + fields.split(" p2:")[0] + " } "
        "fragment B on Mutation { p2:" + fields.split(" p2:")[1] + " }",
    ):
        body = assert_refused(await client.post(spelling, token=author.token), retry=False)
        assert "4 post actions" in body["errors"][0]["message"], body
    assert await _posts_of(clients(), author) == 0, "no spelling ran"


async def test_what_runs_is_what_is_charged(clients: Any) -> None:
    """A skipped field costs nothing, and one field reached twice runs, and is charged, once."""
    client = clients()
    author = await new_user(client)
    query = (
        "mutation($skip: Boolean!, $include: Boolean!) { ...Once ...Once ... on Mutation { ...Once } "
        'skipped: createPost(caption: "skipped") @skip(if: $skip) { post { id } } '
        'excluded: createPost(caption: "excluded") @include(if: $include) { post { id } } } '
        'fragment Once on Mutation { once: createPost(caption: "once") { post { id } } }'
    )
    response = await client.post(query, {"skip": True, "include": False}, token=author.token)
    assert response.status_code == 200, response.text
    assert await _posts_of(clients(), author) == 1
    # So two of the three posts of the budget are left
    for n in range(BUDGETS["post"] - 1):
        response = await client.post(CREATE_POST, {"c": f"after {n}"}, token=author.token)
        assert response.json()["data"]["createPost"]["errors"] == []
    assert_refused(await client.post(CREATE_POST, {"c": "one too many"}, token=author.token))


async def _posts_of(client: Client, user: TestUser) -> int:
    query = "query($u: String!) { user(username: $u) { postCount } }"
    response = await client.post(query, {"u": user.username}, token=None)
    return int(response.json()["data"]["user"]["postCount"])


async def test_posting_has_its_own_budget_and_refused_posts_are_not_written(clients: Any) -> None:
    client = clients()
    author = await new_user(client)
    for n in range(BUDGETS["post"]):
        response = await client.post(CREATE_POST, {"c": f"post {n}"}, token=author.token)
        assert response.json()["data"]["createPost"]["errors"] == []
    assert_refused(await client.post(CREATE_POST, {"c": "one too many"}, token=author.token))
    # Reads are a separate budget and still work; the refused post was never written
    assert await _posts_of(clients(), author) == BUDGETS["post"]


async def test_each_alias_of_a_mutation_is_charged(clients: Any) -> None:
    client = clients()
    author = await new_user(client)
    aliases = " ".join(f'p{n}: createPost(caption: "burst {n}") {{ post {{ id }} }}' for n in range(4))
    body = assert_refused(await client.post(f"mutation {{ {aliases} }}", token=author.token), retry=False)
    assert "split it" in body["errors"][0]["message"]
    assert await _posts_of(clients(), author) == 0, "all or nothing: no alias ran"
    # Within the budget, each alias is charged: three aliases spend all three posts
    three = " ".join(f'p{n}: createPost(caption: "ok {n}") {{ post {{ id }} }}' for n in range(3))
    response = await client.post(f"mutation {{ {three} }}", token=author.token)
    assert response.headers["ratelimit-remaining"] == "0"
    assert_refused(await client.post(CREATE_POST, {"c": "one more"}, token=author.token))
    assert await _posts_of(clients(), author) == 3


@pytest.mark.parametrize(
    ("bucket", "first", "second"),
    [("like", LIKE, UNLIKE), ("follow", FOLLOW, UNFOLLOW), ("comment", ADD_COMMENT, None)],
)
async def test_likes_follows_and_comments_have_their_own_budgets(
    clients: Any, bucket: str, first: str, second: str | None
) -> None:
    client = clients()
    author, actor = await new_user(client), await new_user(client)
    post = await client.post(CREATE_POST, {"c": "target"}, token=author.token)
    post_id = post.json()["data"]["createPost"]["post"]["id"]
    variables = {"p": post_id, "u": author.id, "t": "nice"}
    for n in range(BUDGETS[bucket]):
        query = first if n % 2 == 0 or second is None else second
        response = await client.post(query, _only(query, variables), token=actor.token)
        assert response.status_code == 200, response.text
    assert_refused(await client.post(first, _only(first, variables), token=actor.token))
    # Other budgets are untouched
    assert (await client.post(CREATE_POST, {"c": "still fine"}, token=actor.token)).status_code == 200


def _only(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in variables.items() if f"${name}" in query}


async def test_upload_requests_have_their_own_budget(clients: Any) -> None:
    client = clients()
    user = await new_user(client)
    request = 'mutation { requestUpload(contentType: "image/jpeg", byteSize: 1000) { errors { code } } }'
    for _ in range(BUDGETS["upload"]):
        assert (await client.post(request, token=user.token)).json()["data"]["requestUpload"]["errors"] == []
    assert_refused(await client.post(request, token=user.token))


async def test_reports_have_their_own_budget_and_repeats_are_charged_too(clients: Any) -> None:
    client = clients()
    reporter, target = await new_user(client), await new_user(client)
    report = "mutation($u: ID!) { reportUser(userId: $u, reason: SPAM) { reported errors { code } } }"
    outcomes = []
    for _ in range(BUDGETS["report"]):
        response = await client.post(report, {"u": target.id}, token=reporter.token)
        outcomes.append(response.json()["data"]["reportUser"]["reported"])
    assert outcomes == [True, False], "kept once per reporter and target"
    assert_refused(await client.post(report, {"u": target.id}, token=reporter.token))
    # Blocks and mutes spend the follow budget, not the report budget
    block = "mutation($u: ID!) { block(userId: $u) { changed errors { code } } }"
    assert (await client.post(block, {"u": target.id}, token=reporter.token)).status_code == 200


async def test_a_costly_query_is_refused_before_it_runs_on_either_process(clients: Any) -> None:
    client = clients()
    author = await new_user(client)
    nested = (
        'mutation { createPost(caption: "never") { post { author { '
        "followers(first: 100) { edges { node { followers(first: 100) { edges { node { username } } } } } } "
        "} } } }"
    )
    for api in client.apis:
        response = await api.post(nested, token=author.token)
        assert response.status_code == 400
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert body["extensions"]["cost"]["requested"] > body["extensions"]["cost"]["maximum"] == 1000
    assert await _posts_of(clients(), author) == 0, "the mutation never ran"


async def test_the_same_document_is_priced_by_each_requests_variables(clients: Any) -> None:
    """Costs are remembered per process by query text and variables, never by text alone."""
    client = clients()
    user = await new_user(client)
    query = (
        "query Nest($u: String!, $n: Int!) { user(username: $u) { followers(first: $n) { edges { node { "
        "followers(first: $n) { edges { node { username } } } } } } } }"
    )
    api = client.apis[0]
    for n, refused in ((5, False), (100, True), (5, False), (100, True)):
        body = (await api.post(query, {"u": user.username, "n": n}, token=user.token)).json()
        cost = body["extensions"]["cost"]["requested"]
        assert (cost > body["extensions"]["cost"]["maximum"]) is refused, (n, body)
        if refused:
            assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        else:
            assert body["data"]["user"]["followers"]["edges"] == []


async def test_persisted_queries_are_shared_and_served_over_get(clients: Any) -> None:
    client = clients()
    api_a, api_b = client.apis
    query = "query PublicProfile($u: String!) { user(username: $u) { username postCount } }"
    sha = hashlib.sha256(query.encode()).hexdigest()
    user = await new_user(client)
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha}}

    def get_params(variables: dict[str, Any]) -> dict[str, str]:
        return {"extensions": json.dumps(persisted), "variables": json.dumps(variables)}

    # Unknown hash: the protocol's error, so the client resends with the query
    missing = await api_b.http.get(
        "/graphql", params=get_params({"u": user.username}), headers={"Accept": GRAPHQL_ACCEPT}
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0] == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    assert missing.headers["cache-control"] == "private, no-store"
    # Registered on one process...
    registered = await api_a.post(query, {"u": user.username}, extensions=persisted)
    assert registered.json()["data"]["user"]["username"] == user.username
    # ...and served by the other from the hash alone, over GET, cacheable by a CDN
    hit = await api_b.http.get("/graphql", params=get_params({"u": user.username}))
    assert hit.status_code == 200
    assert hit.json()["data"] == {"user": {"username": user.username, "postCount": 0}}
    assert hit.headers["cache-control"].startswith("public, max-age=")
    # A hash that does not match the query is refused, and nothing is stored under it
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    mismatch = await api_a.post(query, {"u": user.username}, extensions=wrong)
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert (await hash_only(api_b, wrong)).json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    # Invalid queries are not stored either
    invalid = "{ noSuchField }"
    bad = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(invalid.encode()).hexdigest()}}
    assert (await api_a.post(invalid, extensions=bad)).status_code == 400
    assert (await hash_only(api_b, bad)).json()["errors"][0]["message"] == "PersistedQueryNotFound"


async def hash_only(api: Api, extensions: dict[str, Any]) -> httpx.Response:
    return await api.http.post("/graphql", json={"extensions": extensions})
