// The operator's workspace: the live conversation list, the open conversation and the
// client card. Data comes from the REST API; changes arrive over the live socket.

import { ApiError, items, makeApi } from "./okno-api.js";
import { clear, el, formatTime, formatWaiting, readConfig, translator } from "./okno-dom.js";
import { LiveSocket } from "./okno-live.js";
import { Topbar, storedPresence } from "./okno-topbar.js";
import { ThreadView } from "./workspace-thread.js";
import { CardView } from "./workspace-card.js";
import { ChatSignals } from "./workspace-chat.js";
import { CallsView } from "./workspace-calls.js";

const config = readConfig();
const t = translator(config.strings);
const api = makeApi(config.csrf);
const me = config.user;

const state = {
  tab: "mine",
  conversations: new Map(), // id -> conversation_json
};

const listNode = document.getElementById("conversation-list");
const listEmpty = document.getElementById("list-empty");
const toastNode = document.getElementById("toast");

function toast(message) {
  toastNode.textContent = message;
  toastNode.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}

// Known refusals in the page's language; anything else with the server's own words.
const KNOWN_ERRORS = ["not-your-conversation", "already-closed", "already-open", "forbidden",
  "invalid-input"];

function explain(error) {
  if (error instanceof ApiError && error.status === 0) return t("error.network");
  if (error instanceof ApiError && KNOWN_ERRORS.includes(error.id)) return t("error." + error.id);
  return t("error.generic", { message: (error && error.message) || "?" });
}

const thread = new ThreadView({ api, t, me, locale: config.locale, toast, explain,
  onChanged: (conversation) => upsert(conversation) });
const calls = new CallsView({ api, t, me, locale: config.locale, toast, explain,
  openConversation: (id) => openConversation(id) });
const card = new CardView({ api, t, locale: config.locale, explain,
  onDial: (body, statusNode) => calls.dial(body, statusNode) });

function inTab(conversation, tab) {
  if (conversation.status !== "open") return false;
  if (tab === "mine") return Boolean(conversation.assignee && conversation.assignee.id === me.id);
  if (tab === "queue") return !conversation.assignee;
  return config.supervisor;
}

function sorted(tab) {
  return [...state.conversations.values()]
    .filter((c) => inTab(c, tab))
    .sort((a, b) => (b.last_message_at || "").localeCompare(a.last_message_at || "") || b.id - a.id);
}

function listItem(conversation) {
  const last = conversation.last_message;
  const preview = last ? (last.direction === "note" ? t("list.notePrefix") + " " : "") + last.text : "";
  const waiting = conversation.waiting_since
    ? el("span", { class: "waiting", title: t("list.waitingTitle") },
      formatWaiting(conversation.waiting_since, t))
    : null;
  const assignee = state.tab === "all"
    ? el("span", { class: "assignee" },
      conversation.assignee ? conversation.assignee.name : t("list.unassigned"))
    : null;
  const button = el("button", { type: "button", class: "conv-item", dataset: { id: conversation.id } },
    el("span", { class: "conv-top" },
      el("span", { class: "conv-name" }, conversation.contact.name || t("contact.noName")),
      el("time", { datetime: conversation.last_message_at }, formatTime(conversation.last_message_at, config.locale))),
    el("span", { class: "conv-sub" },
      el("span", { class: "channel-badge", dataset: { kind: conversation.channel.kind } },
        conversation.channel.title || conversation.channel.kind),
      waiting, assignee),
    el("span", { class: "conv-preview" }, preview));
  if (thread.conversationId === conversation.id) button.classList.add("active");
  button.addEventListener("click", () => openConversation(conversation.id));
  return el("li", {}, button);
}

function renderList() {
  const shown = sorted(state.tab);
  clear(listNode).append(...shown.map(listItem));
  listEmpty.textContent = t("list.empty." + state.tab);
  listEmpty.hidden = shown.length > 0;
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const active = tab.dataset.tab === state.tab;
    tab.classList.toggle("active", active);
    tab.setAttribute("aria-selected", active ? "true" : "false");
    const count = tab.querySelector(".count");
    if (count) count.textContent = String(sorted(tab.dataset.tab).length);
  }
}

function upsert(conversation) {
  state.conversations.set(conversation.id, conversation);
  if (thread.conversationId === conversation.id) thread.setConversation(conversation);
  renderList();
}

