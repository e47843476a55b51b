// The supervisor board: every open conversation with its holder and waiting time, and the
// team with presence and load, kept current over the live socket.

import { items, makeApi } from "./okno-api.js";
import { clear, el, formatWaiting, readConfig, translator } from "./okno-dom.js";
import { LiveSocket } from "./okno-live.js";
import { Topbar, storedPresence } from "./okno-topbar.js";

const config = readConfig();
const t = translator(config.strings);
const api = makeApi(config.csrf);
const conversations = new Map();
const agents = new Map();

const boardBody = document.getElementById("board-conversations");
const boardEmpty = document.getElementById("board-empty");
const agentList = document.getElementById("board-agents");
const topbar = new Topbar(t);

function waitingMs(conversation) {
  return conversation.waiting_since ? Date.now() - new Date(conversation.waiting_since).getTime() : -1;
}

function renderConversations() {
  const open = [...conversations.values()].filter((c) => c.status === "open")
    .sort((a, b) => waitingMs(b) - waitingMs(a) || a.id - b.id);
  clear(boardBody).append(...open.map((c) => el("tr", {
    dataset: { id: c.id },
    // Waiting in the queue past the team's limit: the router alerted the supervisors.
    class: c.wait_alerted_at && !c.assignee ? "alerted" : null,
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

function renderAgents() {
  const load = new Map();
  for (const c of conversations.values()) {
    if (c.status === "open" && c.assignee) load.set(c.assignee.id, (load.get(c.assignee.id) || 0) + 1);
  }
  const rows = [...agents.values()].filter((a) => a.is_active !== false)
    .sort((a, b) => a.name.localeCompare(b.name));
  clear(agentList).append(...rows.map((agent) => el("li", { class: "agent", dataset: { presence: agent.presence } },
    el("span", { class: "dot" }),
    el("span", { class: "agent-name" }, agent.name),
    el("span", { class: "agent-presence" }, t("presence." + agent.presence)),
    el("span", { class: "agent-load" }, t("board.openCount", {
      n: load.get(agent.id) || 0, max: agent.max_conversations || "?" })))));
}

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
  const users = await api("GET", "/api/v1/users");
  conversations.clear();
  for (const [id, c] of fresh) conversations.set(id, c);
  agents.clear();
  for (const user of items(users)) agents.set(user.id, user);
}

function onEvent(event) {
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
    const agent = agents.get(p.user_id);
    if (agent) agent.presence = p.presence;
    else loadAll().catch(() => {});
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
  },
  onResumed: (resumed) => { if (!resumed.complete) loadAll().catch(() => {}); },
  onStatus: (status) => topbar.showStatus(status),
});
topbar.attach(live);
live.start();

setInterval(renderConversations, 30000);
