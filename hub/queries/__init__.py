"""Read models shared by the API, the websocket and the screen-pop: one query and one shape
each (the client card, conversations, messages, contacts, leads, the team). Reads only."""

from .card import ContactCard, DealOut, LastContact, NamedRef, contact_card
from .contact_registry import ContactFilter, default_descending, list_contacts
from .contacts import contact_access, merged_into
from .conversations import (
    AssigneeFilter,
    conversation_contact_id,
    conversation_summary,
    get_conversation,
    list_conversations,
)
from .introduced import IntroducedName
from .leads import list_leads
from .messages import contact_history, list_messages
from .shapes import (
    ChannelBrief,
    ContactBrief,
    ContactRow,
    ContactSummary,
    ConversationOut,
    HistoryMessage,
    IdentityOut,
    LastMessage,
    LeadListItem,
    LeadOut,
    MessageOut,
    OrganisationOut,
    PhoneOut,
    Shape,
    Timestamp,
    UserBrief,
    UserRow,
)
from .users import list_users
from .workspace_views import VIEWS, View, colleagues, team_ids_of, view_counts, view_filter

__all__ = [
    "VIEWS",
    "AssigneeFilter",
    "ChannelBrief",
    "ContactBrief",
    "ContactCard",
    "ContactFilter",
    "ContactRow",
    "ContactSummary",
    "ConversationOut",
    "DealOut",
    "HistoryMessage",
    "IdentityOut",
    "IntroducedName",
    "LastContact",
    "LastMessage",
    "LeadListItem",
    "LeadOut",
    "MessageOut",
    "NamedRef",
    "OrganisationOut",
    "PhoneOut",
    "Shape",
    "Timestamp",
    "UserBrief",
    "UserRow",
    "View",
    "colleagues",
    "contact_access",
    "contact_card",
    "contact_history",
    "conversation_contact_id",
    "conversation_summary",
    "default_descending",
    "get_conversation",
    "list_contacts",
    "list_conversations",
    "list_leads",
    "list_messages",
    "list_users",
    "merged_into",
    "team_ids_of",
    "view_counts",
    "view_filter",
]
