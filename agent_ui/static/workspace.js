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
import { Views } from "./workspace-views.js";
import { TransferDialog } from "./workspace-transfer.js";
import { Attention, isUnread } from "./workspace-attention.js";
import { Keys } from "./workspace-keys.js";
import { TodayPanel } from "./workspace-today.js";
import { planningDialogs } from "./tasks-dialogs.js";
import { planButton } from "./tasks-plan.js";
import { TemplatePicker } from "./workspace-templates.js";
import { SearchPanel } from "./workspace-search.js";
import { Marks } from "./workspace-marks.js";
import { SavedViews } from "./workspace-saved-views.js";
import { Panes } from "./workspace-panes.js";
import { SlaCountdowns } from "./workspace-sla.js";

const config = readConfig();
const t = translator(config.strings);
const api = makeApi(config.csrf);
const me = config.user;

const state = {
  conversations: new Map(), // id -> conversation_json (the open ones, kept live)
};

const sla = new SlaCountdowns({ api, t, onChange: () => renderList() });

const listNode = document.getElementById("conversation-list");
const listEmpty = document.getElementById("list-empty");
const toastNode = document.getElementById("toast");
const panes = new Panes(document.querySelector(".workspace"));

function toast(message) {
  toastNode.textContent = message;
  toastNode.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}

// Every refusal in the page's language: by its id when the catalogs know it, a form's
// problems by their type, and otherwise a sentence naming the id (never the server's English).
function known(key, params) {
  const text = t(key, params);
  return text === key ? null : text;
}

function explainId(id, details) {
  if (id === "invalid-input" && Array.isArray(details)) {
    const problems = [...new Set(details.map((d) => known("fieldError." + d.type)).filter(Boolean))];
    if (problems.length) return problems.join(" ");
  }
  return known("error." + id) || t("error.unknown", { id: id || "?" });
}

function explain(error) {
  if (error instanceof ApiError && error.status === 0) return t("error.network");
  if (error instanceof ApiError) return explainId(error.id, error.details);
  return t("error.unknown", { id: (error && error.name) || "?" });
}

const thread = new ThreadView({ api, t, me, locale: config.locale, toast, explain,
  supervisor: config.supervisor, onChanged: (conversation) => upsert(conversation) });
const transfer = new TransferDialog({ api, t, me, supervisor: config.supervisor, toast, explain,
  onChanged: (conversation) => { upsert(conversation); card.loadRouting(conversation.id); } });
const views = new Views({ api, me, supervisor: config.supervisor, onChange: () => renderList(),
  onError: (error) => toast(explain(error)) });
const attention = new Attention({ t });
const marks = new Marks({ api, t, me, locale: config.locale, toast, explain,
  onChanged: (conversation) => upsert(conversation) });
const calls = new CallsView({ api, t, me, locale: config.locale, toast, explain,
  openConversation: (id) => openConversation(id) });
const card = new CardView({ api, t, locale: config.locale, explain,
  onDial: (body, statusNode) => calls.dial(body, statusNode) });

const planning = planningDialogs({ api, t, config, toast,
  onChanged: (activity, change) => {
    if (activity) toast(t("tasks.changed." + change, { subject: activity.subject }));
    today.loadSoon();
  } });
const today = new TodayPanel({ t, config, actions: planning.actions });
// «Перезвонить…»: a call tomorrow at 11:00 with the conversation's client, in two clicks.
planButton(document.getElementById("btn-callback"), planning, () => {
  const id = thread.conversationId;
  const conversation = state.conversations.get(id) || views.fetched.find((c) => c.id === id);
  if (!conversation) return null;
  const name = conversation.contact.name || t("contact.noName");
  return { kind: "call", subject: t("tasks.callBack", { name }), conversationId: id,
    contact: { id: conversation.contact.id, name }, note: t("tasks.fromConversation", { name }) };
});

function sorted(tab) {
  if (!views.isLive(tab)) return views.fetched;
  return [...state.conversations.values()]
    .filter((c) => views.holds(c, tab))
    .sort((a, b) => (b.last_message_at || "").localeCompare(a.last_message_at || "") || b.id - a.id);
}

function mine(conversation) {
  return Boolean(conversation && conversation.status === "open" && conversation.assignee
    && conversation.assignee.id === me.id);
}

