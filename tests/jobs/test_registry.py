"""Every job name has a handler, every handler a name, and nothing else can be enqueued."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

import pytest

import services
from jobs.registry import JOBS, arq_functions
from services.foundation.job_queue import JobName

if TYPE_CHECKING:
    from services.container import Services


def declared_job_names() -> set[JobName]:
    # Import every module of the domain packages, so every JobName enum is defined
    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)
    return {member for enum in JobName.__subclasses__() for member in enum}


def test_every_declared_job_has_a_handler_and_every_handler_a_declared_name() -> None:
    declared = declared_job_names()
    assert declared, "no JobName enums were found"
    assert declared == set(JOBS)


def test_arq_runs_each_job_under_its_declared_name() -> None:
    names = [function.name for function in arq_functions()]
    assert len(names) == len(set(names))
    assert set(names) == {name.value for name in declared_job_names()}


async def test_enqueueing_a_bare_string_is_refused(services: Services) -> None:
    with pytest.raises(TypeError, match="JobName"):
        await services.queue.enqueue("fanout_post", 1, 0.0)  # type: ignore[arg-type]
    assert await services.queue.depth() == 0
