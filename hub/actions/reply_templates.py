"""Canned answers: creating, changing and deleting them («Шаблоны»).

Entry points take the acting principal: `create_template`, `update_template`,
`delete_template`. Who may change which is `hub.policy.ensure_can_edit_template`; the text is
checked by `hub.reply_text.check` before it is stored, so a saved template always renders.
"""

from __future__ import annotations

from hub.auth import Principal
from hub.core import Hub
from hub.models import ReplyTemplate, Team, TemplateScope
from hub.models.crm import search_key
from hub.policy import InvalidInput, NotFound, ensure_can_edit_template
from hub.reply_text import TemplateTextError, check

from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work


def body_error(exc: TemplateTextError) -> InvalidInput:
    return InvalidInput(
        [
            {
                "field": "body",
                "location": "body",
                "type": f"template-{exc.reason}",
                "message": exc.detail,
            }
        ]
    )


def _checked(body: str) -> str:
    try:
        check(body)
    except TemplateTextError as exc:
        raise body_error(exc) from None
    return body


def _search_text(name: str, body: str) -> str:
    return search_key(f"{name} {body}")


async def create_template(
    hub: Hub,
    principal: Principal,
    *,
    scope: TemplateScope,
    name: str,
    body: str,
    locale: str,
    team_id: int | None = None,
) -> ReplyTemplate:
    owner_id = principal.user_id if scope is TemplateScope.personal else None
    ensure_can_edit_template(principal, scope, owner_id)
    _checked(body)
    if (scope is TemplateScope.team) != (team_id is not None):
        raise InvalidInput(
            [
                {
                    "field": "team_id",
                    "location": "body",
                    "type": "team-for-team-scope",
                    "message": "a team template names its team; other templates name none",
                }
            ]
        )
    async with unit_of_work(hub) as uow:
        if team_id is not None and await uow.session.get(Team, team_id) is None:
            raise NotFound("no-such-team", "There is no such team.", {"id": team_id})
        now = uow.now()
        template = ReplyTemplate(
            scope=scope,
            owner_id=owner_id,
            team_id=team_id,
            locale=locale,
            name=name,
            body=body,
            search_text=_search_text(name, body),
            created_by_id=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(template)
        await uow.session.flush()
    return template


async def _editable(uow: UnitOfWork, principal: Principal, template_id: int) -> ReplyTemplate:
    template = await uow.session.get(ReplyTemplate, template_id)
    if template is None:
        raise NotFound("no-such-template", "There is no such template.", {"id": template_id})
    ensure_can_edit_template(principal, template.scope, template.owner_id)
    return template


async def update_template(
    hub: Hub,
    principal: Principal,
    template_id: int,
    *,
    name: str | Keep = KEEP,
    body: str | Keep = KEEP,
    locale: str | Keep = KEEP,
) -> ReplyTemplate:
    if not isinstance(body, Keep):
        _checked(body)
    async with unit_of_work(hub) as uow:
        template = await _editable(uow, principal, template_id)
        if not isinstance(name, Keep):
            template.name = name
        if not isinstance(body, Keep):
            template.body = body
        if not isinstance(locale, Keep):
            template.locale = locale
        template.search_text = _search_text(template.name, template.body)
        template.updated_at = uow.now()
    return template


async def delete_template(hub: Hub, principal: Principal, template_id: int) -> None:
    async with unit_of_work(hub) as uow:
        await uow.session.delete(await _editable(uow, principal, template_id))
