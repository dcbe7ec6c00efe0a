"""The per-username lock on failed sign-ins: bounded in time, and never shutting the owner out."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from services.accounts.sign_in_failures import SignInFailures
from services.foundation.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from services.container import Services


async def _fail(failures: SignInFailures, username: str, address: str) -> ErrorCode:
    """One wrong password; the code the attempt ended with."""
    try:
        async with failures.attempt(username, address):
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, "wrong username or password")
    except DomainError as error:
        return error.code
    raise AssertionError("unreachable")


async def test_the_lock_opens_when_its_window_ends(services: Services) -> None:
    failures = SignInFailures(services.stores.redis, limit=3, window_s=1)
    codes = [await _fail(failures, "victim", f"203.0.113.{n}") for n in range(5)]
    assert codes == [ErrorCode.INVALID_CREDENTIALS] * 3 + [ErrorCode.RATE_LIMITED] * 2
    with pytest.raises(DomainError) as refused:
        async with failures.attempt("Victim", "203.0.113.99"):  # usernames are case-insensitive
            pass
    assert (refused.value.code, refused.value.field) == (ErrorCode.RATE_LIMITED, "username")
    await asyncio.sleep(1.2)
    async with failures.attempt("victim", "203.0.113.99"):
        pass  # the window ended: a new address may try again


async def test_successes_and_other_errors_are_not_failures(services: Services) -> None:
    failures = SignInFailures(services.stores.redis, limit=2, window_s=60)
    for _ in range(5):
        async with failures.attempt("owner", "203.0.113.1"):
            pass
    with pytest.raises(DomainError):
        async with failures.attempt("owner", "203.0.113.2"):
            raise DomainError(ErrorCode.PASSWORD_TOO_LONG, "not a guess")
    assert await _fail(failures, "owner", "203.0.113.3") is ErrorCode.INVALID_CREDENTIALS


async def test_a_known_address_is_never_locked_out(services: Services) -> None:
    failures = SignInFailures(services.stores.redis, limit=2, window_s=60)
    await failures.remember("owner", "198.51.100.7")
    for n in range(4):
        await _fail(failures, "owner", f"203.0.113.{n}")
    assert await _fail(failures, "owner", "203.0.113.50") is ErrorCode.RATE_LIMITED
    async with failures.attempt("owner", "198.51.100.7"):
        pass
