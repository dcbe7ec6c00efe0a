"""Every Redis key is built by a named builder that tests/test_redis_keys.py lists.

The slot checks there only cover the keys they know of: these checks scan the packages that
own keys (every domain package, and the gateway's limits and caches) for a builder or a
constant the list misses, and for Redis calls that spell a key inline.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gateway
import services
from tests.test_redis_keys import CONSTANTS, PATTERNS

if TYPE_CHECKING:
    from collections.abc import Callable

# The packages that own Redis keys: every domain package, and the gateway's limits and caches
KEY_OWNERS = (services, gateway)


def _service_modules() -> list[Any]:
    return [
        importlib.import_module(info.name)
        for package in KEY_OWNERS
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    ]


def _service_files() -> list[Path]:
    return sorted(path for package in KEY_OWNERS for path in Path(str(package.__file__)).parent.rglob("*.py"))


def test_the_key_checks_see_every_domain_package() -> None:
    """The scans below cover the nested packages, not just the top of services/."""
    names = {module.__name__ for module in _service_modules()}
    assert {"services.timeline.feed_store", "gateway.rate_limits", "services.engagement.likes"} <= names
    assert len(_service_files()) > 40


def test_every_key_builder_is_listed() -> None:
    """Every `*_key()` function and `*_KEY` string constant of services/ is in PATTERNS or CONSTANTS."""
    builders: set[Callable[..., str]] = set()
    constants: set[str] = set()
    for module in _service_modules():
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            if name.endswith("_key") and inspect.isfunction(value) and defined_here:
                builders.add(value)
            elif name.endswith("_KEY") and isinstance(value, str):
                constants.add(name)
    assert builders - set(PATTERNS) == set(), (
        "list the new key builder in PATTERNS (and GROUPS if used together)"
    )
    assert constants - set(CONSTANTS) == set(), "list the new key constant in CONSTANTS"


# Redis methods whose first argument is not a key
_NOT_KEYS = {"register_script", "pipeline", "pubsub", "execute_command", "script_load", "eval", "evalsha"}


def _redis_receiver(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return text.endswith(("redis", "pipe"))


def _inline_keys(tree: ast.AST) -> list[tuple[int, str]]:
    """Redis calls whose key is a string literal or an f-string rather than a named builder."""
    found: list[tuple[int, str]] = []

    def literal(node: ast.expr) -> bool:
        if isinstance(node, ast.ListComp):
            return literal(node.elt)
        return isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str)
        )

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        candidates: list[ast.expr] = []
        if isinstance(node.func, ast.Name) and node.func.id == "mget":  # services.cluster_safe.mget
            candidates += node.args[1:]
        func = node.func
        if isinstance(func, ast.Attribute) and _redis_receiver(func.value) and func.attr not in _NOT_KEYS:
            candidates += node.args[:1]
            if func.attr in {"delete", "exists", "unlink", "touch", "mget"}:
                candidates += node.args[1:]
        for keyword in node.keywords:
            if keyword.arg == "keys" and isinstance(keyword.value, ast.List):
                candidates += keyword.value.elts
        candidates = [
            element
            for candidate in candidates
            for element in (candidate.elts if isinstance(candidate, ast.List) else [candidate])
        ]
        found += [(node.lineno, ast.unparse(node)) for candidate in candidates if literal(candidate)]
    return found


def test_keys_are_built_by_named_builders() -> None:
    """So that every key pattern is one function or constant, which this module lists."""
    offenders = [
        f"{path.name}:{line}: {call}"
        for path in _service_files()
        for line, call in _inline_keys(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_inline_key_check_sees_inline_keys() -> None:
    source = (
        "async def f(self, pipe, y):\n"
        '    await self._redis.get(f"x:{y}")\n'
        '    pipe.sadd("k", 1)\n'
        '    await mget(self._redis, [f"u:{i}" for i in y])\n'
        '    await self._script(keys=[feed_key(y), "other"], args=[1])\n'
        "    await self._redis.get(feed_key(y))\n"
    )
    assert sorted(line for line, _ in _inline_keys(ast.parse(source))) == [2, 3, 4, 5]
