"""The workspace page's views by role, its dialogs, and the chime Okno makes itself."""

from __future__ import annotations

import io
import wave

from agent_ui.views_workspace import new_work_sound
from hub.models import Role
from tests.agent_ui.conftest import Ui


async def test_operators_get_mine_queue_team_closed_and_supervisors_all_as_well(
    sqlite_ui: Ui,
) -> None:
    await sqlite_ui.add_user("ivanov")
    await sqlite_ui.add_user("boss", Role.supervisor)
    operator = await sqlite_ui.signed_in("ivanov")
    async with operator.get(sqlite_ui.url("/")) as page:
        html = await page.text()
    for tab in ("mine", "queue", "team", "closed"):
        assert f'data-tab="{tab}"' in html
    assert 'data-tab="all"' not in html
    assert "Закрытые" in html and "Все каналы" in html
    assert 'id="transfer-dialog"' in html and 'id="keys-dialog"' in html
    boss = await sqlite_ui.signed_in("boss")
    async with boss.get(sqlite_ui.url("/?lang=en")) as page:
        html = await page.text()
    assert 'data-tab="all"' in html and "Transfer the conversation" in html


async def test_the_chime_is_a_short_wav_served_by_okno(sqlite_ui: Ui) -> None:
    async with sqlite_ui.anonymous() as browser:
        async with browser.get(sqlite_ui.url("/sounds/new-work.wav")) as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"] == "audio/wav"
            body = await reply.read()
    assert body == new_work_sound()
    with wave.open(io.BytesIO(body)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
        assert sound.getnchannels() == 1 and 0.2 < seconds < 0.5
    assert len(body) < 20_000
