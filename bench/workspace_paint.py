"""The workspace's first paint with many open conversations, in Debian's Chromium.

Seeds N open conversations (a client, one message each) assigned to one operator, starts the
whole app in-process on a loopback port, and opens the workspace in headless Chromium as that
operator, R times (a fresh page each time). Each run reads the Performance API of the page:

- `okno:list-first-page-painted`: the first page of «Мои» (its top 200) on the screen, the
  frame after it was drawn; the page asks for the list at once, not after the socket's hello;
- `okno:list-fetched`: all the conversation pages have arrived;
- `okno:list-rendered`: the list has been drawn into the DOM (workspace.js marks both);
- painted: the first animation frame after that, i.e. the list is on the screen;
- the render's own cost (rendered − fetched), and a re-render of the whole list (a tab switch
  back to «Мои»), timed in the page.

Prints each figure's median and worst over the runs, beside the issue's target (the first
paint of 500 conversations in «Мои» under 1 s).

    .venv/bin/python bench/workspace_paint.py --conversations 500 --runs 5
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/workspace_paint.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports; bench._common is
# imported from the repository's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# ruff: noqa: E402

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import async_playwright
from sqlalchemy import select

from bench._common import BACKENDS, prepare_app, serving
from hub.actions import unit_of_work
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.models import Channel, Contact, Conversation, ConversationStatus, Direction, Message, User
from hub.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TARGET_MS = 1000.0
NAMES = ("Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Захар", "Ирина", "Кирилл")
SURNAMES = ("Иванова", "Смирнов", "Кузнецова", "Попов", "Васильева", "Петров", "Соколова")

# Waits for the list's mark, then one animation frame (the frame that shows it), and reads
# the marks relative to the navigation's start; then times a full re-render of the list.
MEASURE = """async () => {
  const mark = (name) => performance.getEntriesByName(name)[0];
  while (!mark("okno:list-rendered")) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const painted = performance.now();
  const items = document.querySelectorAll("#conversation-list .conv-item").length;
  const pages = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/api/v1/conversations?"));
  const paint = performance.getEntriesByType("paint")
    .find((e) => e.name === "first-contentful-paint");
  const queue = document.querySelector("[data-tab=queue]");
  const mine = document.querySelector("[data-tab=mine]");
  queue.click();
  const start = performance.now();
  mine.click();
  document.querySelector("#conversation-list").getBoundingClientRect(); // layout included
  const rerender = performance.now() - start;
  // With more than a page of conversations the first page is drawn before the rest comes.
  const firstPainted = mark("okno:list-first-page-painted");
  return { fetched: mark("okno:list-fetched").startTime,
           firstPage: firstPainted ? firstPainted.startTime : painted,
           rendered: mark("okno:list-rendered").startTime,
           painted, items, fcp: paint ? paint.startTime : null, rerender, pages: pages.length,
           asked: Math.min(...pages.map((e) => e.startTime)),
           serving: pages.reduce((sum, e) => sum + e.responseEnd - e.requestStart, 0) };
}"""


async def seed(settings: Settings, count: int) -> None:
    """`count` open conversations of distinct clients, each with one message, all the
    bench operator's, the newest a minute apart."""
    hub = Hub(settings=settings, db=Database(settings.database_url), bus=MemoryBus())
    now = datetime.now(UTC)
    try:
        async with unit_of_work(hub) as uow:
            session = uow.session
            operator = (
                await session.execute(select(User).where(User.login == "bench-operator"))
            ).scalar_one()
            channel = (await session.execute(select(Channel))).scalars().one()
            for n in range(count):
                at = now - timedelta(minutes=n)
                contact = Contact(
                    name=f"{NAMES[n % len(NAMES)]} {SURNAMES[n % len(SURNAMES)]} {n}",
                    source="web_form",
                )
                session.add(contact)
                await session.flush()
                conversation = Conversation(
                    contact_id=contact.id,
                    channel_id=channel.id,
                    status=ConversationStatus.open,
                    assignee_id=operator.id,
                    first_assigned_at=at,
                    waiting_since=at if n % 3 == 0 else None,
                    last_message_at=at,
                    created_at=at,
                )
                session.add(conversation)
                await session.flush()
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        direction=Direction.inbound,
                        text=f"Здравствуйте! Нужен замер окон, заявка {n}, перезвоните мне.",
                        created_at=at,
                    )
                )
    finally:
        await hub.db.dispose()


async def run(backend_name: str, count: int, runs: int, width: int, height: int) -> None:
    async with BACKENDS[backend_name]() as backend:
        settings = backend.settings
        cookie = await prepare_app(settings, "webform", "site", {}, "Заявки с сайта")
        started = time.perf_counter()
        await seed(settings, count)
        seeded_s = time.perf_counter() - started
        print(f"{backend_name}: seeded {count} open conversations in {seeded_s:.1f} s")
        name, value = cookie.split("=", 1)
        async with serving(settings) as port, async_playwright() as playwright:
            url = f"http://127.0.0.1:{port}/"
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            # A page of the operator's stays open throughout: closing the measured one must
            # not take him offline (which hands his unanswered conversations back).
            keeper = await browser.new_context(locale="ru-RU")
            await keeper.add_cookies([{"name": name, "value": value, "url": url}])
            await (await keeper.new_page()).goto(url)
            try:
                figures: list[dict[str, Any]] = []
                for attempt in range(runs + 1):  # the first warms the server and the caches
                    context = await browser.new_context(
                        viewport={"width": width, "height": height}, locale="ru-RU"
                    )
                    await context.add_cookies([{"name": name, "value": value, "url": url}])
                    page = await context.new_page()
                    await page.goto(url)
                    result = await page.evaluate(MEASURE)
                    await context.close()
                    if result["items"] != count:
                        shown = result["items"]
                        raise SystemExit(f"the list shows {shown} of {count} conversations")
                    if attempt:
                        figures.append(result)
            finally:
                await browser.close()
    report(figures, count, width, height)


def report(figures: list[dict[str, Any]], count: int, width: int, height: int) -> None:
    def line(label: str, values: list[float], target: float | None = None) -> None:
        median, worst = statistics.median(values), max(values)
        verdict = ""
        if target is not None:
            verdict = f"  (target < {target:.0f} ms: {'ok' if worst < target else 'OVER'})"
        print(f"  {label:<44} median {median:7.1f} ms, worst {worst:7.1f} ms{verdict}")

    print(
        f"workspace, {count} conversations in «Мои», {width}×{height}, {len(figures)} runs "
        f"(load average {os.getloadavg()[0]:.2f}):"
    )
    fcp = [f["fcp"] for f in figures if f["fcp"] is not None]
    if fcp:
        line("first contentful paint (the page's frame)", fcp)
    line("navigation → first page of the list asked", [f["asked"] for f in figures])
    pages = figures[0]["pages"]
    line(f"the list's {pages} pages, request → response, summed", [f["serving"] for f in figures])
    line("navigation → list fetched", [f["fetched"] for f in figures])
    line("list drawn (rendered − fetched)", [f["rendered"] - f["fetched"] for f in figures])
    line("navigation → list rendered", [f["rendered"] for f in figures])
    line("navigation → first page of «Мои» painted", [f["firstPage"] for f in figures], TARGET_MS)
    line("navigation → whole list painted", [f["painted"] for f in figures], TARGET_MS)
    line("re-render of the whole list (tab switch)", [f["rerender"] for f in figures])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="sqlite")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    asyncio.run(run(args.backend, args.conversations, args.runs, args.width, args.height))


if __name__ == "__main__":
    main()