async function openConversation(id) {
  history.replaceState(null, "", "#c" + id);
  const known = state.conversations.get(id);
  thread.open(id, known);
  renderList();
  try {
    const detail = await api("GET", "/api/v1/conversations/" + id);
    if (thread.conversationId !== id) return;
    const { contact, ...conversation } = detail;
    conversation.contact = { id: contact.id, name: contact.name, status: contact.status };
    upsert(conversation);
    card.show(contact);
    // Opening a conversation offered to me accepts it, so it does not move on to a
    // colleague when the team's accept timeout runs out.
    if (conversation.assignee && conversation.assignee.id === me.id && conversation.offer_expires_at) {
      upsert(await api("POST", "/api/v1/conversations/" + id + "/accept"));
    }
    await card.loadRouting(id);
  } catch (error) {
    toast(explain(error));
  }
}

// Events that arrive while the list is being fetched are applied after it, in order, so
// the fetched snapshot never wipes out something newer.
let pendingEvents = null;

async function loadList() {
  pendingEvents = pendingEvents || [];
  const queries = config.supervisor ? ["any"] : ["me", "none"];
  const fresh = new Map();
  try {
    for (const assignee of queries) {
      let before = null;
      for (let pages = 0; pages < 10; pages += 1) {
        const page = await api("GET", "/api/v1/conversations?status=open&limit=200&assignee=" + assignee
          + (before ? "&before_id=" + before : ""));
        for (const conversation of items(page)) fresh.set(conversation.id, conversation);
        before = page && page.next_cursor;
        if (!before) break;
      }
    }
    state.conversations = fresh;
  } finally {
    const pending = pendingEvents;
    pendingEvents = null;
    for (const event of pending) applyEvent(event);
    renderList();
  }
}

function onMessageEvent(kind, payload) {
  const message = payload.message;
  const conversation = state.conversations.get(payload.conversation_id);
  if (conversation && kind === "message.created") {
    conversation.last_message = { direction: message.direction, text: (message.text || "").slice(0, 200) };
    if (message.direction === "in" || message.direction === "out") conversation.last_message_at = message.created_at;
    if (message.direction === "in" && !conversation.waiting_since) conversation.waiting_since = message.created_at;
    if (message.direction === "out") conversation.waiting_since = null;
    renderList();
  }
  if (thread.conversationId === payload.conversation_id) thread.upsertMessage(message);
}

function onEvent(event) {
  // Calls do not wait for the conversation list: a ringing phone cannot.
  if (event.kind === "call.ringing" || event.kind === "call.changed") calls.applyEvent(event.kind, event.payload);
  else if (pendingEvents) pendingEvents.push(event);
  else applyEvent(event);
}

function applyEvent(event) {
  const payload = event.payload;
  if (event.kind === "conversation.changed") upsert(payload.conversation);
  else if (event.kind === "message.created" || event.kind === "message.updated") onMessageEvent(event.kind, payload);
  else if (event.kind === "presence.changed" && payload.user_id === me.id) topbar.showPresence(payload.presence);
  else if (event.kind === "typing" || event.kind === "conversation.read") chat.onEvent(event);
}

const topbar = new Topbar(t, toast);

const live = new LiveSocket({
  path: config.wsPath,
  presence: storedPresence(),
  onEvent,
  onHello: (hello, first) => {
    if (!first) calls.beginReplay(); // the socket resumes: what it replays may be stale
    topbar.showPresence(hello.user.presence);
    if (first) loadList().catch((error) => toast(explain(error)));
  },
  onResumed: (resumed) => {
    calls.endReplay();
    // Too much happened while away to replay: start from a fresh list.
    if (!resumed.complete) loadList().catch((error) => toast(explain(error)));
  },
  onStatus: (status) => topbar.showStatus(status),
  onMessage: (message) => {
    if (message.type === "error") toast(t("error.generic", { message: message.message }));
  },
});

topbar.attach(live);
const chat = new ChatSignals({ live, thread });

for (const tab of document.querySelectorAll("[data-tab]")) {
  tab.addEventListener("click", () => { state.tab = tab.dataset.tab; renderList(); });
}

// Waiting times move on even when nothing happens.
setInterval(renderList, 30000);

live.start();
calls.restore();
const initial = /^#c(\d+)$/.exec(location.hash);
if (initial) openConversation(Number(initial[1]));
