"""Who sees which clients and deals: the administrator sets a scope per role.

Operators and supervisors each see their own records, their teams' or all; administrators
always see all (hub/queries/crm_access reads the scopes).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects import postgresql, sqlite

from hub.core import Hub
from hub.models import CrmVisibility, Role, VisibilityScope
from hub.policy import Actor, InvalidInput, ensure_can_configure_crm

from .uow import unit_of_work

# The roles whose scope can be set; an administrator's is always "all".
SCOPED_ROLES = (Role.operator, Role.supervisor)


async def set_visibility(hub: Hub, actor: Actor, scopes: Mapping[Role, VisibilityScope]) -> None:
    """Set the scope of the roles given; the others keep theirs."""
    ensure_can_configure_crm(actor)
    refused = [role for role in scopes if role not in SCOPED_ROLES]
    if refused:
        raise InvalidInput(
            [
                {
                    "field": role.value,
                    "location": "body",
                    "type": "scope-fixed",
                    "message": "This role always sees every record.",
                }
                for role in refused
            ]
        )
    if not scopes:
        return
    insert = postgresql.insert if hub.db.dialect == "postgresql" else sqlite.insert
    rows = [{"role": role.value, "scope": scope.value} for role, scope in scopes.items()]
    async with unit_of_work(hub) as uow:
        stmt = insert(CrmVisibility).values(rows)
        await uow.session.execute(
            stmt.on_conflict_do_update(index_elements=["role"], set_={"scope": stmt.excluded.scope})
        )
