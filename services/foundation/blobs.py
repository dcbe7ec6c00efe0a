"""Blob storage: S3 (aioboto3) in production, a local directory when embedded.

Originals live under ``uploads/`` and are never served; processed variants live
under ``media/`` and are the only keys the CDN origin exposes. Writes are atomic
so that a reader never sees half a file.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import shutil
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from aperture.settings import Settings

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_PREFIX = "media/"
UPLOAD_PREFIX = "uploads/"


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where and how a client sends an upload's bytes.

    POST targets are multipart forms: send ``fields`` first, then the file as ``file``.
    PUT targets take the raw bytes as the body, with ``headers``.
    """

    url: str
    method: str
    expires_at: datetime
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BlobInfo:
    size: int
    content_type: str | None
    storage_class: str | None = None


class BlobStore(abc.ABC):
    def __init__(self, public_base_url: str) -> None:
        self.public_base_url = public_base_url.rstrip("/")

    def public_url(self, key: str) -> str:
        if not key.startswith(MEDIA_PREFIX):
            raise ValueError("only processed media is public")
        return f"{self.public_base_url}/{quote(key)}"

    @abc.abstractmethod
    async def ping(self) -> None: ...

    @abc.abstractmethod
    async def put_file(self, key: str, path: Path, content_type: str) -> None: ...

    @abc.abstractmethod
    async def download(self, key: str, path: Path, *, max_bytes: int) -> int:
        """Copy a blob to a local file; fail if it is larger than max_bytes."""

    @abc.abstractmethod
    async def head(self, key: str) -> BlobInfo | None: ...

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> int: ...

    @abc.abstractmethod
    async def delete(self, key: str) -> int:
        """Delete one blob (exactly this key); returns how many blobs went (0 or 1)."""

    @abc.abstractmethod
    async def list_keys(self, prefix: str) -> list[str]: ...

    @abc.abstractmethod
    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, ttl_s: int
    ) -> UploadTarget: ...

    @abc.abstractmethod
    async def set_storage_class(self, key: str, storage_class: str) -> None: ...

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class BlobTooLargeError(Exception):
    pass


