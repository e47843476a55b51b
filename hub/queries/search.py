"""Search across conversations and messages: a client by name, phone (any spelling), e-mail
or request number, and messages by their words. PostgreSQL: Russian full text (GIN over the
stored to_tsvector('russian'), migration 0029) and trigrams (pg_trgm) for names and numbers;
SQLite: the FTS5 table `messages_fts` (migration 0018) and plain scans for names, as embedded
sizes allow."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Channel, Contact, Conversation, Direction, Identity, IdentityKind, Message
from hub.models.comms import MESSAGE_SEARCH_VECTOR

from .search_terms import (
    SearchTerms,
    postgres_tsquery,
    postgres_whole_tsquery,
    snippet,
    sqlite_match,
)
from .shapes import Shape

CONVERSATION_HITS = 20
CONTACT_HITS = 50
# Clients bearing exactly the name typed whose conversations are looked at (the newest
# clients first): namesakes are common (hundreds of «Иванова Анна Сергеевна» in a million
# clients), and the newest conversations among all of them are the answer; the bound keeps a
# name borne by a large share of the base from reading every one.
NAMESAKES = 1000


class ConversationHit(Shape):
    conversation_id: int
    contact_id: int
    contact_name: str
    channel_kind: str
    channel_title: str
    status: str
    last_message_at: datetime
    # What matched: number, phone, email, name.
    matched: list[str]


class MessageHit(Shape):
    message_id: int
    conversation_id: int
    contact_name: str
    channel_kind: str
    direction: str
    created_at: datetime
    snippet: str


def _like(text_: str) -> str:
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contact_queries(terms: SearchTerms) -> dict[str, list[Select[int]]]:
    """Per way the text may name a client, queries of contact ids tried in turn until one
    finds someone. A whole phone number or e-mail address is first looked up as it is stored
    (the unique index on identities: a fraction of a millisecond); only when nobody has it is
    it looked for as a part of one (the trigram index, whose posting lists for the trigrams
    every number or address shares, «+79», «916», «mai», run to a million rows each at a
    million clients: 70-250 ms a search, README.md, «bench/search.py»)."""
    found: dict[str, list[Select[int]]] = {}
    phones: list[Select[int]] = []
    if terms.phone:
        phones.append(_identity(IdentityKind.phone, Identity.value == terms.phone))
    if terms.digits:
        phones.append(
            _identity(IdentityKind.phone, Identity.value.like(_like(terms.digits), escape="\\"))
        )
    if phones:
        found["phone"] = phones
    if terms.email:
        emails = [
            _identity(IdentityKind.email, Identity.value.like(_like(terms.email), escape="\\"))
        ]
        if terms.whole_email:
            emails.insert(0, _identity(IdentityKind.email, Identity.value == terms.email))
        found["email"] = emails
    return found


def _names_a_client(terms: SearchTerms) -> bool:
    """Whether the text may be (a part of) a client's name: words, not a number."""
    return bool(terms.words) and not terms.phone and terms.number is None


async def _clients_by_name(session: AsyncSession, terms: SearchTerms) -> list[int]:
    """Contact ids whose name is the text: first those whose whole name is it as stored,
    newest clients first, at most NAMESAKES of them (the btree index on name_key and id,
    walked backwards from the name's newest bearer, so no more than the bound are read
    however common the name, migration 0031); then, only while they are fewer than
    CONTACT_HITS, any CONTACT_HITS whose name holds the text (the trigram index).

    Why the whole name first: the trigram search reads the posting list of every trigram of the
    text, and a common full name's trigrams («иванова анна сергеевна») list a large share of
    all clients (130 ms at 1,000,000 clients, README.md, «bench/search.py»), to return
    CONTACT_HITS arbitrary ones of them. When at least that many clients bear exactly the name
    typed, they are the best answer anyway, and all of them (to the bound) are taken, so their
    conversations come newest first across the namesakes rather than among an arbitrary few."""
    exact = list(
        await session.scalars(
            select(Contact.id)
            .where(Contact.name_key == terms.key, Contact.merged_into_id.is_(None))
            .order_by(Contact.id.desc())
            .limit(NAMESAKES)
        )
    )
    if len(exact) >= CONTACT_HITS:
        return exact
    partial = await session.scalars(
        select(Contact.id)
        .where(
            Contact.name_key.like(_like(terms.key), escape="\\"),
            Contact.merged_into_id.is_(None),
        )
        .limit(CONTACT_HITS)
    )
    known = set(exact)
    return exact + [contact_id for contact_id in partial if contact_id not in known]


def _identity(kind: IdentityKind, condition: ColumnElement[bool]) -> Select[int]:
    return select(Identity.contact_id).where(Identity.kind == kind, condition)


