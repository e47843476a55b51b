"""Starting the first Telegram channel imports aiogram (hundreds of pydantic models, seconds
on a busy machine). The runner does that import in a thread: the event loop keeps serving
meanwhile, instead of every request of the node waiting for it (seen: an admin's «save
channel» answered after 60 s, and everything else with it, on a loaded machine).

Run in a fresh interpreter, where aiogram has not been imported yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, sys
from connectors.runner import ChannelSpec, ConnectorRunner

class ContextAsked(Exception):
    pass

def make_context(runner, spec):
    raise ContextAsked  # the imports are done by then; no connector is needed here

async def main():
    ticks = 0
    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    assert "aiogram" not in sys.modules
    spec = ChannelSpec(1, "telegram", "bot", {
        "token": "123456789:AAFheavyImportTestTokenLongEnough_12", "mode": "webhook",
        "webhook_secret": "heavy-import-secret"})
    before = ticks
    try:
        await ConnectorRunner(make_context).start_channel(spec)
    except ContextAsked:
        pass
    task.cancel()
    print(ticks - before, "aiogram" in sys.modules)

asyncio.run(main())
"""


def test_the_loop_keeps_running_while_a_connector_imports_its_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    ticks, imported = done.stdout.split()
    assert imported == "True"
    # A blocking import lets the loop run not once while it lasts.
    assert int(ticks) >= 3, done.stdout
