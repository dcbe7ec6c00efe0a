from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.global_ids import to_global_id
from schema.types.common import UserError
from services.media.uploads import UploadTicket


@strawberry.type(description="A name and value: a form field or an HTTP header.")
class NameValue:
    name: str
    value: str


@strawberry.type(
    description="Where to send an upload's bytes. POST: a multipart form with `fields` first and the "
    "file last as `file`. PUT: the raw bytes as the body, with `headers`."
)
class UploadTarget:
    url: str
    method: str
    fields: list[NameValue]
    headers: list[NameValue]
    expires_at: datetime


@strawberry.type(description="An upload slot; name its id in createPost once the bytes are sent.")
class Upload:
    id: strawberry.ID
    target: UploadTarget

    @classmethod
    def from_ticket(cls, ticket: UploadTicket) -> Upload:
        target = ticket.target
        return cls(
            id=strawberry.ID(to_global_id("Upload", ticket.id)),
            target=UploadTarget(
                url=target.url,
                method=target.method,
                fields=[NameValue(name=k, value=v) for k, v in target.fields.items()],
                headers=[NameValue(name=k, value=v) for k, v in target.headers.items()],
                expires_at=target.expires_at,
            ),
        )


@strawberry.type
class RequestUploadPayload:
    upload: Upload | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_ticket(cls, ticket: UploadTicket) -> RequestUploadPayload:
        return cls(upload=Upload.from_ticket(ticket))


@strawberry.input(description="One photo or video of a new post.")
class MediaInput:
    upload_id: strawberry.ID
    alt_text: str = strawberry.field(default="", description="Accessibility text, at most 1,000 characters.")