async def conversation_hits(session: AsyncSession, terms: SearchTerms) -> list[ConversationHit]:
    reasons: dict[int, list[str]] = {}  # contact id -> what matched
    for reason, queries in _contact_queries(terms).items():
        for query in queries:
            contact_ids = list(await session.scalars(query.limit(CONTACT_HITS)))
            for contact_id in contact_ids:
                reasons.setdefault(contact_id, []).append(reason)
            if contact_ids:
                break
    if _names_a_client(terms):
        for contact_id in await _clients_by_name(session, terms):
            reasons.setdefault(contact_id, []).append("name")
    conditions: list[ColumnElement[bool]] = []
    if reasons:
        conditions.append(Conversation.contact_id.in_(list(reasons)))
    if terms.number is not None and terms.number < 2**63:
        conditions.append(Conversation.id == terms.number)
    if not conditions:
        return []
    newest = (Conversation.last_message_at.desc(), Conversation.id.desc())
    # The page is chosen from the conversations alone, and only its rows are joined to their
    # clients and channels: namesakes have hundreds of conversations, and joining each to its
    # client before the sort read as many contacts' pages again.
    page = (
        select(Conversation.id)
        .where(or_(*conditions))
        .order_by(*newest)
        .limit(CONVERSATION_HITS)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Conversation, Contact.name, Channel.kind, Channel.title)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Conversation.id.in_(page))
        .order_by(*newest)
    )
    hits = []
    for conversation, name, kind, title in rows:
        matched = list(reasons.get(conversation.contact_id, []))
        if conversation.id == terms.number:
            matched.insert(0, "number")
        hits.append(
            ConversationHit(
                conversation_id=conversation.id,
                contact_id=conversation.contact_id,
                contact_name=name,
                channel_kind=kind,
                channel_title=title,
                status=conversation.status.value,
                last_message_at=conversation.last_message_at,
                matched=matched,
            )
        )
    return hits


# PostgreSQL looks for a page of matching ids in windows of ids below the cursor, newest
# first, each window WINDOW_GROWTH times the last, until the page is full or the window
# reaches the oldest message. Why not `ORDER BY id DESC LIMIT n` over the whole table: with it
# the planner weighs a backward scan of the primary key, filtered by to_tsvector, that stops at
# the n-th match, against the GIN bitmap that finds every match and sorts them; which one wins
# depends on the sampled estimate of the words' frequency, and a prefix query («4711:*») that
# no message holds is estimated as common, so the scan re-parsed every row (22.8 s at
# 1,000,000 messages, README.md, «bench/search.py»). Inside a window the matches are fenced in
# a MATERIALIZED CTE, planned without the LIMIT's early stop: a rare or absent word goes through
# the GIN bitmap (0.05 ms at any size), a common one fills its page from the first, small window
# whatever the plan, and any plan's work is bounded by its window, which only grows when the
# windows below held fewer matches than a page. The first window is a few pages' worth of ids:
# a phrase in one message of five fills it. Since migration 0029 the vector is stored
# (`messages.search_vector`), so a window read through the primary key tests each row's
# vector as it is instead of parsing its text again.
FIRST_WINDOW_PAGES = 8
WINDOW_GROWTH = 8


def postgres_window(
    terms: SearchTerms,
    low: int,
    high: int,
    limit: int,
    tsquery: str | None = None,
    name: str = "found",
) -> Select[tuple[int]]:
    """The newest `limit` ids holding the words (or `tsquery`, to_tsquery's text made of
    them) with low <= id < high; `name` is its CTE's."""
    russian: ColumnElement[str] = literal_column("'russian'::regconfig")
    found = (
        select(Message.id)
        .where(
            # The stored vector (migration 0029) under its GIN index: no row is parsed again,
            # whichever way the planner reaches it.
            literal_column(f"messages.{MESSAGE_SEARCH_VECTOR}").op("@@")(
                func.to_tsquery(russian, tsquery or postgres_tsquery(terms))
            ),
            Message.direction != Direction.system,
            Message.id >= low,
            Message.id < high,
        )
        .cte(name)
        .prefix_with("MATERIALIZED")  # the fence: planned for all its rows, no early stop
    )
    return select(found.c.id).order_by(found.c.id.desc()).limit(limit)


