"""A bounded GraphQL fuzz run: schemathesis generates documents for every query and mutation
field of the committed schema, with valid and invalid arguments and selections, and sends each
to a real API process twice, anonymously and signed in. No answer may be a 5xx, fail to be
JSON, or carry INTERNAL_ERROR.

Bounded to FUZZ_EXAMPLES examples per field (60: about 2,200 requests in 30 s); raise it to fuzz longer,
e.g. `FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_graphql.py`.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from tests.helpers import PASSWORD
from tests.processes import Deployment, lone_api

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case

pytestmark = pytest.mark.multiprocess

SCHEMA = schemathesis.graphql.from_path(Path(__file__).resolve().parent.parent / "schema.graphql")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SIGN_UP = "mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token } }"
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { token } }"


class Fuzzed:
    """The process under fuzzing and a signed-in user, whose token is renewed when a fuzzed
    signOut revokes it."""

    def __init__(self, running: Deployment) -> None:
        (self.base,) = running.bases
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self.username = "fuzzer"
        self.token = self._token(SIGN_UP)
        self.statuses: Counter[int] = Counter()

    def _token(self, mutation: str) -> str:
        body = self.http.post(
            "/graphql", json={"query": mutation, "variables": {"u": self.username, "p": PASSWORD}}
        )
        token: str = body.json()["data"][mutation.split("{ ", 1)[1].split("(", 1)[0]]["token"]
        return token

    def send(self, case: Case[Any], *, signed_in: bool) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if signed_in else {}
        response = self.http.post("/graphql", json={"query": case.body}, headers=headers)
        if signed_in and response.status_code == 401:  # the fuzzer signed this session out
            self.token = self._token(SIGN_IN)
        self.statuses[response.status_code] += 1
        return response


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Deployment]:
    with lone_api(tmp_path_factory.mktemp("fuzz"), redis_url, redis_db=7) as d:
        yield d


@pytest.fixture(scope="module")
def fuzzed(running: Deployment) -> Iterator[Fuzzed]:
    target = Fuzzed(running)
    yield target
    target.http.close()
    print(f"fuzz: {target.statuses.total()} requests, by status {dict(target.statuses)}")  # noqa: T201 - for the record (pytest -s)


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    body: dict[str, Any] = response.json()  # every answer is JSON
    codes = [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]
    assert "INTERNAL_ERROR" not in codes, body
    assert None not in codes, f"an error without a code: {body}"


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no example database written into the work tree
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_fuzzed_document_breaks_the_api(case: Case[Any], fuzzed: Fuzzed) -> None:
    if os.environ.get("FUZZ_SHOW"):
        print(case.body)  # noqa: T201
    check(fuzzed.send(case, signed_in=False))
    check(fuzzed.send(case, signed_in=True))
