// The supervisor board: every open conversation with its holder and waiting time, the
// operators in rotation with their load, and the summary of now (queue, today's first
// response, waits past their target, load, lost calls) from GET /api/v1/board, all kept
// current over the live socket. A row opens its conversation; an operator filters the table.

import { items, makeApi } from "./okno-api.js";
import { clear, el, formatWaiting, readConfig, translator } from "./okno-dom.js";
import { LiveSocket } from "./okno-live.js";
import { Topbar, storedPresence } from "./okno-topbar.js";

const config = readConfig();
const t = translator(config.strings);
const api = makeApi(config.csrf);
const conversations = new Map();

const boardBody = document.getElementById("board-conversations");
const boardEmpty = document.getElementById("board-empty");
const agentList = document.getElementById("board-agents");
const filterButton = document.getElementById("board-filter");
const topbar = new Topbar(t);
// The last GET /api/v1/board: waits near or past target by conversation, the rotation.
let board = null;
let onlyOperator = null;

function waitingMs(conversation) {
  return conversation.waiting_since ? Date.now() - new Date(conversation.waiting_since).getTime() : -1;
}

function renderConversations() {
  const waits = new Map(board ? board.waits.map((w) => [w.conversation_id, w]) : []);
  const open = [...conversations.values()].filter((c) => c.status === "open")
    .filter((c) => onlyOperator === null || (c.assignee && c.assignee.id === onlyOperator))
    .sort((a, b) => waitingMs(b) - waitingMs(a) || a.id - b.id);
  clear(boardBody).append(...open.map((c) => el("tr", {
    dataset: { id: c.id },
    // Waiting in the queue past the team's limit: the router alerted the supervisors.
    class: [c.wait_alerted_at && !c.assignee ? "alerted" : "",
      waits.has(c.id) ? (waits.get(c.id).breached ? "breached" : "soon") : ""].join(" ").trim() || null,
  },
    el("td", {}, c.contact.name || t("contact.noName")),
    el("td", {}, el("span", { class: "channel-badge", dataset: { kind: c.channel.kind } },
      c.channel.title || c.channel.kind)),
    el("td", { class: c.assignee ? "" : "unassigned" }, c.assignee ? c.assignee.name : t("list.unassigned")),
    el("td", { class: "waiting" + (waitingMs(c) > 15 * 60000 ? " late" : "") },
      c.waiting_since ? formatWaiting(c.waiting_since, t) : t("board.answered")),
    el("td", { class: "preview" }, c.last_message ? c.last_message.text : ""))));
  boardEmpty.hidden = open.length > 0;
  renderAgents();
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const total = Math.round(seconds);
  const m = Math.floor(total / 60), sec = total % 60;
  return m >= 60 ? t("time.hoursMinutes", { h: Math.floor(m / 60), m: m % 60 })
    : `${m}:${String(sec).padStart(2, "0")}`;
}

function renderSummary() {
  if (!board) return;
  const set = (id, text) => { document.getElementById(id).textContent = text; };
  set("sum-queue", String(board.queue.length));
  set("sum-queue-longest", board.queue.longest_since
    ? t("board.longest", { wait: formatWaiting(board.queue.longest_since, t) }) : "");
  const today = board.responses_today;
  set("sum-frt", duration(today.frt_p50));
  set("sum-frt-note", t("board.frtNote", { p90: duration(today.frt_p90), handled: today.handled, requests: today.requests }));
  const breached = board.waits.filter((w) => w.breached).length;
  set("sum-breached", String(breached));
  set("sum-soon", t("board.soon", { n: board.waits.length - breached }));
  set("sum-load", t("board.load", { load: board.load, capacity: board.capacity }));
  const calls = board.calls_today;
  set("sum-calls", String(calls.missed + calls.abandoned));
  set("sum-calls-note", t("board.callsNote", { missed: calls.missed, abandoned: calls.abandoned, back: calls.called_back }));
}

function agentMeta(agent) {
  const parts = [];
  if (agent.on_call) parts.push(t("board.onCall"));
  if (agent.last_reply_at) parts.push(t("board.lastReply", { time: formatWaiting(agent.last_reply_at, t) }));
  if (agent.idle_since) parts.push(t("board.idle", { time: formatWaiting(agent.idle_since, t) }));
  return parts.join(" · ");
}