def postgres_newest(
    terms: SearchTerms, windows: list[tuple[int, int]], tsquery: str | None = None
) -> Select[tuple[int | None]]:
    """The newest id holding the words in the first of `windows` (low, high) that has one,
    in one statement: each window is a scalar subquery of COALESCE, which PostgreSQL runs
    only when the windows before it gave none (an uncorrelated subquery is run when its value
    is first needed). One round trip instead of one a window: on a loaded machine each costs
    milliseconds of waiting for the CPU whatever the work (README.md, «bench/search.py»).

    Words that are all stop words («на», «и») leave to_tsquery no lexeme, and such a query
    matches nothing, while a query with other words too just drops them: for those the top
    of the windows is answered (no bound), never none."""
    newest = [
        postgres_window(terms, low, high, 1, tsquery, f"found_{n}").scalar_subquery()
        for n, (low, high) in enumerate(windows)
    ]
    russian: ColumnElement[str] = literal_column("'russian'::regconfig")
    lexemes = func.numnode(func.to_tsquery(russian, tsquery or postgres_tsquery(terms)))
    # CASE, like COALESCE, runs the windows' subqueries only in the branch taken.
    return select(case((lexemes == 0, literal(windows[0][1] - 1)), else_=func.coalesce(*newest)))


def _windows(oldest: int, newest: int, page: int) -> list[tuple[int, int]]:
    """(low, high) of the windows from `newest` down to `oldest`, newest first: the first
    FIRST_WINDOW_PAGES pages of `page` ids, each next WINDOW_GROWTH times the last."""
    windows = []
    high, window = newest + 1, FIRST_WINDOW_PAGES * page
    while high > oldest:
        low = max(high - window, oldest)
        windows.append((low, high))
        high, window = low, window * WINDOW_GROWTH
    return windows


async def _postgres_message_ids(
    session: AsyncSession, terms: SearchTerms, before: int | None, limit: int
) -> list[int]:
    bounds = select(
        func.min(Message.id),
        func.max(Message.id),
        # For the rest of this transaction, set in its first statement so as to cost no
        # round trip of its own (README.md, «bench/search.py»):
        # - every window planned for its own bounds and words. The statements are prepared
        #   (asyncpg), and from the sixth run of one PostgreSQL may reuse a generic plan, made
        #   without the values: for a common word's small window it read the whole GIN list
        #   (240-290 ms where the window's own plan takes 1 ms);
        # - no JIT: a window over millions of ids (or postgres_newest's statement, which holds
        #   all the windows even when only the first runs) passes jit_above_cost, for 0.5-0.9 s
        #   of compiling on a loaded machine before a search of milliseconds.
        func.set_config("plan_cache_mode", "force_custom_plan", True),
        func.set_config("jit", "off", True),
    )
    if before is not None:
        bounds = bounds.where(Message.id < before)
    oldest, newest, _, _ = (await session.execute(bounds)).one()
    if oldest is None or newest is None:
        return []
    whole = postgres_whole_tsquery(terms)
    if whole is not None:
        # The newest message holding the whole words is the newest that may hold them all
        # with the prefix: the windows start there, and none means no match at all.
        windows = _windows(oldest, newest, limit)
        bound = cast(int | None, await session.scalar(postgres_newest(terms, windows, whole)))
        if bound is None:
            return []
        newest = bound
    ids: list[int] = []
    for low, high in _windows(oldest, newest, limit):
        ids.extend(await session.scalars(postgres_window(terms, low, high, limit - len(ids))))
        if len(ids) >= limit:
            break
    return ids


async def _matching_message_ids(
    session: AsyncSession, terms: SearchTerms, before: int | None, limit: int
) -> list[int]:
    """Ids of messages holding every word, newest first, below `before`."""
    if not terms.words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return await _postgres_message_ids(session, terms, before, limit)
    # FTS5 hands rowids back in descending order cheaply; system lines are filtered after.
    rows = await session.execute(
        text(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :match AND rowid < :before "
            "ORDER BY rowid DESC LIMIT :limit"
        ),
        {"match": sqlite_match(terms), "before": before or 2**63 - 1, "limit": limit},
    )
    return [row[0] for row in rows]


async def message_hits(
    session: AsyncSession, terms: SearchTerms, before: int | None, limit: int
) -> tuple[list[MessageHit], int | None]:
    """A page of messages holding the words, newest first, and the cursor of the next."""
    ids = await _matching_message_ids(session, terms, before, limit + 1)
    page, more = ids[:limit], len(ids) > limit
    if not page:
        return [], None
    rows = await session.execute(
        select(Message, Contact.name, Channel.kind)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(and_(Message.id.in_(page), Message.direction != Direction.system))
        .order_by(Message.id.desc())
    )
    hits = [
        MessageHit(
            message_id=message.id,
            conversation_id=message.conversation_id,
            contact_name=name,
            channel_kind=kind,
            direction=message.direction.value,
            created_at=message.created_at,
            snippet=snippet(message.text, terms),
        )
        for message, name, kind in rows
    ]
    return hits, (page[-1] if more else None)
