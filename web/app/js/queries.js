// The GraphQL documents the client sends.

const AVATAR = 'avatar { state thumb: url(size: THUMBNAIL) }';
const COMMENT = `id text createdAt author { id username displayName ${AVATAR} }`;
export const POST_FIELDS = `fragment PostFields on Post {
  id caption createdAt state likeCount commentCount viewerHasLiked
  author { id username displayName ${AVATAR} }
  media { id type state failureReason altText width height blurhash
    thumb: url(size: THUMBNAIL) medium: url(size: MEDIUM) hlsUrl posterUrl }
  comments(first: 3) { edges { node { ${COMMENT} } } pageInfo { hasNextPage endCursor } }
}`;
const CONNECTION = 'edges { cursor reason node { ...PostFields } } pageInfo { hasNextPage endCursor }';
const GRID = `edges { cursor node { id state likeCount commentCount caption
  media { type state altText blurhash thumb: url(size: THUMBNAIL) } } } pageInfo { hasNextPage endCursor }`;
const USER_CARD = `id username displayName isPrivate viewerFollows viewerHasRequestedFollow ${AVATAR}`;
const PEOPLE = `edges { cursor node { ${USER_CARD} } } pageInfo { hasNextPage endCursor }`;
const AUTH_FIELDS = `token user { id username displayName ${AVATAR} } errors { field code message }`;
const ERRORS = 'errors { field code message }';
const RELATION = 'id viewerFollows viewerHasRequestedFollow followerCount followingCount';
const GROUP = `id kind totalCount latestAt read actors { id username displayName ${AVATAR} }
  post { id caption media { thumb: url(size: THUMBNAIL) altText } }`;

