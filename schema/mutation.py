from __future__ import annotations

import strawberry

from resolvers import accounts, hashtags, interactions, notifications, posts, privacy, uploads
from resolvers.context import Info
from schema.payload_errors import as_payload
from schema.types.account import AuthPayload, SignOutPayload, UpdateProfilePayload
from schema.types.hashtag import HashtagFollowPayload
from schema.types.notification import MarkNotificationsReadPayload
from schema.types.payloads import (
    AddCommentPayload,
    CreatePostPayload,
    DeleteCommentPayload,
    DeletePostPayload,
    FollowPayload,
    LikePayload,
)
from schema.types.privacy import ReportPayload, UserRelationPayload
from schema.types.upload import MediaInput, RequestUploadPayload
from services.privacy.reports import ReportReason


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an account and sign in.")
    async def sign_up(
        self, info: Info, username: str, password: str, display_name: str | None = None
    ) -> AuthPayload:
        outcome = accounts.sign_up(info, username, password, display_name)
        return await as_payload(AuthPayload, outcome, AuthPayload.signed_in)

    @strawberry.mutation(description="Exchange a username and password for a bearer token.")
    async def sign_in(self, info: Info, username: str, password: str) -> AuthPayload:
        return await as_payload(
            AuthPayload, accounts.sign_in(info, username, password), AuthPayload.signed_in
        )

    @strawberry.mutation(description="Revoke the token this request was made with.")
    async def sign_out(self, info: Info) -> SignOutPayload:
        return await as_payload(
            SignOutPayload, accounts.sign_out(info), lambda done: SignOutPayload(signed_out=done)
        )

    @strawberry.mutation(
        description="Change the viewer's display name, bio, profile photo, or whether the account is "
        "private. `avatarUploadId` is an upload (requestUpload) of a photo: the avatar is PROCESSING "
        "until its variants are made. A private account's posts, followers and following are for its "
        "approved followers; turning public approves every pending follow request; turning private "
        "keeps the followers."
    )
    async def update_profile(
        self,
        info: Info,
        display_name: str | None = None,
        bio: str | None = None,
        avatar_upload_id: strawberry.ID | None = None,
        is_private: bool | None = None,
    ) -> UpdateProfilePayload:
        outcome = accounts.update_profile(info, display_name, bio, avatar_upload_id, is_private)
        return await as_payload(UpdateProfilePayload, outcome, UpdateProfilePayload.for_user)

    @strawberry.mutation(
        description="Get a presigned target to send a photo or video to, straight to blob storage. "
        "Accepted: image/jpeg, image/png, image/webp, image/heic, image/gif, video/mp4, video/quicktime."
    )
    async def request_upload(self, info: Info, content_type: str, byte_size: int) -> RequestUploadPayload:
        outcome = uploads.request_upload(info, content_type, byte_size)
        return await as_payload(RequestUploadPayload, outcome, RequestUploadPayload.for_ticket)

    @strawberry.mutation(
        description="Publish a post: a caption with 1 to 10 uploaded photos or videos (a carousel), or a "
        "caption alone. A post with media is PROCESSING, and visible to others only when every item is "
        "READY. Hashtags and @mentions in the caption are parsed and stored."
    )
    async def create_post(
        self, info: Info, caption: str = "", media: list[MediaInput] | None = None
    ) -> CreatePostPayload:
        items = [(item.upload_id, item.alt_text) for item in media] if media is not None else None
        return await as_payload(
            CreatePostPayload, posts.create_post(info, caption, items), CreatePostPayload.for_post
        )

    @strawberry.mutation(description="Delete one of the viewer's posts.")
    async def delete_post(self, info: Info, id: strawberry.ID) -> DeletePostPayload:  # noqa: A002 - GraphQL argument name
        return await as_payload(DeletePostPayload, posts.delete_post(info, id), DeletePostPayload.for_post_id)

    @strawberry.mutation(
        description="Follow a user. Idempotent. A private account gets a follow request instead "
        "(`requested`), which it approves or rejects."
    )
    async def follow(self, info: Info, user_id: strawberry.ID) -> FollowPayload:
        outcome = interactions.follow(info, user_id, follow=True)
        return await as_payload(FollowPayload, outcome, FollowPayload.for_change)

    @strawberry.mutation(description="Stop following a user. Idempotent.")
    async def unfollow(self, info: Info, user_id: strawberry.ID) -> FollowPayload:
        outcome = interactions.follow(info, user_id, follow=False)
        return await as_payload(FollowPayload, outcome, FollowPayload.for_change)

    @strawberry.mutation(description="Like a post. Idempotent: one like per user and post.")
    async def like_post(self, info: Info, post_id: strawberry.ID) -> LikePayload:
        return await as_payload(
            LikePayload, interactions.like(info, post_id, like=True), LikePayload.for_change
        )

    @strawberry.mutation(description="Withdraw a like. Idempotent.")
    async def unlike_post(self, info: Info, post_id: strawberry.ID) -> LikePayload:
        return await as_payload(
            LikePayload, interactions.like(info, post_id, like=False), LikePayload.for_change
        )

    @strawberry.mutation(description="Comment on a post (at most 2,200 characters).")
    async def add_comment(self, info: Info, post_id: strawberry.ID, text: str) -> AddCommentPayload:
        outcome = interactions.add_comment(info, post_id, text)
        return await as_payload(AddCommentPayload, outcome, AddCommentPayload.for_comment)

    @strawberry.mutation(description="Delete a comment: allowed to its author and to the post's author.")
    async def delete_comment(self, info: Info, id: strawberry.ID) -> DeleteCommentPayload:  # noqa: A002 - GraphQL argument name
        outcome = interactions.delete_comment(info, id)
        return await as_payload(DeleteCommentPayload, outcome, DeleteCommentPayload.for_comment_id)

    @strawberry.mutation(
        description="Mark the viewer's notification groups read up to `upTo` (a cursor of "
        "viewer.notifications; all of them when omitted). The mark never moves back."
    )
    async def mark_notifications_read(
        self, info: Info, up_to: str | None = None
    ) -> MarkNotificationsReadPayload:
        outcome = notifications.mark_read(info, up_to)
        return await as_payload(MarkNotificationsReadPayload, outcome, MarkNotificationsReadPayload.for_count)

    @strawberry.mutation(
        description="Follow a hashtag: its posts join the viewer's home timeline. Idempotent; at most 100."
    )
    async def follow_hashtag(self, info: Info, name: str) -> HashtagFollowPayload:
        outcome = hashtags.follow_hashtag(info, name, follow=True)
        return await as_payload(HashtagFollowPayload, outcome, HashtagFollowPayload.for_change)

    @strawberry.mutation(description="Stop following a hashtag. Idempotent.")
    async def unfollow_hashtag(self, info: Info, name: str) -> HashtagFollowPayload:
        outcome = hashtags.follow_hashtag(info, name, follow=False)
        return await as_payload(HashtagFollowPayload, outcome, HashtagFollowPayload.for_change)

    @strawberry.mutation(description="Approve a pending follow request: that user now follows the viewer.")
    async def approve_follow_request(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.approve_request(info, user_id)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(description="Reject a pending follow request (the requester is not told).")
    async def reject_follow_request(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.reject_request(info, user_id)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(description="Withdraw the viewer's own pending request to follow a user.")
    async def cancel_follow_request(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.cancel_request(info, user_id)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(
        description="Block a user: follows and follow requests end both ways, each side's posts leave "
        "the other's home timeline, and neither sees the other's posts, comments or likes; they cannot "
        "follow, like, comment on or mention the viewer. Idempotent."
    )
    async def block(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.block(info, user_id, block=True)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(description="Lift a block (follows it ended stay ended). Idempotent.")
    async def unblock(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.block(info, user_id, block=False)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(
        description="Mute a user: their posts leave the viewer's home timeline and live updates, without "
        "unfollowing and without them knowing. Idempotent."
    )
    async def mute(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.mute(info, user_id, mute=True)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(description="Lift a mute. Idempotent.")
    async def unmute(self, info: Info, user_id: strawberry.ID) -> UserRelationPayload:
        outcome = privacy.mute(info, user_id, mute=False)
        return await as_payload(UserRelationPayload, outcome, UserRelationPayload.for_change)

    @strawberry.mutation(
        description="Report a post to the moderators, with a reason and up to 1,000 characters of text. "
        "Kept once per reporter and post."
    )
    async def report_post(
        self,
        info: Info,
        post_id: strawberry.ID,
        reason: ReportReason,
        text: str = "",
    ) -> ReportPayload:
        outcome = privacy.report_post(info, post_id, reason, text)
        return await as_payload(ReportPayload, outcome, ReportPayload.for_outcome)

    @strawberry.mutation(
        description="Report a user to the moderators, with a reason and up to 1,000 characters of text. "
        "Kept once per reporter and user."
    )
    async def report_user(
        self,
        info: Info,
        user_id: strawberry.ID,
        reason: ReportReason,
        text: str = "",
    ) -> ReportPayload:
        outcome = privacy.report_user(info, user_id, reason, text)
        return await as_payload(ReportPayload, outcome, ReportPayload.for_outcome)
