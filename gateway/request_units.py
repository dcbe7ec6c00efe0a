"""What one request takes from whose budgets.

Every request pays one unit before it is parsed: `read` for a signed-in user, `anon` for an
address. A mutation also pays one unit per root field that runs, in that field's bucket.
Which fields run is decided by graphql-core's own field collection, so aliases, named and
inline fragments and `@skip`/`@include` are counted exactly as execution will see them.

Sign-up and sign-in are charged to the client's address whatever token the request carries
(plus the account, when there is one): a token must not buy an address more guesses.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from graphql import FragmentDefinitionNode
from graphql.execution.collect_fields import FragmentDetails, collect_fields

from gateway.rate_limits import Bucket

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode
    from graphql.execution.values import VariableValues

    from resolvers.context import Context

MUTATION_BUCKETS: dict[str, Bucket] = {
    "signUp": Bucket.ACCOUNT,
    "signIn": Bucket.ACCOUNT,
    "signOut": Bucket.ACCOUNT,
    "updateProfile": Bucket.ACCOUNT,
    "requestUpload": Bucket.UPLOAD,
    "createPost": Bucket.POST,
    "deletePost": Bucket.POST,
    "follow": Bucket.FOLLOW,
    "followHashtag": Bucket.FOLLOW,
    "unfollowHashtag": Bucket.FOLLOW,
    "unfollow": Bucket.FOLLOW,
    "likePost": Bucket.LIKE,
    "unlikePost": Bucket.LIKE,
    "addComment": Bucket.COMMENT,
    "deleteComment": Bucket.COMMENT,
    "approveFollowRequest": Bucket.FOLLOW,
    "rejectFollowRequest": Bucket.FOLLOW,
    "cancelFollowRequest": Bucket.FOLLOW,
    "block": Bucket.FOLLOW,
    "unblock": Bucket.FOLLOW,
    "mute": Bucket.FOLLOW,
    "unmute": Bucket.FOLLOW,
    "reportPost": Bucket.REPORT,
    "reportUser": Bucket.REPORT,
}
# Guessing passwords and making accounts are limited per address, whoever asks
ADDRESS_FIELDS = frozenset({"signUp", "signIn"})


def address_subject(context: Context) -> str:
    return f"ip:{context.client_address()}"


def user_subject(user_id: int) -> str:
    return f"u:{user_id}"


def caller_subject(context: Context) -> str:
    """Whose budget a request spends: the signed-in user's, or else the address's."""
    return user_subject(context.viewer_id) if context.viewer_id is not None else address_subject(context)


def signed_in_unit() -> Counter[Bucket]:
    """The unit a signed-in user's request pays (`request_unit` with a viewer)."""
    return Counter({Bucket.READ: 1})


def request_unit(context: Context) -> Counter[Bucket]:
    """The unit every request pays, before its document is even parsed."""
    return signed_in_unit() if context.viewer_id is not None else Counter({Bucket.ANON: 1})


def executed_root_fields(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
) -> list[str]:
    """The root fields the operation runs: one per response key, after fragments and directives."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return []
    fragments = {
        definition.name.value: FragmentDetails(definition)
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    grouped = collect_fields(schema, fragments, variables, root, operation).grouped_field_set
    return [details[0].node.name.value for details in grouped.values()]


def mutation_units(context: Context, root_fields: list[str]) -> dict[str, Counter[Bucket]]:
    """What a mutation's fields take, by subject, on top of the request's unit."""
    signed_in = context.viewer_id is not None
    charges: dict[str, Counter[Bucket]] = {}

    def take(subject: str, bucket: Bucket) -> None:
        charges.setdefault(subject, Counter())[bucket] += 1

    for name in root_fields:
        bucket = MUTATION_BUCKETS.get(name, Bucket.READ if signed_in else Bucket.ANON)
        if name in ADDRESS_FIELDS:
            take(address_subject(context), bucket)
            if signed_in:
                take(caller_subject(context), bucket)
        elif signed_in:
            take(caller_subject(context), bucket)
        else:
            # Anonymous callers pay account actions by address; anything else they try fails
            # for want of a session, and costs an ordinary anonymous request
            take(address_subject(context), bucket if bucket is Bucket.ACCOUNT else Bucket.ANON)
    # The address first: a refusal there must not have spent the account's budget
    return dict(sorted(charges.items(), key=lambda item: not item[0].startswith("ip:")))
