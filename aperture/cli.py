"""The `aperture` command.

serve   the API, an in-process arq worker and any embedded stores, in one command
api     the API only (production: configure MONGODB_URL and REDIS_URL)
worker  an arq worker only
seed    load the demo network
reports list reports of posts and people for moderators, newest first (JSON lines)
schema  print the GraphQL SDL
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from aperture.logs import configure_logging
from aperture.settings import Settings
from gateway.body_limit import MAX_GRAPHQL_BODY_BYTES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from arq.worker import Worker

log = logging.getLogger("aperture")

WS_PING_INTERVAL_S = 20.0
WS_PING_TIMEOUT_S = 20.0
WORKER_GRACE_S = 10.0


class AppServer(uvicorn.Server):
    """uvicorn's server without its own signal handling: the command owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        ws_ping_interval=WS_PING_INTERVAL_S,
        ws_ping_timeout=WS_PING_TIMEOUT_S,
        # Compressing each small live event for each socket costs more CPU than the bytes it
        # saves are worth; a proxy in front may still compress HTTP responses
        ws_per_message_deflate=False,
        # A graphql-transport-ws message is a GraphQL request: the same bound as an HTTP body
        # (uvicorn's default is 16 MiB); a larger one closes the socket with 1009
        ws_max_size=MAX_GRAPHQL_BODY_BYTES,
        timeout_graceful_shutdown=5,
        lifespan="on",
        # Per-IP rate limits need the client's address, which a trusted proxy passes on
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _install_stop_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def stop_worker(worker: Worker, run_task: asyncio.Task[None]) -> None:
    """Stop taking jobs, give running ones a grace period, then cancel the rest.

    A cancelled job is safe: every job is idempotent and arq retries it once its
    in-progress lock expires.
    """
    run_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run_task
    running = [task for task in worker.tasks.values() if not task.done()]
    if running:
        await asyncio.wait(running, timeout=WORKER_GRACE_S)
    try:
        await worker.close()
    except asyncio.CancelledError:
        log.warning("jobs still running at shutdown were cancelled; they will be retried")


async def _run_until_stopped(server: AppServer, worker: Worker | None) -> None:
    stop = asyncio.Event()
    _install_stop_handlers(stop)
    server_task = asyncio.create_task(server.serve())
    worker_task = asyncio.create_task(worker.async_run()) if worker is not None else None
    stop_task = asyncio.create_task(stop.wait())
    watched = {server_task, stop_task} | ({worker_task} if worker_task else set())
    done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    if worker_task is not None and worker is not None:
        await stop_worker(worker, worker_task)
    with contextlib.suppress(asyncio.CancelledError):
        await server_task
    stop_task.cancel()
    for task in done:
        if task is not stop_task and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def serve(settings: Settings, *, seed: bool) -> None:
    from aperture.embedded.runtime import start_embedded  # noqa: PLC0415
    from aperture.seed import seed_demo  # noqa: PLC0415
    from jobs.worker import build_worker  # noqa: PLC0415
    from server import create_app  # noqa: PLC0415
    from services.runtime import open_services  # noqa: PLC0415

    runtime = await start_embedded(settings)
    try:
        settings = runtime.settings
        async with open_services(settings) as services:
            demo = await seed_demo(services) if seed else None
            app = create_app(settings, services)
            worker = build_worker(settings, services)
            server = AppServer(uvicorn_config(app, settings))
            _print_banner(settings, runtime.started, demo)
            await _run_until_stopped(server, worker)
    finally:
        await runtime.stop()
    log.info("stopped cleanly")