export const Q = {
  viewer: `{ viewer { id username displayName bio isPrivate unreadNotificationCount ${AVATAR} } }`,
  signIn: `mutation($username: String!, $password: String!) { signIn(username: $username, password: $password) { ${AUTH_FIELDS} } }`,
  signUp: `mutation($username: String!, $password: String!, $displayName: String) {
    signUp(username: $username, password: $password, displayName: $displayName) { ${AUTH_FIELDS} } }`,
  signOut: 'mutation { signOut { signedOut errors { code message } } }',
  home: `query($first: Int!, $after: String, $order: HomeOrder!) { viewer { id
    homeTimeline(first: $first, after: $after, order: $order) { ${CONNECTION} } } } ${POST_FIELDS}`,
  user: `query($username: String!) { user(username: $username) {
    id username displayName bio isPrivate followerCount followingCount postCount viewerFollows followsViewer
    viewerHasRequestedFollow ${AVATAR} } }`,
  // Whether the viewer blocks or mutes someone: there is no per-user field, so the first 100 of each
  relations: `{ viewer { id blockedUsers(first: 100) { edges { node { id } } }
    mutedUsers(first: 100) { edges { node { id } } } } }`,
  blockedUsers: `query($first: Int!, $after: String) { viewer { id blockedUsers(first: $first, after: $after) { ${PEOPLE} } } }`,
  mutedUsers: `query($first: Int!, $after: String) { viewer { id mutedUsers(first: $first, after: $after) { ${PEOPLE} } } }`,
  followRequests: `query($first: Int!, $after: String) { viewer { id followRequests(first: $first, after: $after) { ${PEOPLE} } } }`,
  requestCount: '{ viewer { id followRequests(first: 100) { edges { cursor } pageInfo { hasNextPage } } } }',
  userGrid: `query($username: String!, $first: Int!, $after: String) {
    user(username: $username) { id posts(first: $first, after: $after) { ${GRID} } } }`,
  followers: `query($username: String!, $first: Int!, $after: String) {
    user(username: $username) { id followers(first: $first, after: $after) { ${PEOPLE} } } }`,
  following: `query($username: String!, $first: Int!, $after: String) {
    user(username: $username) { id following(first: $first, after: $after) { ${PEOPLE} } } }`,
  post: `query($id: ID!) { post(id: $id) { ...PostFields } } ${POST_FIELDS}`,
  comments: `query($id: ID!, $first: Int!, $after: String) { post(id: $id) { id commentCount
    comments(first: $first, after: $after) { edges { node { ${COMMENT} } } pageInfo { hasNextPage endCursor } } } }`,
  likers: `query($id: ID!, $first: Int!) { post(id: $id) { id likers(first: $first) { ${PEOPLE} } } }`,
  hashtag: `query($name: String!, $first: Int!, $after: String) { hashtag(name: $name) { name viewerFollows
    posts(first: $first, after: $after) { ${GRID} } } }`,
  search: `query($query: String!, $first: Int!) { searchUsers(query: $query, first: $first) {
    edges { exactMatch node { ${USER_CARD} } } } }`,
  discover: `query { viewer { id suggestedUsers(first: 8) { edges { reason node { ${USER_CARD} } } } }
    trendingHashtags(first: 10) { edges { authorCount node { name } } } }`,
  notifications: `query($first: Int!, $after: String) { viewer { id unreadNotificationCount
    notifications(first: $first, after: $after) { edges { cursor node { ${GROUP} } } pageInfo { hasNextPage endCursor } } } }`,
  markRead: `mutation { markNotificationsRead { unreadCount ${ERRORS} } }`,
  likePost: `mutation($id: ID!) { likePost(postId: $id) { changed post { id likeCount viewerHasLiked } ${ERRORS} } }`,
  unlikePost: `mutation($id: ID!) { unlikePost(postId: $id) { changed post { id likeCount viewerHasLiked } ${ERRORS} } }`,
  addComment: `mutation($id: ID!, $text: String!) { addComment(postId: $id, text: $text) {
    comment { ${COMMENT} post { id commentCount } } ${ERRORS} } }`,
  deletePost: `mutation($id: ID!) { deletePost(id: $id) { deletedPostId ${ERRORS} } }`,
  follow: `mutation($id: ID!) { follow(userId: $id) { changed requested user { ${RELATION} } ${ERRORS} } }`,
  unfollow: `mutation($id: ID!) { unfollow(userId: $id) { changed user { ${RELATION} } ${ERRORS} } }`,
  cancelFollowRequest: `mutation($id: ID!) { cancelFollowRequest(userId: $id) { changed user { ${RELATION} } ${ERRORS} } }`,
  approveFollowRequest: `mutation($id: ID!) { approveFollowRequest(userId: $id) { changed user { id username } ${ERRORS} } }`,
  rejectFollowRequest: `mutation($id: ID!) { rejectFollowRequest(userId: $id) { changed user { id username } ${ERRORS} } }`,
  block: `mutation($id: ID!) { block(userId: $id) { changed user { ${RELATION} } ${ERRORS} } }`,
  unblock: `mutation($id: ID!) { unblock(userId: $id) { changed user { ${RELATION} } ${ERRORS} } }`,
  mute: `mutation($id: ID!) { mute(userId: $id) { changed user { id } ${ERRORS} } }`,
  unmute: `mutation($id: ID!) { unmute(userId: $id) { changed user { id } ${ERRORS} } }`,
  reportPost: `mutation($id: ID!, $reason: ReportReason!, $text: String!) {
    reportPost(postId: $id, reason: $reason, text: $text) { reported ${ERRORS} } }`,
  reportUser: `mutation($id: ID!, $reason: ReportReason!, $text: String!) {
    reportUser(userId: $id, reason: $reason, text: $text) { reported ${ERRORS} } }`,
  followHashtag: `mutation($name: String!) { followHashtag(name: $name) { hashtag { name viewerFollows } ${ERRORS} } }`,
  unfollowHashtag: `mutation($name: String!) { unfollowHashtag(name: $name) { hashtag { name viewerFollows } ${ERRORS} } }`,
  updateProfile: `mutation($displayName: String, $bio: String, $avatar: ID, $isPrivate: Boolean) {
    updateProfile(displayName: $displayName, bio: $bio, avatarUploadId: $avatar, isPrivate: $isPrivate) {
    user { id username displayName bio isPrivate ${AVATAR} } ${ERRORS} } }`,
  requestUpload: `mutation($type: String!, $size: Int!) { requestUpload(contentType: $type, byteSize: $size) {
    upload { id target { url method fields { name value } headers { name value } expiresAt } } ${ERRORS} } }`,
  createPost: `mutation($caption: String!, $media: [MediaInput!]) { createPost(caption: $caption, media: $media) {
    post { ...PostFields } ${ERRORS} } } ${POST_FIELDS}`,
  homeUpdates: `subscription($after: String, $seen: [ID!]) { homeTimelineUpdates(after: $after, seen: $seen) {
    type cursor postId authorId post { ...PostFields } } } ${POST_FIELDS}`,
  postUpdates: 'subscription($id: ID!) { postUpdates(id: $id) { postId likeCount commentCount deleted } }',
  notificationEvents: 'subscription { notificationEvents { type unreadCount groupId } }',
};
