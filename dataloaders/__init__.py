"""Per-request DataLoaders, one module per loader, gathered in a typed `Loaders`."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from dataloaders.comment_by_id import CommentByIdLoader
from dataloaders.follows_viewer_by_user_id import FollowsViewerByUserIdLoader
from dataloaders.post_by_id import PostByIdLoader
from dataloaders.post_counts_by_id import PostCountsByIdLoader
from dataloaders.user_by_id import UserByIdLoader
from dataloaders.user_counts_by_id import UserCountsByIdLoader
from dataloaders.viewer_follow_by_user_id import ViewerFollowByUserIdLoader
from dataloaders.viewer_follow_request_by_user_id import ViewerFollowRequestByUserIdLoader
from dataloaders.viewer_hashtag_follow_by_name import ViewerHashtagFollowByNameLoader
from dataloaders.viewer_like_by_post_id import ViewerLikeByPostIdLoader

if TYPE_CHECKING:
    from services.container import Services


class Loaders:
    """The request's loaders, each created on first use: a simple query pays for none."""

    def __init__(self, services: Services, viewer_id: int | None) -> None:
        self._services = services
        self._viewer_id = viewer_id

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader(self._services.users)

    @cached_property
    def post_by_id(self) -> PostByIdLoader:
        return PostByIdLoader(self._services.posts)

    @cached_property
    def comment_by_id(self) -> CommentByIdLoader:
        return CommentByIdLoader(self._services.comments)

    @cached_property
    def post_counts(self) -> PostCountsByIdLoader:
        return PostCountsByIdLoader(self._services.counters)

    @cached_property
    def user_counts(self) -> UserCountsByIdLoader:
        return UserCountsByIdLoader(self._services.counters)

    @cached_property
    def viewer_has_liked(self) -> ViewerLikeByPostIdLoader:
        return ViewerLikeByPostIdLoader(self._services.likes, self._viewer_id)

    @cached_property
    def viewer_follows(self) -> ViewerFollowByUserIdLoader:
        return ViewerFollowByUserIdLoader(self._services.follows, self._viewer_id)

    @cached_property
    def viewer_requested_follow(self) -> ViewerFollowRequestByUserIdLoader:
        return ViewerFollowRequestByUserIdLoader(self._services.privacy.requests, self._viewer_id)

    @cached_property
    def follows_viewer(self) -> FollowsViewerByUserIdLoader:
        return FollowsViewerByUserIdLoader(self._services.follows, self._viewer_id)

    @cached_property
    def viewer_follows_hashtag(self) -> ViewerHashtagFollowByNameLoader:
        return ViewerHashtagFollowByNameLoader(self._services.hashtags.follows, self._viewer_id)


def build_loaders(services: Services, viewer_id: int | None) -> Loaders:
    return Loaders(services, viewer_id)
