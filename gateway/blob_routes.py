"""The local blob store's HTTP face: the signed upload target and the CDN origin for variants.

Only used with the embedded local store; with S3, clients upload to S3 and a CDN serves
the bucket. Originals under uploads/ are never served: the origin exposes media/ only.
"""

from __future__ import annotations

import contextlib
import mimetypes
from typing import TYPE_CHECKING

from starlette.responses import FileResponse, JSONResponse, Response

from gateway.body_limit import declared_length_exceeds
from resolvers.global_ids import parse_decimal
from services.foundation.blobs import IMMUTABLE, MEDIA_PREFIX, UPLOAD_PREFIX, LocalBlobStore

if TYPE_CHECKING:
    from starlette.requests import Request

    from services.container import Services

_MEDIA_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".webp": "image/webp"}
_CHUNK = 1 << 16


def _error(status: int, message: str, code: str) -> Response:
    return JSONResponse({"error": {"message": message, "code": code}}, status_code=status)


def _local_store(request: Request) -> LocalBlobStore | None:
    services: Services = request.app.state.services
    store = services.stores.blobs
    return store if isinstance(store, LocalBlobStore) else None


async def receive_upload(request: Request) -> Response:  # noqa: PLR0911 - one answer per failure
    store = _local_store(request)
    key: str = request.path_params["key"]
    if store is None or not key.startswith(UPLOAD_PREFIX):
        return _error(404, "no such upload target", "NOT_FOUND")
    params = request.query_params
    content_type, signature = params.get("contentType"), params.get("signature")
    max_bytes = parse_decimal(params.get("maxBytes", ""))
    expires = parse_decimal(params.get("expires", ""))
    if content_type is None or signature is None or max_bytes is None or expires is None:
        return _error(400, "the upload URL is incomplete", "BAD_REQUEST")
    if not store.verify(key, content_type, max_bytes, expires, signature):
        return _error(403, "the upload URL is invalid or has expired", "FORBIDDEN")
    sent_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if sent_type != content_type:
        return _error(415, f"send the bytes with Content-Type: {content_type}", "UNSUPPORTED_MEDIA_TYPE")
    # A declared length is checked up front; any body is counted as it streams, below
    if declared_length_exceeds(request.headers.get("content-length"), max_bytes):
        return _error(413, f"uploads here are limited to {max_bytes} bytes", "FILE_TOO_LARGE")
    temp = store.temp_path()
    written = 0
    try:
        with temp.open("wb") as out:
            async for chunk in request.stream():
                written += len(chunk)
                if written > max_bytes:
                    return _error(413, f"uploads here are limited to {max_bytes} bytes", "FILE_TOO_LARGE")
                out.write(chunk)
        if written == 0:
            return _error(400, "the upload is empty", "BAD_REQUEST")
        # Renamed into place only when complete: a reader never sees part of an upload
        store.commit_temp(temp, key)
        store.record_content_type(key, content_type)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return Response(status_code=204)


async def serve_media(request: Request) -> Response:
    store = _local_store(request)
    path: str = request.path_params["path"]
    if store is None or ".." in path.split("/"):
        return _error(404, "not found", "NOT_FOUND")
    try:
        file = store.path_for(MEDIA_PREFIX + path)
    except ValueError:
        return _error(404, "not found", "NOT_FOUND")
    if not file.is_file() or file.name.endswith(".type"):
        return _error(404, "not found", "NOT_FOUND")
    media_type = (
        _MEDIA_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    )
    stat = file.stat()
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    # Variant keys are never rewritten, so clients and CDNs may cache them for good
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    # FileResponse adds Last-Modified and answers Range requests with 206
    return FileResponse(file, media_type=media_type, headers=headers, stat_result=stat)