function listItem(conversation) {
  const last = conversation.last_message;
  const preview = last ? (last.direction === "note" ? t("list.notePrefix") + " " : "") + last.text : "";
  const waiting = conversation.waiting_since
    ? el("span", { class: "waiting", title: t("list.waitingTitle") },
      formatWaiting(conversation.waiting_since, t))
    : null;
  const unread = isUnread(conversation) && conversation.status === "open";
  const assignee = views.tab !== "mine" && views.tab !== "queue"
    ? el("span", { class: "assignee" },
      conversation.assignee ? conversation.assignee.name : t("list.unassigned"))
    : null;
  const button = el("button", { type: "button", class: "conv-item", dataset: { id: conversation.id } },
    el("span", { class: "conv-top" },
      el("span", { class: "conv-name" }, conversation.contact.name || t("contact.noName")),
      unread ? el("span", { class: "unread-dot", role: "img", title: t("list.unread"),
        "aria-label": t("list.unread") }) : null,
      el("time", { datetime: conversation.last_message_at }, formatTime(conversation.last_message_at, config.locale))),
    el("span", { class: "conv-sub" },
      el("span", { class: "channel-badge", dataset: { kind: conversation.channel.kind } },
        conversation.channel.title || conversation.channel.kind),
      waiting, sla.badge(conversation), assignee,
      // Robots' flags standing on it (the reason is the badge, the robot in its title).
      (conversation.flags || []).map((flag) =>
        el("span", { class: "robot-flag", dataset: { kind: flag.kind }, title: flag.rule_name }, flag.label))),
    el("span", { class: "conv-preview" }, preview));
  if (thread.conversationId === conversation.id) button.classList.add("active");
  if (unread) button.classList.add("unread");
  button.addEventListener("click", () => openConversation(conversation.id));
  return el("li", {}, button);
}

function renderList() {
  const shown = sorted(views.tab);
  clear(listNode).append(...shown.map(listItem));
  listEmpty.textContent = t("list.empty." + views.tab);
  listEmpty.hidden = shown.length > 0;
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const active = tab.dataset.tab === views.tab;
    tab.classList.toggle("active", active);
    tab.setAttribute("aria-selected", active ? "true" : "false");
    const count = tab.querySelector(".count");
    const known = views.counts[tab.dataset.tab];
    if (count) count.textContent = String(known ?? (views.isLive(tab.dataset.tab) ? sorted(tab.dataset.tab).length : 0));
  }
  attention.showUnread([...state.conversations.values()].filter((c) => mine(c) && isUnread(c)).length);
}

// How many times each conversation was updated, so a slower read can tell it is stale.
const changes = new Map();

function upsert(conversation) {
  changes.set(conversation.id, (changes.get(conversation.id) || 0) + 1);
  // New work for me: it became mine now (not something the first list brought along).
  if (mine(conversation) && !mine(state.conversations.get(conversation.id)) && !loading) {
    attention.signal(t("notify.newWork", { name: conversation.contact.name || t("contact.noName") }),
      (conversation.last_message && conversation.last_message.text) || "", "conversation-" + conversation.id);
  }
  const before = state.conversations.get(conversation.id);
  state.conversations.set(conversation.id, conversation);
  sla.refresh([conversation.id]); // assigned, answered, closed: its clocks may have moved
  views.update(conversation);
  if (thread.conversationId === conversation.id) {
    thread.setConversation(conversation);
    transfer.show(conversation);
    marks.show(conversation);
    thread.meta.textContent += marks.describe(conversation) ? " · " + marks.describe(conversation) : "";
    // Routed again (taken, handed over, queued, closed): the card's history has a new line.
    if (before && routingKey(before) !== routingKey(conversation)) card.loadRouting(conversation.id);
  }
  views.refresh();
}

function routingKey(c) {
  return [c.status, c.assignee && c.assignee.id, c.queued_at, c.offer_expires_at].join("|");
}

// Next (+1) or previous (-1) conversation of the list shown, for the keyboard.
function move(step) {
  const ids = sorted(views.tab).map((c) => c.id);
  if (!ids.length) return;
  const at = ids.indexOf(thread.conversationId);
  const next = at < 0 ? (step > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, at + step));
  if (ids[next] !== thread.conversationId) openConversation(ids[next]);
  const button = listNode.querySelector(`.conv-item[data-id="${ids[next]}"]`);
  if (button) button.focus();
}

