"""One typed settings object, read once from the environment at startup.

Every variable is declared here with its default and a one-line description;
the README's configuration table is checked against this list by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aperture.env_values import parse_env_value

if TYPE_CHECKING:
    from collections.abc import Mapping


def _env(name: str, doc: str) -> dict[str, str]:
    return {"env": name, "doc": doc}


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = field(default="127.0.0.1", metadata=_env("APERTURE_HOST", "Address the API binds to."))
    port: int = field(default=8000, metadata=_env("APERTURE_PORT", "Port the API listens on."))
    data_dir: Path = field(
        default=Path("data"),
        metadata=_env("APERTURE_DATA_DIR", "Directory for embedded Redis, MongoDB stand-in and blobs."),
    )
    public_url: str = field(
        default="",
        metadata=_env(
            "APERTURE_PUBLIC_URL",
            "External base URL of the API; local upload and media links are built from it. "
            "Empty: http://{host}:{port}.",
        ),
    )
    secret_key: str = field(
        default="",
        metadata=_env(
            "APERTURE_SECRET_KEY",
            "Key that signs local upload URLs. Empty: generated once and kept in the data directory.",
        ),
    )
    mongodb_url: str = field(
        default="",
        metadata=_env(
            "MONGODB_URL",
            "mongodb:// URL of a real MongoDB. Empty: the embedded stand-in (litemongo on SQLite) "
            "in the data directory. litemongo:///path or litemongo+memory://name select it explicitly.",
        ),
    )
    mongodb_database: str = field(
        default="aperture", metadata=_env("MONGODB_DATABASE", "Database holding the hot tier.")
    )
    archive_mongodb_url: str = field(
        default="",
        metadata=_env("ARCHIVE_MONGODB_URL", "URL of the archive (cold) tier. Empty: same as MONGODB_URL."),
    )
    archive_database: str = field(
        default="aperture_archive",
        metadata=_env("ARCHIVE_DATABASE", "Database holding archived posts."),
    )
    redis_url: str = field(
        default="",
        metadata=_env(
            "REDIS_URL",
            "redis:// or unix:// URL. Empty: an embedded redis-server in the data directory.",
        ),
    )
    redis_cluster: bool = field(
        default=False,
        metadata=_env(
            "REDIS_CLUSTER",
            "1 to talk to REDIS_URL as a Redis Cluster (or use a redis+cluster:// URL).",
        ),
    )
    queue_redis_url: str = field(
        default="",
        metadata=_env(
            "QUEUE_REDIS_URL",
            "Redis for the arq job queue. Empty: REDIS_URL. Must not be a cluster (arq needs one node).",
        ),
    )
    s3_endpoint_url: str = field(
        default="",
        metadata=_env(
            "S3_ENDPOINT_URL", "S3 endpoint, e.g. http://minio:9000. Empty with S3_BUCKET set: AWS."
        ),
    )
    s3_public_endpoint_url: str = field(
        default="",
        metadata=_env(
            "S3_PUBLIC_ENDPOINT_URL",
            "S3 endpoint as browsers reach it, for upload targets, when it differs from S3_ENDPOINT_URL.",
        ),
    )
    s3_bucket: str = field(
        default="",
        metadata=_env("S3_BUCKET", "Bucket for media. Empty: the local-disk blob store."),
    )
    s3_region: str = field(default="us-east-1", metadata=_env("S3_REGION", "Region of the bucket."))
    s3_access_key_id: str = field(default="", metadata=_env("S3_ACCESS_KEY_ID", "S3 access key id."))
    s3_secret_access_key: str = field(
        default="", metadata=_env("S3_SECRET_ACCESS_KEY", "S3 secret access key.")
    )
    s3_cold_storage_class: str = field(
        default="STANDARD_IA",
        metadata=_env(
            "S3_COLD_STORAGE_CLASS", "Storage class archived media variants are moved to. Empty: not moved."
        ),
    )
    cdn_base_url: str = field(
        default="",
        metadata=_env(
            "CDN_BASE_URL",
            "Base URL in front of the media store; variant keys (media/...) are appended. "
            "Empty: the API itself serves /media as a CDN origin.",
        ),
    )
    log_level: str = field(default="INFO", metadata=_env("LOG_LEVEL", "Python log level."))
    log_format: str = field(
        default="auto",
        metadata=_env("LOG_FORMAT", "json, text, or auto: text when stderr is a terminal, json otherwise."),
    )
    argon2_time_cost: int = field(
        default=3, metadata=_env("ARGON2_TIME_COST", "argon2id passes per password hash.")
    )
    argon2_memory_kib: int = field(
        default=65536, metadata=_env("ARGON2_MEMORY_KIB", "argon2id memory per password hash, in KiB.")
    )
    seed_demo: bool = field(
        default=True,
        metadata=_env("APERTURE_SEED_DEMO", "aperture serve seeds demo data on first start."),
    )
    # Feed and user classes
    feed_cap: int = field(default=800, metadata=_env("FEED_CAP", "Entries kept in each home feed cache."))
    famous_threshold: int = field(
        default=10_000,
        metadata=_env("FAMOUS_FOLLOWER_THRESHOLD", "Followers at which an author is pulled, not pushed."),
    )
    active_days: int = field(
        default=30,
        metadata=_env("ACTIVE_WINDOW_DAYS", "Days since last visit within which a user is pushed to."),
    )
    inactive_days: int = field(
        default=90,
        metadata=_env(
            "INACTIVE_AFTER_DAYS",
            "Days without a visit after which a user's feed cache is dropped.",
        ),
    )
    fanout_batch_size: int = field(
        default=5000,
        metadata=_env(
            "FANOUT_BATCH_SIZE", "Followers per fan-out job (a range of the author's follower index)."
        ),
    )
    fanout_page_size: int = field(
        default=10_000,
        metadata=_env(
            "FANOUT_PAGE_SIZE", "Followers read per MongoDB query when a follower index is rebuilt."
        ),
    )
    counter_flush_delay_s: float = field(
        default=1.0,
        metadata=_env(
            "COUNTER_FLUSH_DELAY_S", "Seconds a counter change waits before its flush, to batch changes."
        ),
    )
    fanout_sweep_delay_s: float = field(
        default=60.0,
        metadata=_env(
            "FANOUT_SWEEP_DELAY_S",
            "Delay of the second unfollow sweep, which removes posts pushed by batches in flight.",
        ),
    )
    recent_cap: int = field(
        default=200, metadata=_env("RECENT_POSTS_CAP", "Newest post ids cached per author.")
    )
    max_rebuild_followees: int = field(
        default=2000,
        metadata=_env(
            "MAX_REBUILD_FOLLOWEES", "Followed accounts read when a feed is rebuilt or paged past its cache."
        ),
    )
    hashtag_window_cap: int = field(
        default=200,
        metadata=_env(
            "HASHTAG_WINDOW_CAP", "Newest post ids cached per hashtag (hashtag pages, followed tags)."
        ),
    )
    notification_groups_kept: int = field(
        default=500,
        metadata=_env("NOTIFICATION_GROUPS_KEPT", "Newest notification groups kept per user; older ones go."),
    )
    live_catch_up_window_s: int = field(
        default=300,
        metadata=_env(
            "LIVE_CATCH_UP_WINDOW_S",
            "How far before its cursor a resubscribing live client is replayed, to cover fan-out lag.",
        ),
    )
    # Ranked home timeline (services/ranking/config.py)
    ranking_weights: str = field(
        default="",
        metadata=_env(
            "RANKING_WEIGHTS",
            "Score weights overriding the defaults (recency=1, affinity=1, velocity=0.5; per engagement "
            "like=1, comment=3, visit=0.5), e.g. 'affinity=2,visit=0'.",
        ),
    )
    ranking_half_lives_h: str = field(
        default="",
        metadata=_env(
            "RANKING_HALF_LIVES_H",
            "Half-lives in hours overriding the defaults (recency=12, affinity=336, velocity=6).",
        ),
    )
    ranking_window_hours: float = field(
        default=72.0,
        metadata=_env(
            "RANKING_WINDOW_HOURS", "Age of the oldest post a ranked page ranks; older ones follow by time."
        ),
    )
    ranking_max_candidates: int = field(
        default=200, metadata=_env("RANKING_MAX_CANDIDATES", "Most posts one ranking orders.")
    )
    ranking_snapshot_ttl_s: int = field(
        default=1800,
        metadata=_env(
            "RANKING_SNAPSHOT_TTL_S", "Seconds a ranking is kept for paging after its last page was read."
        ),
    )
    # Media
    max_image_bytes: int = field(
        default=30 * 1024 * 1024, metadata=_env("MAX_IMAGE_BYTES", "Largest accepted image upload.")
    )
    max_video_bytes: int = field(
        default=500 * 1024 * 1024,
        metadata=_env("MAX_VIDEO_BYTES", "Largest accepted video upload."),
    )
    max_video_seconds: int = field(default=180, metadata=_env("MAX_VIDEO_SECONDS", "Longest accepted video."))
    transcode_timeout_s: int = field(
        default=600,
        metadata=_env("TRANSCODE_TIMEOUT_S", "Wall-clock limit for one video transcode."),
    )
    media_warm_processes: int = field(
        default=2,
        metadata=_env(
            "MEDIA_WARM_PROCESSES",
            "Sandboxed media processes a worker keeps started between items. 0: a new process per item.",
        ),
    )
    upload_url_ttl_s: int = field(
        default=900, metadata=_env("UPLOAD_URL_TTL_S", "Lifetime of a presigned upload target.")
    )
    # Jobs
    worker_max_jobs: int = field(
        default=16, metadata=_env("WORKER_MAX_JOBS", "Jobs one worker process runs at once.")
    )
    worker_poll_delay_s: float = field(
        default=0.05,
        metadata=_env(
            "WORKER_POLL_DELAY_S", "How often an idle worker looks for new jobs (it bounds live latency)."
        ),
    )
    job_timeout_s: int = field(
        default=900,
        metadata=_env("JOB_TIMEOUT_S", "Longest an arq job may run before it is retried."),
    )
    # Tiers
    archive_after_days: int = field(
        default=180,
        metadata=_env("ARCHIVE_AFTER_DAYS", "Age after which a quiet post moves to the archive."),
    )
    archive_max_engagement: int = field(
        default=50,
        metadata=_env("ARCHIVE_MAX_ENGAGEMENT", "Posts with more likes+comments than this stay hot."),
    )
    promote_after_reads: int = field(
        default=20,
        metadata=_env(
            "PROMOTE_AFTER_READS", "Reads in a day that bring an archived post back to the hot tier."
        ),
    )
    # Gateway
    max_query_depth: int = field(default=12, metadata=_env("GRAPHQL_MAX_DEPTH", "Deepest query accepted."))
    max_aliases: int = field(default=30, metadata=_env("GRAPHQL_MAX_ALIASES", "Most aliases in one query."))
    max_tokens: int = field(
        # Parsing costs about 8 microseconds a token on the event loop; GraphiQL's
        # introspection query has 163 tokens, the web client's largest document about 70
        default=1000,
        metadata=_env("GRAPHQL_MAX_TOKENS", "Most lexer tokens in one query."),
    )
    max_query_cost: int = field(
        default=5000,
        metadata=_env("GRAPHQL_MAX_COST", "Highest query cost accepted before execution."),
    )
    graphql_execution_plans: bool = field(
        default=True,
        metadata=_env(
            "GRAPHQL_EXECUTION_PLANS",
            "0 to execute queries with graphql-core's own executor instead of cached execution plans.",
        ),
    )
    rate_limits: str = field(
        default="",
        metadata=_env(
            "RATE_LIMITS",
            "Per-minute budgets overriding the defaults (read=1200, anon=300, post=30, like=300, "
            "comment=60, follow=120, account=20, upload=60, report=10), e.g. 'read=600,post=10'; "
            "'off' disables.",
        ),
    )
    sign_in_failures_per_username: int = field(
        default=10,
        metadata=_env(
            "SIGN_IN_FAILURES_PER_USERNAME",
            "Failed sign-ins on one username, from any addresses, after which new addresses are "
            "refused until SIGN_IN_LOCK_S after the first failure. Addresses that signed in before "
            "are never locked out.",
        ),
    )
    sign_in_lock_s: int = field(
        default=900,
        metadata=_env(
            "SIGN_IN_LOCK_S", "Window in which SIGN_IN_FAILURES_PER_USERNAME failures lock a username."
        ),
    )
    cors_allow_origins: str = field(
        default="*",
        metadata=_env(
            "CORS_ALLOW_ORIGINS",
            "Origins whose pages may call the API, upload and load media (comma-separated, * for any; "
            "safe because credentials are bearer tokens, never cookies). Empty: same origin only.",
        ),
    )
    forwarded_allow_ips: str = field(
        default="127.0.0.1",
        metadata=_env(
            "FORWARDED_ALLOW_IPS",
            "Proxies whose X-Forwarded-For is trusted for the client address (comma-separated, or *).",
        ),
    )
    public_cache_max_age_s: int = field(
        default=30,
        metadata=_env(
            "PUBLIC_CACHE_MAX_AGE_S",
            "Cache-Control max-age of anonymous GET query responses, so a CDN can serve them.",
        ),
    )
    metrics_token: str = field(
        default="",
        metadata=_env("METRICS_TOKEN", "Bearer token /metrics requires. Empty: /metrics is open."),
    )
    worker_metrics_port: int = field(
        default=0,
        metadata=_env(
            "WORKER_METRICS_PORT",
            "Port on which `aperture worker` serves /metrics (METRICS_TOKEN applies). 0: not served.",
        ),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = env.get(spec.metadata["env"])
            if raw is None or raw == "":
                continue
            values[spec.name] = parse_env_value(spec.default, raw, spec.metadata["env"])
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    @property
    def live_catch_up_window(self) -> timedelta:
        return timedelta(seconds=self.live_catch_up_window_s)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def media_base_url(self) -> str:
        return (self.cdn_base_url or self.base_url).rstrip("/")

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)


CLUSTER_SCHEMES = {"redis+cluster://": "redis://", "rediss+cluster://": "rediss://"}


def is_cluster_url(url: str) -> bool:
    return url.startswith(tuple(CLUSTER_SCHEMES))