def _print_banner(settings: Settings, started: list[str], demo: Any) -> None:
    lines = [
        "",
        "  Aperture is running",
        f"    GraphiQL   {settings.base_url}/graphql",
        f"    Web app    {settings.base_url}/",
        f"    Data       {settings.data_dir}",
    ]
    lines += [f"    Embedded   {item}" for item in started]
    if demo is not None:
        lines.append(f"    Demo login username={demo.username} password={demo.password}")
    lines += ["    Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)  # noqa: T201 - the banner is for the person at the terminal


def _require_configured(settings: Settings, command: str) -> None:
    missing = [
        name
        for name, value in (
            ("MONGODB_URL", settings.mongodb_url),
            ("REDIS_URL", settings.redis_url),
        )
        if not value
    ]
    if missing:
        sys.exit(
            f"aperture {command}: set {' and '.join(missing)} "
            "(aperture serve starts embedded stores; api and worker connect to shared ones)"
        )
    if not settings.uses_s3 and not settings.secret_key:
        sys.exit(
            f"aperture {command}: set APERTURE_SECRET_KEY "
            "(shared by every process that uses the local blob store)"
        )


async def api(settings: Settings) -> None:
    from server import create_app  # noqa: PLC0415

    server = AppServer(uvicorn_config(create_app(settings), settings))
    await _run_until_stopped(server, None)


async def worker(settings: Settings, *, burst: bool) -> None:
    from jobs.worker import build_worker  # noqa: PLC0415

    arq_worker = build_worker(settings, burst=burst)
    if settings.worker_metrics_port:
        from gateway.metrics_route import worker_metrics_app  # noqa: PLC0415

        metrics_server = AppServer(
            uvicorn.Config(
                worker_metrics_app(settings.metrics_token),
                host=settings.host,
                port=settings.worker_metrics_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        await _run_until_stopped(metrics_server, arq_worker)
        return
    stop = asyncio.Event()
    _install_stop_handlers(stop)
    run_task = asyncio.create_task(arq_worker.async_run())
    stop_task = asyncio.create_task(stop.wait())
    await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    await stop_worker(arq_worker, run_task)
    stop_task.cancel()


async def seed(settings: Settings) -> None:
    from aperture.embedded.runtime import start_embedded  # noqa: PLC0415
    from aperture.seed import seed_demo  # noqa: PLC0415
    from services.runtime import open_services  # noqa: PLC0415

    runtime = await start_embedded(settings)
    try:
        async with open_services(runtime.settings) as services:
            demo = await seed_demo(services)
            print(f"demo login: username={demo.username} password={demo.password}")  # noqa: T201
    finally:
        await runtime.stop()


async def reports(settings: Settings, *, limit: int) -> None:
    from aperture.embedded.runtime import start_embedded  # noqa: PLC0415
    from services.runtime import open_services  # noqa: PLC0415

    runtime = await start_embedded(settings)
    try:
        async with open_services(runtime.settings) as services:
            for report in await services.reports.newest(limit):
                sys.stdout.write(json.dumps(report.to_json()) + "\n")
    finally:
        await runtime.stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aperture", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "api"):
        command = commands.add_parser(name)
        command.add_argument("--host")
        command.add_argument("--port", type=int)
        if name == "serve":
            command.add_argument("--data-dir", type=Path)
            command.add_argument("--no-seed", action="store_true", help="skip the demo data")
    worker_command = commands.add_parser("worker")
    worker_command.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    seed_command = commands.add_parser("seed")
    seed_command.add_argument("--data-dir", type=Path)
    reports_command = commands.add_parser("reports")
    reports_command.add_argument("--data-dir", type=Path)
    reports_command.add_argument("--limit", type=int, default=100, help="how many, newest first")
    commands.add_parser("schema")
    return parser


def _run(coroutine: Any) -> None:
    try:
        import uvloop  # noqa: PLC0415 - optional speed-up, installed with uvicorn[standard]
    except ImportError:  # pragma: no cover
        asyncio.run(coroutine)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coroutine)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from schema.root import print_sdl  # noqa: PLC0415

        sys.stdout.write(print_sdl())
        return
    settings = Settings.from_env()
    overrides = {
        key: value
        for key, value in (
            ("host", getattr(args, "host", None)),
            ("port", getattr(args, "port", None)),
            ("data_dir", getattr(args, "data_dir", None)),
        )
        if value is not None
    }
    settings = dataclasses.replace(settings, **overrides)
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "serve":
        _run(serve(settings, seed=settings.seed_demo and not args.no_seed))
    elif args.command == "api":
        _require_configured(settings, "api")
        _run(api(settings))
    elif args.command == "worker":
        _require_configured(settings, "worker")
        _run(worker(settings, burst=args.burst))
    elif args.command == "seed":
        _run(seed(settings))
    elif args.command == "reports":
        _run(reports(settings, limit=args.limit))


if __name__ == "__main__":
    main()
