"""Website chats belong to one visitor (the widget's browser token digest)."""

from __future__ import annotations

from hub.models import Contact, Conversation
from hub.text import one_line

from .uow import UnitOfWork


def bind_visitor(uow: UnitOfWork, conversation: Conversation, visitor_id: str) -> None:
    """Mark a new widget conversation as this visitor's: only their socket is shown it,
    even if their contact is later merged with another visitor's (same phone, say)."""
    if conversation.widget_visitor is None:
        conversation.widget_visitor = visitor_id[:64]


async def name_if_unnamed(uow: UnitOfWork, contact_id: int, name: str) -> None:
    """A visitor who chatted anonymously introduces themselves later (contact details,
    the offline form): the lead gets that name; a name someone already set is kept."""
    contact = await uow.session.get_one(Contact, contact_id)
    name = one_line(name)
    if name and not contact.name.strip():
        contact.name = name[:300]
        contact.updated_at = uow.now()
