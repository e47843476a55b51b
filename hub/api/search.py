"""Search across conversations and messages (GET /api/v1/search?q=): the clients' conversations
by name, phone in any spelling, e-mail or request number, and a page of messages holding the
words, each opening its conversation at the message found."""

from __future__ import annotations

from pydantic import Field

from hub.queries.search import ConversationHit, MessageHit, conversation_hits, message_hits
from hub.queries.search_terms import parse_terms
from hub.queries.shapes import Shape

from .inputs import DEFAULT_LIMIT, Cursor, Limit, Query
from .registry import ApiCall, RouteTable

routes = RouteTable("search")


class SearchQuery(Query):
    q: str = Field(min_length=1, max_length=200, description="Words, a name, phone, e-mail, №.")
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = Field(default=None, description="next_cursor of the previous page.")
    conversations_after: Cursor | None = Field(
        default=None,
        description="conversations_next of the previous answer: the next page of the "
        "conversations alone (no messages).",
    )


class SearchOut(Shape):
    # The conversations of the clients the text names: on the first page, then page by page
    # with `conversations_after`; the messages page by page with `cursor`.
    conversations: list[ConversationHit]
    conversations_next: int | None
    messages: list[MessageHit]
    next_cursor: int | None


@routes.get(
    "/search",
    summary="Conversations by client name, phone, e-mail or request number (paged by "
    "`conversations_after`), and messages holding the words (newest first, paged by `cursor`)",
    query=SearchQuery,
    response=SearchOut,
)
async def search(call: ApiCall[SearchQuery, None]) -> SearchOut:
    query = call.query
    terms = parse_terms(query.q, call.hub.settings.default_region)
    async with call.hub.db.sessions() as session:
        if query.conversations_after is not None:
            more, after = await conversation_hits(session, terms, query.conversations_after)
            return SearchOut(
                conversations=more, conversations_next=after, messages=[], next_cursor=None
            )
        conversations: list[ConversationHit] = []
        conversations_next = None
        if query.cursor is None:
            conversations, conversations_next = await conversation_hits(session, terms)
        messages, next_cursor = await message_hits(session, terms, query.cursor, query.limit)
    return SearchOut(
        conversations=conversations,
        conversations_next=conversations_next,
        messages=messages,
        next_cursor=next_cursor,
    )