// `messageId`: a message to scroll to and mark (a search result), once the thread is loaded.
async function openConversation(id, messageId = null) {
  panes.forward("thread");
  // The entry's state is the pane's (workspace-panes.js): only the address changes.
  history.replaceState(history.state, "", "#c" + id + (messageId ? "m" + messageId : ""));
  const known = state.conversations.get(id) || views.fetched.find((c) => c.id === id);
  const opened = thread.open(id, known);
  if (messageId) opened.then(() => thread.reveal(messageId));
  if (known) { transfer.show(known); marks.show(known); }
  renderList();
  const changesBefore = changes.get(id) || 0;
  try {
    const detail = await api("GET", "/api/v1/conversations/" + id);
    if (thread.conversationId !== id) return;
    const { contact, ...conversation } = detail;
    conversation.contact = { id: contact.id, name: contact.name, status: contact.status };
    // An event or an action's answer that came while the detail was on its way is newer
    // than it (a reopen clicked at once): the detail must not take the conversation back.
    if ((changes.get(id) || 0) === changesBefore) upsert(conversation);
    card.show(contact);
    // Opening a conversation offered to me accepts it, so it does not move on to a
    // colleague when the team's accept timeout runs out.
    const current = state.conversations.get(id) || conversation;
    if (current.assignee && current.assignee.id === me.id && current.offer_expires_at) {
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
let loading = true; // the first list is being fetched: what it brings is not "new work"
const FIRST_PAGE = 50;

async function loadList() {
  pendingEvents = pendingEvents || [];
  const queries = config.supervisor ? ["any"] : ["me", "none"];
  const fresh = new Map();
  const first = loading;
  // The first list's first page of the tab shown (Мои, or Все for supervisors) is drawn as
  // soon as it comes: it is the top of that tab (the API's order is the list's), so the
  // screen fills after one request, and the further pages (and the queue) follow; events
  // stay held until the whole list is in.
  const drawFirstPage = (found) => {
    if (!first) return;
    state.conversations = new Map(found.map((conversation) => [conversation.id, conversation]));
    renderList();
    // For bench/workspace_paint.py: drawn, then on the screen (the frame after).
    performance.mark("okno:list-first-page-rendered");
    requestAnimationFrame(() => setTimeout(() => performance.mark("okno:list-first-page-painted"), 0));
  };
  // The page drawn first is a screen's worth and more (FIRST_PAGE), so it is served and drawn
  // sooner than one of 200; the rest come 200 at a time.
  const fetchAll = async (assignee, onFirstPage) => {
    const found = [];
    let before = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const limit = pages === 0 && onFirstPage && first ? FIRST_PAGE : 200;
      const page = await api("GET", "/api/v1/conversations?status=open&limit=" + limit + "&assignee=" + assignee
        + (before ? "&before_id=" + before : ""));
      found.push(...items(page));
      before = page && page.next_cursor;
      if (pages === 0 && onFirstPage && before) onFirstPage(found);
      if (!before) break;
    }
    return found;
  };
  try {
    // Mine and the queue at once (each one's pages in turn).
    const lists = await Promise.all(queries.map((query, at) => fetchAll(query, at === 0 ? drawFirstPage : null)));
    for (const found of lists) {
      for (const conversation of found) fresh.set(conversation.id, conversation);
    }
    state.conversations = fresh;
    sla.refresh([...fresh.keys()]);
  } finally {
    if (first) performance.mark("okno:list-fetched");
    const pending = pendingEvents || [];
    pendingEvents = null;
    for (const event of pending) applyEvent(event);
    loading = false;
    views.refresh(0);
    // The first list drawn, for bench/workspace_paint.py (Performance API marks).
    if (first) performance.mark("okno:list-rendered");
  }
}

function onMessageEvent(kind, payload) {
  const message = payload.message;
  const conversation = state.conversations.get(payload.conversation_id);
  if (conversation && kind === "message.created") {
    conversation.last_message = { id: message.id, direction: message.direction,
      text: (message.text || "").slice(0, 200) };
    if (message.direction === "in" || message.direction === "out") conversation.last_message_at = message.created_at;
    if (message.direction === "in" && !conversation.waiting_since) conversation.waiting_since = message.created_at;
    if (message.direction === "out") conversation.waiting_since = null;
    if (message.direction === "in" || message.direction === "out") sla.refresh([conversation.id]);
    if (message.direction === "in" && mine(conversation)) {
      attention.signal(conversation.contact.name || t("contact.noName"),
        t("notify.newMessage", { name: conversation.contact.name || t("contact.noName"),
          text: (message.text || "").slice(0, 120) }), "conversation-" + conversation.id);
    }
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
  else if (event.kind === "sla.breached") sla.refresh([payload.conversation_id]);
  else if (event.kind === "presence.changed" && payload.user_id === me.id) topbar.showPresence(payload.presence);
  else if (event.kind === "typing" || event.kind === "conversation.read") {
    const read = state.conversations.get(payload.conversation_id);
    if (event.kind === "conversation.read" && payload.by === "agent" && read) {
      read.agent_read_up_to = Math.max(read.agent_read_up_to || 0, payload.up_to);
      renderList();
    }
    chat.onEvent(event);
  }
}

const topbar = new Topbar(t, toast);

// The list is asked for at once (below), not after the socket's hello: the socket starts from
// the page's cursor, and its first hello already resumes from there (events meanwhile are
// held until the list is in, as ever).
const live = new LiveSocket({
  path: config.wsPath,
  presence: storedPresence(),
  cursor: config.cursor,
  onEvent,
  onHello: (hello) => {
    calls.beginReplay(); // the socket resumes: what it replays may be stale
    topbar.showPresence(hello.user.presence);
  },
  onResumed: (resumed) => {
    calls.endReplay();
    // Too much happened while away to replay: start from a fresh list.
    if (!resumed.complete) loadList().catch((error) => toast(explain(error)));
  },
  onStatus: (status) => topbar.showStatus(status),
  onMessage: (message) => {
    if (message.type === "error") toast(explainId(message.id));
  },
});

topbar.attach(live);
const chat = new ChatSignals({ live, thread });

for (const tab of document.querySelectorAll("[data-tab]")) {
  tab.addEventListener("click", () => views.select(tab.dataset.tab));
}
document.getElementById("channel-filter").addEventListener("change",
  (event) => views.setChannel(event.target.value));
const periodFilter = document.getElementById("period-filter");
periodFilter.addEventListener("change", () => views.setPeriod(periodFilter.value));
const tagFilter = document.getElementById("tag-filter");
tagFilter.addEventListener("change", () => views.setTag(tagFilter.value));
// The tag filter's choices: the tags there are (read again when it is opened).
async function loadTags() {
  const chosen = tagFilter.value;
  const listed = items(await api("GET", "/api/v1/tags"));
  clear(tagFilter).append(el("option", { value: "" }, t("tags.all")),
    ...listed.map((tag) => el("option", { value: tag.name }, tag.name)));
  tagFilter.value = listed.some((tag) => tag.name === chosen) ? chosen : "";
}
tagFilter.addEventListener("focus", () => loadTags().catch((error) => toast(explain(error))));
loadTags().catch((error) => toast(explain(error)));
const savedViews = new SavedViews({ api, t, toast, explain, views,
  apply: async ({ view = "mine", channel = "", tag = "", period = "" }) => {
    document.getElementById("channel-filter").value = channel;
    periodFilter.value = period;
    views.period = period;
    if (tag && ![...tagFilter.options].some((option) => option.value === tag)) {
      tagFilter.append(el("option", { value: tag }, tag));
    }
    tagFilter.value = tag;
    views.channel = channel;
    views.tag = tag;
    const tab = document.querySelector(`[data-tab="${CSS.escape(view)}"]`);
    views.select(tab ? view : "mine");
  } });
savedViews.load().catch((error) => toast(explain(error)));
new TemplatePicker({ api, t, thread, toast, explain });
new SearchPanel({ api, t, locale: config.locale, toast, explain,
  open: (id, messageId) => openConversation(id, messageId) });
new Keys({ thread, move });

// Waiting times move on even when nothing happens.
setInterval(renderList, 30000);

loadList().catch((error) => toast(explain(error)));
live.start();
calls.restore();
const initial = /^#c(\d+)(?:m(\d+))?$/.exec(location.hash);
if (initial) openConversation(Number(initial[1]), initial[2] ? Number(initial[2]) : null);
