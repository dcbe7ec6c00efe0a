"""Hand-written requests for the differential test: each aims at one rule of execution."""

from __future__ import annotations

from tests.execution_diff import Case

CARD = """id caption hashtags createdAt state likeCount commentCount viewerHasLiked
  author { id username displayName bio }
  media { id type state failureReason altText width height blurhash durationSeconds
          url thumb: url(size: THUMBNAIL, format: JPEG) hlsUrl posterUrl }
  mentions { id username }"""
HOME = "query($first: Int!, $after: String) { viewer { homeTimeline(first: $first, after: $after) { edges { cursor node { %s } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"
ONE = "query($id: ID!) { post(id: $id) { %s } }"

FRAGMENTS = """
fragment Card on Post { id caption author { ...Person } media { ...Item } }
fragment Person on User { id username displayName followerCount viewerFollows }
fragment Item on Media { id type url(size: HIGH) }
"""


def _cases() -> list[Case]:
    cases = [
        Case("typename", "{ __typename }"),
        Case("typename aliases", "{ a: __typename b: __typename __typename }"),
        Case("viewer anonymous", "{ viewer { id username } }", viewer=None),
        Case("viewer", "{ viewer { id username displayName bio createdAt __typename } }"),
        Case(
            "viewer counts",
            "{ viewer { followerCount followingCount postCount viewerFollows followsViewer } }",
        ),
        Case("viewer settings", "{ viewer { settings { userClass } } }"),
        Case("home card", HOME % CARD, {"first": 20}),
        Case("home first 1", HOME % "id", {"first": 1}),
        Case("home first 0", HOME % "id", {"first": 0}),
        Case("home first 101", HOME % "id", {"first": 101}),
        Case("home bad cursor", HOME % "id", {"first": 3, "after": "garbage"}),
        Case("home far cursor", HOME % "id caption", {"first": 3, "after": "@cursor_far"}),
        Case("home anonymous", HOME % "id", {"first": 5}, viewer=None),
        Case("home as bob", HOME % CARD, {"first": 10}, viewer="bob"),
        Case("home as dave", HOME % CARD, {"first": 10}, viewer="dave"),
        Case("post card", ONE % CARD, {"id": "@post0"}),
        Case("post video", ONE % CARD, {"id": "@post2"}),
        Case("post processing, author", ONE % CARD, {"id": "@post3"}, viewer="bob"),
        Case("post processing, other", ONE % CARD, {"id": "@post3"}),
        Case("post missing", ONE % "id", {"id": "@missing_post"}),
        Case("post bad id", ONE % "id", {"id": "@bad_id"}),
        Case("post user id", ONE % "id", {"id": "@user_bob"}),
        Case("post carousel", ONE % "media { id url(size: THUMBNAIL) }", {"id": "@post5"}),
        Case("post anonymous", ONE % CARD, {"id": "@post0"}, viewer=None),
        Case(
            "aliases", ONE % "a: id b: caption c: author { d: username e: id } f: likeCount", {"id": "@post0"}
        ),
        Case("same field twice", ONE % "id id caption author { id } author { username }", {"id": "@post0"}),
        Case("alias shadows field", ONE % "caption: id id: caption", {"id": "@post1"}),
        Case(
            "key order with fragments",
            ONE % "caption ...on Post { id caption } likeCount ...on Post { id }",
            {"id": "@post0"},
        ),
        Case(
            "named fragments", "query($id: ID!) { post(id: $id) { ...Card } }" + FRAGMENTS, {"id": "@post0"}
        ),
        Case(
            "nested fragments",
            "query { viewer { ...Person homeTimeline(first: 5) { edges { node { ...Card } } } } }"
            + FRAGMENTS,
        ),
        Case(
            "fragment spread twice",
            "query($id: ID!) { post(id: $id) { ...Card ...Card id } }" + FRAGMENTS,
            {"id": "@post2"},
        ),
        Case(
            "inline fragment without type",
            ONE % "... { id caption } ... @include(if: true) { likeCount }",
            {"id": "@post0"},
        ),
        Case(
            "node post",
            "query($id: ID!) { node(id: $id) { __typename id ... on Post { caption likeCount } } }",
            {"id": "@post0"},
        ),
        Case(
            "node user",
            "query($id: ID!) { node(id: $id) { __typename id ... on User { username } "
            "... on Post { caption } } }",
            {"id": "@user_dave"},
        ),
        Case(
            "node comment",
            "query($id: ID!) { node(id: $id) { __typename ... on Comment { text author { username } "
            "post { id caption } } } }",
            {"id": "@comment0"},
        ),
        Case("node missing", "query($id: ID!) { node(id: $id) { id } }", {"id": "@missing_user"}),
        Case("node unknown type", "query($id: ID!) { node(id: $id) { id } }", {"id": "@unknown_type"}),
        Case("node bad id", "query($id: ID!) { node(id: $id) { id } }", {"id": "@bad_id"}),
        Case(
            "nodes mixed",
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Post { caption } "
            "... on User { username } ... on Comment { text } } }",
            {"ids": ["@post0", "@user_bob", "@missing_post", "@comment1", "@post3"]},
        ),
        Case(
            "nodes with a bad id",
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            {"ids": ["@post0", "@bad_id"]},
        ),
        Case("nodes empty", "{ nodes(ids: []) { id } }"),
        Case(
            "nodes on interface fragment",
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Node { id } __typename } }",
            {"ids": ["@post1", "@user_carol"]},
        ),
        Case("user", '{ user(username: "dave") { id username displayName bio followerCount postCount } }'),
        Case("user case-insensitive", '{ user(username: "DAVE") { username } }'),
        Case("user missing", '{ user(username: "nobody") { id } }'),
        Case(
            "user posts",
            f'{{ user(username: "bob") {{ posts(first: 10) {{ edges {{ cursor node {{ {CARD} }} }} '
            "pageInfo { hasNextPage endCursor } } } }",
        ),
        Case(
            "user posts as author",
            '{ user(username: "bob") { posts(first: 10) { edges { node { id state } } } } }',
            viewer="bob",
        ),
        Case(
            "user posts page 1",
            '{ user(username: "dave") { posts(first: 1) { edges { node { id } } '
            "pageInfo { hasNextPage endCursor } } } }",
        ),
        Case(
            "followers",
            '{ user(username: "bob") { followers(first: 5) { edges { cursor since node { username '
            "followsViewer viewerFollows } } pageInfo { hasNextPage } } } }",
        ),
        Case(
            "following", '{ user(username: "alice") { following(first: 5) { edges { node { username } } } } }'
        ),
        Case(
            "likers",
            ONE % "likers(first: 5) { edges { since node { username } } pageInfo { endCursor } }",
            {"id": "@post0"},
        ),
        Case(
            "comments",
            ONE % "comments(first: 5) { edges { cursor node { id text createdAt author { username } "
            "post { id } } } pageInfo { hasNextPage } }",
            {"id": "@post0"},
        ),
        Case(
            "comments bad page size", ONE % "comments(first: -1) { edges { node { id } } }", {"id": "@post0"}
        ),
        Case(
            "another user's home timeline: non-null error bubbles to user",
            '{ user(username: "bob") { id homeTimeline(first: 5) { edges { node { id } } } } }',
        ),
        Case(
            "another user's settings: non-null error bubbles",
            '{ user(username: "bob") { username settings { userClass lastSeenAt } } }',
        ),
        Case(
            "error bubbles through a list to the nullable parent",
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { username settings { userClass } } } }",
            {"ids": ["@user_alice", "@user_bob", "@user_carol"]},
        ),
        Case(
            "two errors, in order",
            '{ a: user(username: "bob") { settings { userClass } } '
            'b: post(id: "nope") { id } c: user(username: "carol") { homeTimeline(first: 2) { edges { cursor } } } }',
        ),
        Case(
            "errors and data side by side",
            '{ viewer { username } post(id: "x") { id } user(username: "dave") { username } }',
        ),
        Case(
            "deep nesting",
            "{ viewer { homeTimeline(first: 3) { edges { node { author { posts(first: 2) { edges "
            "{ node { author { followers(first: 2) { edges { node { username posts(first: 1) { edges { node { id } "
            "} } } } } } } } } } } } } } }",
        ),
        Case(
            "too deep",
            "{ viewer { followers(first: 1) { edges { node { followers(first: 1) { edges { node "
            "{ followers(first: 1) { edges { node { followers(first: 1) { edges { node { id } } } } } } } } } } } } } }",
        ),
        Case(
            "introspection typename on union-like node",
            "query($id: ID!) { node(id: $id) { __typename ... on Post { __typename author { __typename } } } }",
            {"id": "@post2"},
        ),
        Case("schema introspection", "{ __schema { queryType { name } types { name kind } } }"),
        Case(
            "type introspection",
            '{ __type(name: "Post") { name fields { name type { name kind ofType { name } } } } }',
        ),
        Case("syntax error", "{ viewer { id "),
        Case("validation error", "{ viewer { noSuchField } }"),
        Case("missing variable", HOME % "id", {}),
        Case("wrong variable type", HOME % "id", {"first": "ten"}),
        Case("operation name", "query A { __typename } query B { viewer { id } }"),
        Case(
            "media url formats",
            ONE % "media { a: url(size: HIGH, format: JPEG) b: url(size: MEDIUM) "
            "c: url(format: WEBP) d: url(size: THUMBNAIL, format: WEBP) }",
            {"id": "@post0"},
        ),
        Case(
            "media url with variables",
            "query($id: ID!, $s: MediaSize!, $f: ImageFormat!) { post(id: $id) "
            "{ media { url(size: $s, format: $f) } } }",
            {"id": "@post5", "s": "HIGH", "f": "JPEG"},
        ),
        Case("mentions of nobody", ONE % "mentions { id username } hashtags", {"id": "@post1"}),
        Case("enum values", ONE % "state media { type state }", {"id": "@post2"}),
    ]
    cases += _directive_cases()
    return cases


