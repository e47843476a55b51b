"""Who may open the admin pages: enforced by the server, not by hiding links."""

from __future__ import annotations

from hub.models import Role
from tests.agent_ui.conftest import Ui


async def status_and_text(ui: Ui, login: str | None, path: str) -> tuple[int, str]:
    session = ui.anonymous() if login is None else await ui.signed_in(login)
    async with session.get(ui.url(path), allow_redirects=False) as reply:
        return reply.status, await reply.text()


async def test_admin_pages_by_role(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("boss", Role.admin)
    await ui.add_user("lead", Role.supervisor)
    await ui.add_user("agent", Role.operator)

    for path in ("/admin/channels", "/admin/operators"):
        status, text = await status_and_text(ui, "boss", path)
        assert status == 200 and 'id="okno-config"' in text
        assert 'href="/admin/operators"' in text  # the admin's top bar links both pages
        status, text = await status_and_text(ui, "agent", path)
        assert status == 403 and "okno-config" not in text
        assert 'href="/admin/channels"' not in text
        status, _ = await status_and_text(ui, None, path)
        assert status == 302

    # Supervisors see the channels read-only (the API refuses their writes) and no accounts.
    status, text = await status_and_text(ui, "lead", "/admin/channels")
    assert status == 200 and 'id="channel-add"' not in text
    assert 'href="/admin/operators"' not in text
    status, text = await status_and_text(ui, "lead", "/admin/operators")
    assert status == 403 and "okno-config" not in text
    status, text = await status_and_text(ui, "boss", "/admin/channels")
    assert 'id="channel-add"' in text


async def test_the_sla_page_is_for_supervisors_and_admins(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("lead", Role.supervisor)
    await ui.add_user("agent", Role.operator)
    status, text = await status_and_text(ui, "lead", "/admin/sla")
    assert status == 200 and 'id="sla-add"' in text and 'href="/admin/sla"' in text
    status, text = await status_and_text(ui, "agent", "/admin/sla")
    assert status == 403 and "okno-config" not in text and 'href="/admin/sla"' not in text
