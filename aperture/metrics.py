"""Prometheus metrics of this process. Each API and worker process is its own scrape target.

Services stay free of Prometheus: they count in plain attributes or call hooks, and the
collectors in gateway/metrics_route.py and the hooks wired in jobs/worker.py read them.
"""

from __future__ import annotations

import re
import threading

from prometheus_client import Counter, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
_JOB_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

REQUEST_SECONDS = Histogram(
    "aperture_graphql_request_seconds",
    "GraphQL request latency over HTTP, by operation.",
    ["operation", "type"],
    buckets=_LATENCY_BUCKETS,
)
ERRORS = Counter("aperture_graphql_errors_total", "GraphQL errors returned, by code.", ["code"])
RATE_LIMITED = Counter(
    "aperture_rate_limited_total", "Requests refused by a rate limit, by bucket.", ["bucket"]
)
FANOUT_LAG_SECONDS = Histogram(
    "aperture_fanout_lag_seconds",
    "From a post becoming visible to its last follower's feed being written.",
    buckets=_LAG_BUCKETS,
)
LIVE_DELIVERY_SECONDS = Histogram(
    "aperture_live_delivery_seconds",
    "From a post becoming visible to its event being sent on a subscriber's socket.",
    buckets=_LATENCY_BUCKETS,
)
LIVE_RENDERS = Counter(
    "aperture_live_renders_total",
    "Subscription events rendered for their subscriber (rendered), taken from another's render "
    "(shared), or sent as another's already encoded frame without running the subscriber's execution "
    "(sent_rendered).",
    ["outcome"],
)
CARD_RENDERS = Counter(
    "aperture_card_renders_total",
    "Post cards completed for their request (completed) or taken from an earlier completion (kept).",
    ["outcome"],
)
JOB_SECONDS = Histogram(
    "aperture_job_seconds",
    "Duration of background jobs, by job and outcome.",
    ["job", "outcome"],
    buckets=_JOB_BUCKETS,
)
JOB_FAILURES = Counter("aperture_job_failures_total", "Background job attempts that raised, by job.", ["job"])
MEDIA_SECONDS = Histogram(
    "aperture_media_processing_seconds",
    "Time to make the variants of one photo or video, by kind and outcome.",
    ["kind", "outcome"],
    buckets=_JOB_BUCKETS,
)

_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX_OPERATION_LABELS = 200
_seen_operations: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    """Client-chosen names are bounded, so a client cannot blow up the label set."""
    if name is None:
        return "anonymous"
    if not _OPERATION_NAME.fullmatch(name):
        return "other"
    with _seen_lock:
        if name in _seen_operations:
            return name
        if len(_seen_operations) >= _MAX_OPERATION_LABELS:
            return "other"
        _seen_operations.add(name)
        return name