function renderAgents() {
  // Only people in a team's rotation: a supervisor outside it is no capacity.
  const rows = board ? board.operators : [];
  clear(agentList).append(...rows.map((agent) => el("div", {
    class: "agent",
    dataset: { presence: agent.presence, id: agent.id },
    role: "button",
    tabindex: "0",
    "aria-pressed": onlyOperator === agent.id ? "true" : "false",
  },
    el("span", { class: "dot" }),
    el("span", { class: "agent-name" }, agent.name),
    el("span", { class: "agent-presence" }, t("presence." + agent.presence)),
    el("span", { class: "agent-load" }, t("board.openCount", { n: agent.conversations, max: agent.max_conversations })),
    el("span", { class: "agent-meta" }, agentMeta(agent)))));
  filterButton.hidden = onlyOperator === null;
  const chosen = rows.find((a) => a.id === onlyOperator);
  filterButton.textContent = chosen ? t("board.showAll", { name: chosen.name }) : "";
}

let boardTimer = null;
let boardLoading = null;

// Fetched again shortly after any change (several events in a burst: one fetch).
function refreshBoard(delay = 300) {
  clearTimeout(boardTimer);
  boardTimer = setTimeout(loadBoard, delay);
}

async function loadBoard() {
  if (boardLoading) return boardLoading;
  boardLoading = api("GET", "/api/v1/board").then((state) => {
    board = state;
    renderSummary();
    renderConversations();
  }).catch(() => {}).finally(() => { boardLoading = null; });
  return boardLoading;
}

boardBody.addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-id]");
  if (row) window.location.assign("/#c" + row.dataset.id);
});
agentList.addEventListener("click", (event) => {
  const item = event.target.closest(".agent[data-id]");
  if (!item) return;
  const id = Number(item.dataset.id);
  onlyOperator = onlyOperator === id ? null : id;
  renderConversations();
});
agentList.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    event.target.closest(".agent[data-id]")?.click();
  }
});
filterButton.addEventListener("click", () => { onlyOperator = null; renderConversations(); });

// Events that arrive during a fetch are applied after it, in order (see workspace.js).
let pendingEvents = null;

async function loadAll() {
  pendingEvents = pendingEvents || [];
  try {
    await fetchAll();
  } finally {
    const pending = pendingEvents;
    pendingEvents = null;
    for (const event of pending) applyEvent(event);
    renderConversations();
  }
}

async function fetchAll() {
  const fresh = new Map();
  let before = null;
  for (let pages = 0; pages < 20; pages += 1) {
    const page = await api("GET", "/api/v1/conversations?status=open&assignee=any&limit=200"
      + (before ? "&before_id=" + before : ""));
    for (const c of items(page)) fresh.set(c.id, c);
    before = page && page.next_cursor;
    if (!before) break;
  }
  conversations.clear();
  for (const [id, c] of fresh) conversations.set(id, c);
}

function onEvent(event) {
  if (["conversation.changed", "message.created", "presence.changed", "call.changed", "queue.alert"].includes(event.kind)) {
    refreshBoard();
  }
  if (pendingEvents) pendingEvents.push(event);
  else if (applyEvent(event)) renderConversations();
}

// Returns whether the board needs drawing again.
function applyEvent(event) {
  const p = event.payload;
  if (event.kind === "conversation.changed") {
    conversations.set(p.conversation.id, p.conversation);
  } else if (event.kind === "message.created") {
    const c = conversations.get(p.conversation_id);
    if (!c) return false;
    const m = p.message;
    if (m.direction === "in" && !c.waiting_since) c.waiting_since = m.created_at;
    if (m.direction === "out") c.waiting_since = null;
    c.last_message = { direction: m.direction, text: (m.text || "").slice(0, 200) };
  } else if (event.kind === "queue.alert") {
    const c = conversations.get(p.conversation_id);
    if (!c) return false;
    c.wait_alerted_at = new Date().toISOString();
  } else if (event.kind === "presence.changed") {
    if (p.user_id === config.user.id) topbar.showPresence(p.presence);
    return false; // the operators' list comes with the board, fetched again on this event
  } else {
    return false;
  }
  return true;
}

const live = new LiveSocket({
  path: config.wsPath,
  presence: storedPresence(),
  onEvent,
  onHello: (hello, first) => {
    topbar.showPresence(hello.user.presence);
    if (first) loadAll().catch(() => {});
    loadBoard();
  },
  onResumed: (resumed) => {
    if (!resumed.complete) loadAll().catch(() => {});
    loadBoard();
  },
  onStatus: (status) => topbar.showStatus(status),
});
topbar.attach(live);
live.start();

// Waits grow without events: the rows every 30 s, the summary (targets, idle) every 15 s.
setInterval(renderConversations, 30000);
setInterval(() => refreshBoard(0), 15000);
