"""SLA targets per team and channel: creating, changing and deleting policies.

Entry points take the acting principal (`hub.policy.ensure_can_manage_sla`: supervisors and
administrators). One policy per scope (team, channel, both or neither): a second one for the
same scope is a conflict, caught before the unique key would refuse it.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.auth import Principal
from hub.core import Hub
from hub.models import Channel, SlaPolicy, Team
from hub.models.sla import scope_key
from hub.policy import Conflict, NotFound, ensure_can_manage_sla

from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work

TARGETS = ("first_response_s", "next_response_s", "resolution_s")


async def _check_scope(
    uow: UnitOfWork, team_id: int | None, channel_id: int | None, policy_id: int | None
) -> str:
    if team_id is not None and await uow.session.get(Team, team_id) is None:
        raise NotFound("no-such-team", "There is no such team.", {"id": team_id})
    if channel_id is not None and await uow.session.get(Channel, channel_id) is None:
        raise NotFound("no-such-channel", "There is no such channel.", {"id": channel_id})
    key = scope_key(team_id, channel_id)
    taken = await uow.session.scalar(select(SlaPolicy.id).where(SlaPolicy.scope_key == key))
    if taken is not None and taken != policy_id:
        raise Conflict(
            "sla-policy-exists",
            "There is already a policy for this team and channel.",
            {"id": taken, "team_id": team_id, "channel_id": channel_id},
        )
    return key


async def create_policy(
    hub: Hub,
    principal: Principal,
    *,
    name: str,
    team_id: int | None = None,
    channel_id: int | None = None,
    first_response_s: int | None = None,
    next_response_s: int | None = None,
    resolution_s: int | None = None,
    working_time: bool = True,
    enabled: bool = True,
) -> SlaPolicy:
    ensure_can_manage_sla(principal)
    async with unit_of_work(hub) as uow:
        key = await _check_scope(uow, team_id, channel_id, None)
        now = uow.now()
        policy = SlaPolicy(
            name=name,
            team_id=team_id,
            channel_id=channel_id,
            scope_key=key,
            first_response_s=first_response_s,
            next_response_s=next_response_s,
            resolution_s=resolution_s,
            working_time=working_time,
            enabled=enabled,
            version=1,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(policy)
        await uow.session.flush()
    return policy


async def _found(uow: UnitOfWork, policy_id: int) -> SlaPolicy:
    policy = await uow.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound("no-such-sla-policy", "There is no such SLA policy.", {"id": policy_id})
    return policy


async def update_policy(
    hub: Hub,
    principal: Principal,
    policy_id: int,
    *,
    name: str | Keep = KEEP,
    team_id: int | Keep | None = KEEP,
    channel_id: int | Keep | None = KEEP,
    first_response_s: int | Keep | None = KEEP,
    next_response_s: int | Keep | None = KEEP,
    resolution_s: int | Keep | None = KEEP,
    working_time: bool | Keep = KEEP,
    enabled: bool | Keep = KEEP,
) -> SlaPolicy:
    """Only what is given changes; a target given as null is taken off."""
    ensure_can_manage_sla(principal)
    async with unit_of_work(hub) as uow:
        policy = await _found(uow, policy_id)
        if not isinstance(team_id, Keep):
            policy.team_id = team_id
        if not isinstance(channel_id, Keep):
            policy.channel_id = channel_id
        policy.scope_key = await _check_scope(uow, policy.team_id, policy.channel_id, policy.id)
        if not isinstance(name, Keep):
            policy.name = name
        if not isinstance(first_response_s, Keep):
            policy.first_response_s = first_response_s
        if not isinstance(next_response_s, Keep):
            policy.next_response_s = next_response_s
        if not isinstance(resolution_s, Keep):
            policy.resolution_s = resolution_s
        if not isinstance(working_time, Keep):
            policy.working_time = working_time
        if not isinstance(enabled, Keep):
            policy.enabled = enabled
        policy.version += 1
        policy.updated_at = uow.now()
    return policy


async def delete_policy(hub: Hub, principal: Principal, policy_id: int) -> None:
    """Its breaches stay (they happened) with no policy."""
    ensure_can_manage_sla(principal)
    async with unit_of_work(hub) as uow:
        await uow.session.delete(await _found(uow, policy_id))