def _directive_cases() -> list[Case]:
    skip = ONE.replace("$id: ID!", "$id: ID!, $yes: Boolean!, $no: Boolean!")
    cases = []
    for yes, no in ((True, False), (False, True), (True, True), (False, False)):
        variables = {"id": "@post0", "yes": yes, "no": no}
        cases += [
            Case(
                f"skip/include {yes} {no}",
                skip % "id caption @skip(if: $yes) likeCount @include(if: $no) "
                "author @include(if: $yes) { username id @skip(if: $no) }",
                variables,
            ),
            Case(
                f"directives on fragments {yes} {no}",
                (skip % "...on Post @include(if: $yes) { caption } ...Card @skip(if: $no)") + FRAGMENTS,
                variables,
            ),
            Case(
                f"same key, mixed directives {yes} {no}",
                skip % "caption @skip(if: $yes) caption @include(if: $no) id",
                variables,
            ),
        ]
    cases += [
        Case(
            "skip literal", ONE % "id caption @skip(if: true) likeCount @include(if: false)", {"id": "@post0"}
        ),
        Case("skip the only field", ONE % "id @skip(if: true)", {"id": "@post0"}),
        Case(
            "include with default variable",
            "query($id: ID!, $show: Boolean! = true) { post(id: $id) { caption @include(if: $show) } }",
            {"id": "@post0"},
        ),
    ]
    return cases


HAND_WRITTEN = _cases()
