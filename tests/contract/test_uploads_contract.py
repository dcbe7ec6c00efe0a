"""Uploads: the ticket, the all-or-nothing claim and the release, on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from aperture.settings import Settings
from services.foundation.blobs import LocalBlobStore
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import IdGenerator
from services.media.uploads import MediaRequest, UploadService

if TYPE_CHECKING:
    from pathlib import Path

OWNER = 41


@pytest.fixture
async def uploads(contract_db: Any, tmp_path: Path) -> UploadService:
    settings = Settings(data_dir=tmp_path, max_image_bytes=1000)
    blobs = LocalBlobStore(tmp_path / "blobs", "http://cdn.test", "http://api.test", b"secret" * 6)
    service = UploadService(contract_db, blobs, IdGenerator(node=3), settings)
    await service.ensure_indexes()
    return service


async def _stored(uploads: UploadService, size: int, tmp_path: Path) -> int:
    ticket = await uploads.request(OWNER, "image/jpeg", size)
    document = await uploads._uploads.find_one({"_id": ticket.id})
    assert document is not None
    assert document["state"] == "PENDING"
    source = tmp_path / f"upload-{ticket.id}"
    source.write_bytes(b"\xff\xd8" + b"x" * (size - 2))
    await uploads._blobs.put_file(document["key"], source, "image/jpeg")
    return ticket.id


async def test_claim_is_all_or_nothing_and_release_gives_back(uploads: UploadService, tmp_path: Path) -> None:
    first, second = await _stored(uploads, 500, tmp_path), await _stored(uploads, 600, tmp_path)
    items = await uploads.claim(OWNER, 1001, [MediaRequest(first, "one"), MediaRequest(second, "two")])
    assert [item.alt_text for item in items] == ["one", "two"]
    used = await uploads._uploads.find({"_id": {"$in": [first, second]}}).to_list(None)
    assert {(d["state"], d["post_id"]) for d in used} == {("USED", 1001)}

    with pytest.raises(DomainError) as taken:
        await uploads.claim(OWNER, 1002, [MediaRequest(first, "")])
    assert taken.value.code is ErrorCode.UPLOAD_ALREADY_USED

    await uploads.release([first, second])
    pending = await uploads._uploads.find({"_id": {"$in": [first, second]}}).to_list(None)
    assert {d["state"] for d in pending} == {"PENDING"}
    assert len(await uploads.claim(OWNER, 1003, [MediaRequest(first, "again")])) == 1


async def test_a_claim_checks_what_was_really_stored(uploads: UploadService, tmp_path: Path) -> None:
    ticket = await uploads.request(OWNER, "image/jpeg", 800)
    with pytest.raises(DomainError) as missing:
        await uploads.claim(OWNER, 2001, [MediaRequest(ticket.id, "")])
    assert missing.value.code is ErrorCode.UPLOAD_INCOMPLETE
    stored = await _stored(uploads, 900, tmp_path)
    with pytest.raises(DomainError) as someone_else:
        await uploads.claim(OWNER + 1, 2002, [MediaRequest(stored, "")])
    assert someone_else.value.code is ErrorCode.UPLOAD_NOT_FOUND
    # Nothing was claimed by the failed attempts
    assert await uploads._uploads.count_documents({"state": "USED"}) == 0
