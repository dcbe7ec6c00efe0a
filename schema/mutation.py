from __future__ import annotations

import strawberry

from resolvers import accounts, interactions, posts, uploads
from schema.types.account import AuthPayload, SignOutPayload, UpdateProfilePayload
from schema.types.payloads import (
    AddCommentPayload,
    CreatePostPayload,
    DeleteCommentPayload,
    DeletePostPayload,
    FollowPayload,
    LikePayload,
)
from schema.types.upload import RequestUploadPayload


@strawberry.type
class Mutation:
    sign_up: AuthPayload = strawberry.mutation(
        resolver=accounts.sign_up, description="Create an account and sign in."
    )
    sign_in: AuthPayload = strawberry.mutation(
        resolver=accounts.sign_in, description="Exchange a username and password for a bearer token."
    )
    sign_out: SignOutPayload = strawberry.mutation(
        resolver=accounts.sign_out, description="Revoke the token this request was made with."
    )
    update_profile: UpdateProfilePayload = strawberry.mutation(
        resolver=accounts.update_profile, description="Change the viewer's display name or bio."
    )
    request_upload: RequestUploadPayload = strawberry.mutation(
        resolver=uploads.request_upload,
        description="Get a presigned target to send a photo or video to, straight to blob storage. "
        "Accepted: image/jpeg, image/png, image/webp, image/heic, image/gif, video/mp4, video/quicktime.",
    )
    create_post: CreatePostPayload = strawberry.mutation(
        resolver=posts.create_post,
        description="Publish a post: a caption with 1 to 10 uploaded photos or videos (a carousel), or a "
        "caption alone. A post with media is PROCESSING, and visible to others only when every item is "
        "READY. Hashtags and @mentions in the caption are parsed and stored.",
    )
    delete_post: DeletePostPayload = strawberry.mutation(
        resolver=posts.delete_post, description="Delete one of the viewer's posts."
    )
    follow: FollowPayload = strawberry.mutation(
        resolver=interactions.follow, description="Follow a user. Idempotent."
    )
    unfollow: FollowPayload = strawberry.mutation(
        resolver=interactions.unfollow, description="Stop following a user. Idempotent."
    )
    like_post: LikePayload = strawberry.mutation(
        resolver=interactions.like_post, description="Like a post. Idempotent: one like per user and post."
    )
    unlike_post: LikePayload = strawberry.mutation(
        resolver=interactions.unlike_post, description="Withdraw a like. Idempotent."
    )
    add_comment: AddCommentPayload = strawberry.mutation(
        resolver=interactions.add_comment, description="Comment on a post (at most 2,200 characters)."
    )
    delete_comment: DeleteCommentPayload = strawberry.mutation(
        resolver=interactions.delete_comment,
        description="Delete a comment: allowed to its author and to the post's author.",
    )