class LocalBlobStore(BlobStore):
    """Blobs as files under one directory. Aperture itself is the upload target and CDN origin."""

    def __init__(self, root: Path, public_base_url: str, upload_base_url: str, secret: bytes) -> None:
        super().__init__(public_base_url)
        self.root = root.absolute()
        self.upload_base_url = upload_base_url.rstrip("/")
        self._secret = secret
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".tmp").mkdir(exist_ok=True)

    def path_for(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key escapes the blob root: {key!r}")
        return path

    def temp_path(self) -> Path:
        return self.root / ".tmp" / secrets.token_hex(16)

    async def ping(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")

    async def put_file(self, key: str, path: Path, content_type: str) -> None:  # noqa: ARG002 - type is implied by the key's suffix locally
        target = self.path_for(key)
        temp = self.temp_path()

        def copy() -> None:
            shutil.copyfile(path, temp)
            target.parent.mkdir(parents=True, exist_ok=True)
            temp.replace(target)

        await asyncio.to_thread(copy)

    def commit_temp(self, temp: Path, key: str) -> None:
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.replace(target)

    async def download(self, key: str, path: Path, *, max_bytes: int) -> int:
        source = self.path_for(key)
        size = source.stat().st_size
        if size > max_bytes:
            raise BlobTooLargeError(f"{size} bytes is over the limit of {max_bytes}")
        await asyncio.to_thread(shutil.copyfile, source, path)
        return size

    async def head(self, key: str) -> BlobInfo | None:
        try:
            stat = self.path_for(key).stat()
        except FileNotFoundError:
            return None
        content_type = None
        with contextlib.suppress(OSError):
            content_type = (self.path_for(key + ".type")).read_text().strip() or None
        return BlobInfo(size=stat.st_size, content_type=content_type)

    async def delete(self, key: str) -> int:
        path = self.path_for(key)
        if not path.is_file():
            return 0
        for candidate in (path, Path(str(path) + ".type")):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
        return 1

    async def delete_prefix(self, prefix: str) -> int:
        base = self.path_for(prefix.rstrip("/"))
        if base.is_dir():
            count = sum(1 for p in base.rglob("*") if p.is_file())
            await asyncio.to_thread(shutil.rmtree, base, ignore_errors=True)
            return count
        deleted = 0
        for candidate in (base, Path(str(base) + ".type")):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                deleted += 1
        return deleted

    async def list_keys(self, prefix: str) -> list[str]:
        base = self.path_for(prefix.rstrip("/"))
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def sign(self, key: str, content_type: str, max_bytes: int, expires: int) -> str:
        message = f"{key}\n{content_type}\n{max_bytes}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, key: str, content_type: str, max_bytes: int, expires: int, signature: str) -> bool:
        expected = self.sign(key, content_type, max_bytes, expires)
        return hmac.compare_digest(expected, signature) and expires >= int(time.time())

    async def presign_upload(self, key: str, content_type: str, max_bytes: int, ttl_s: int) -> UploadTarget:
        expires = int(time.time()) + ttl_s
        query = urlencode(
            {
                "contentType": content_type,
                "maxBytes": max_bytes,
                "expires": expires,
                "signature": self.sign(key, content_type, max_bytes, expires),
            }
        )
        return UploadTarget(
            url=f"{self.upload_base_url}/{quote(key)}?{query}",
            method="PUT",
            expires_at=datetime.fromtimestamp(expires, tz=UTC),
            headers={"Content-Type": content_type},
        )

    def record_content_type(self, key: str, content_type: str) -> None:
        self.path_for(key + ".type").write_text(content_type)

    async def set_storage_class(self, key: str, storage_class: str) -> None:
        """Local disk has one class; nothing to move."""


class S3BlobStore(BlobStore):
    def __init__(self, settings: Settings, public_base_url: str) -> None:
        super().__init__(public_base_url)
        self.bucket = settings.s3_bucket
        self._settings = settings
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._unsupported_classes: set[str] = set()

    async def open(self) -> S3BlobStore:
        import aioboto3  # noqa: PLC0415 - only loaded when S3 is configured
        from botocore.config import Config  # noqa: PLC0415

        session = aioboto3.Session()
        kwargs: dict[str, Any] = {
            "region_name": self._settings.s3_region,
            # Signature V4 everywhere, presigned POSTs included
            "config": Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
        }
        if self._settings.s3_endpoint_url:
            kwargs["endpoint_url"] = self._settings.s3_endpoint_url
        if self._settings.s3_access_key_id:
            kwargs["aws_access_key_id"] = self._settings.s3_access_key_id
            kwargs["aws_secret_access_key"] = self._settings.s3_secret_access_key
        self._client = await self._stack.enter_async_context(session.client("s3", **kwargs))
        return self

    async def ping(self) -> None:
        await self._client.head_bucket(Bucket=self.bucket)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        extra = {"ContentType": content_type}
        if key.startswith(MEDIA_PREFIX):
            extra["CacheControl"] = IMMUTABLE
        await self._client.upload_file(str(path), self.bucket, key, ExtraArgs=extra)

    async def download(self, key: str, path: Path, *, max_bytes: int) -> int:
        response = await self._client.get_object(Bucket=self.bucket, Key=key)
        size = int(response["ContentLength"])
        if size > max_bytes:
            response["Body"].close()
            raise BlobTooLargeError(f"{size} bytes is over the limit of {max_bytes}")
        written = 0
        with path.open("wb") as out:
            async for chunk in response["Body"].iter_chunks(1 << 20):
                written += len(chunk)
                if written > max_bytes:
                    raise BlobTooLargeError(f"more than {max_bytes} bytes")
                out.write(chunk)
        return written

    async def head(self, key: str) -> BlobInfo | None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            response = await self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return BlobInfo(
            size=int(response["ContentLength"]),
            content_type=response.get("ContentType"),
            storage_class=response.get("StorageClass", "STANDARD"),
        )

    async def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    async def delete(self, key: str) -> int:
        if await self.head(key) is None:
            return 0
        await self._client.delete_object(Bucket=self.bucket, Key=key)
        return 1

    async def delete_prefix(self, prefix: str) -> int:
        keys = await self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            await self._client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
            )
        return len(keys)

    async def presign_upload(self, key: str, content_type: str, max_bytes: int, ttl_s: int) -> UploadTarget:
        post = await self._client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=ttl_s,
        )
        url = str(post["url"])
        internal, public = self._settings.s3_endpoint_url, self._settings.s3_public_endpoint_url
        if public and internal and url.startswith(internal):
            # A POST policy signs the form, not the host, so the browser may use another address
            url = public.rstrip("/") + url[len(internal.rstrip("/")) :]
        return UploadTarget(
            url=url,
            method="POST",
            expires_at=datetime.fromtimestamp(time.time() + ttl_s, tz=UTC),
            fields={str(k): str(v) for k, v in post["fields"].items()},
        )

    async def set_storage_class(self, key: str, storage_class: str) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        if not storage_class or storage_class in self._unsupported_classes:
            return
        # S3 changes a storage class by copying the object onto itself
        try:
            await self._client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                StorageClass=storage_class,
                MetadataDirective="COPY",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvalidStorageClass":
                raise
            # Some S3-compatible stores (MinIO) have no such class: a permanent answer, so
            # archival goes on without moving the bytes rather than retrying for ever
            self._unsupported_classes.add(storage_class)
            log.warning("the object store has no storage class %s; media stays where it is", storage_class)

    async def close(self) -> None:
        await self._stack.aclose()


async def open_blob_store(settings: Settings) -> BlobStore:
    if settings.uses_s3:
        return await S3BlobStore(settings, settings.media_base_url).open()
    return LocalBlobStore(
        root=settings.data_dir / "blobs",
        public_base_url=settings.media_base_url,
        upload_base_url=f"{settings.base_url}/uploads",
        secret=settings.secret_key.encode(),
    )
