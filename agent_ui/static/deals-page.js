// «Сделки»: the board of the chosen pipeline or the list of deals, one deal in the side
// panel (/deals/{id}), the «New deal» dialog, and `deal.changed` events from the live socket
// moving and redrawing cards without a reload.

import { ApiError, items, makeApi } from "./okno-api.js";
import { el, readConfig, translator } from "./okno-dom.js";
import { LiveSocket } from "./okno-live.js";
import { Topbar, storedPresence } from "./okno-topbar.js";
import { Board } from "./deals-board.js";
import { DealList } from "./deals-list.js";
import { DealPanel } from "./deals-panel.js";
import { NewDealForm, showFieldErrors } from "./deals-form.js";
import { makeMover } from "./deals-move.js";
import { planButton, quietDialogs } from "./tasks-plan.js";

const config = readConfig();
const t = translator(config.strings);
const api = makeApi(config.csrf);
const PIPELINE_KEY = "okno.deals.pipeline";

const toastNode = document.getElementById("toast");
function toast(message) {
  toastNode.textContent = message;
  toastNode.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}

const announcer = document.getElementById("deal-announcer");
function announce(message) {
  // Emptied first, so the same words said twice are still read out.
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = message; }, 30);
}

const state = { pipelines: [], pipeline: null, view: "board", search: "", loaded: false };
const people = new Map(); // user id -> {id, name}: whom a deal can be given to or filtered by
const me = { id: config.user.id, name: config.user.name };
people.set(me.id, me);
const users = {
  me: () => me,
  list: () => [...people.values()].sort((a, b) => a.name.localeCompare(b.name)),
};
function learnPeople(deals) {
  let added = false;
  for (const deal of deals) {
    if (deal.responsible && !people.has(deal.responsible.id)) {
      people.set(deal.responsible.id, { id: deal.responsible.id, name: deal.responsible.name });
      added = true;
    }
  }
  if (added) fillResponsibleFilters();
}

let customFields = [];
const nodes = {
  pipeline: document.getElementById("pipeline-select"),
  search: document.getElementById("deal-search"),
  responsible: document.getElementById("board-responsible"),
  boardView: document.getElementById("board"),
  listView: document.getElementById("list-view"),
  toggles: document.querySelectorAll("[data-view]"),
};

const board = new Board({
  root: nodes.boardView, t, announce,
  onOpen: (id) => openDeal(id),
  onMove: (id, stageId) => moveDeal(id, stageId),
  onMore: (stageId, cursor) => moreOf(stageId, cursor),
});
const list = new DealList({ api, t, locale: config.locale, onOpen: (id) => openDeal(id), toast });
const panel = new DealPanel({
  api, t, locale: config.locale, users, toast,
  customFields: () => customFields,
  pipelines: () => state.pipelines,
  onChanged: (deal) => showChanged(deal, "updated", null),
  onMove: (id, stageId) => moveDeal(id, stageId),
  onClose: (dealId) => {
    navigate(null);
    // Back to the card the deal was opened from, when it is on the board.
    if (dealId && state.view === "board") board.focusCard(dealId);
  },
});
const newDeal = new NewDealForm({
  api, t, users,
  fieldErrors: (form, error) => showFieldErrors(form, error, t, toast),
  onCreated: (deal) => {
    showChanged(deal, "created", null);
    toast(t("deals.created", { title: deal.title }));
    announce(t("deals.created", { title: deal.title }));
  },
});

const moveDeal = makeMover({
  api, t, board, panel, toast, announce,
  stageOf: (stageId) => stageOf(stageId),
  showChanged: (deal, change, fromStageId) => showChanged(deal, change, fromStageId),
});

function fillResponsibleFilters() {
  const options = [
    el("option", { value: "" }, t("deals.filter.anyone")),
    el("option", { value: String(me.id) }, t("deals.filter.mine")),
    ...users.list().filter((u) => u.id !== me.id).map((u) => el("option", { value: u.id }, u.name)),
  ];
  const kept = nodes.responsible.value;
  nodes.responsible.replaceChildren(...options);
  nodes.responsible.value = kept;
}

function shared() {
  return { search: state.search, responsible: nodes.responsible.value };
}

function stageOf(stageId) {
  for (const pipeline of state.pipelines) {
    const stage = pipeline.stages.find((s) => s.id === stageId);
    if (stage) return stage;
  }
  return null;
}

// Whether a deal belongs on the board as it is filtered now.
function matchesBoard(deal) {
  const responsible = nodes.responsible.value;
  if (responsible && (!deal.responsible || String(deal.responsible.id) !== responsible)) return false;
  const q = state.search.toLowerCase();
  return !q || String(deal.title).toLowerCase().startsWith(q);
}

function showChanged(deal, change, fromStageId) {
  learnPeople([deal]);
  if (state.loaded && state.pipeline) {
    if (matchesBoard(deal)) board.put(deal, { change, fromStageId });
    else board.remove(deal.id);
  }
  list.put(deal);
}

// Events that arrive while the board is being fetched are applied after it, in order.
let pendingEvents = null;

function onEvent(event) {
  if (event.kind === "presence.changed" && event.payload.user_id === me.id) {
    topbar.showPresence(event.payload.presence);
    return;
  }
  if (event.kind !== "deal.changed") return;
  if (pendingEvents) {
    pendingEvents.push(event);
    return;
  }
  applyEvent(event);
}

function applyEvent(event) {
  const p = event.payload;
  showChanged(p.deal, p.change, p.from_stage_id ?? null);
  panel.refresh(p.deal);
}

async function loadBoard() {
  if (!state.pipeline) return;
  pendingEvents = pendingEvents || [];
  try {
    const params = new URLSearchParams();
    if (nodes.responsible.value) params.set("responsible_id", nodes.responsible.value);
    if (state.search) params.set("q", state.search);
    const query = params.toString();
    const data = await api("GET", `/api/v1/pipelines/${state.pipeline.id}/board` + (query ? "?" + query : ""));
    board.load({ ...data, pipeline: { ...state.pipeline, ...(data.pipeline || {}) } });
    state.loaded = true;
    learnPeople(data.columns.flatMap((column) => column.deals || []));
  } finally {
    const pending = pendingEvents;
    pendingEvents = null;
    for (const event of pending) applyEvent(event);
  }
}

async function moreOf(stageId, cursor) {
  const params = new URLSearchParams({
    pipeline_id: state.pipeline.id, stage_id: stageId, sort: "stage_entered_at", order: "asc", limit: 50,
  });
  if (cursor) params.set("cursor", cursor);
  if (nodes.responsible.value) params.set("responsible_id", nodes.responsible.value);
  if (state.search) params.set("q", state.search);
  try {
    const data = await api("GET", "/api/v1/deals?" + params.toString());
    learnPeople(items(data));
    board.appendPage(stageId, items(data), data.next_cursor);
  } catch (error) {
    toast(t("error.generic", { message: error.message }));
  }
}

// The URL says which deal is open: /deals/{id}; the board's query (?pipeline=, ?view=) stays.
function navigate(dealId) {
  const path = dealId ? "/deals/" + dealId : "/deals";
  const url = path + location.search;
  if (location.pathname + location.search !== url) history.pushState({ dealId }, "", url);
}

function openDeal(dealId) {
  navigate(dealId);
  panel.open(dealId);
}

window.addEventListener("popstate", () => {
  const match = /^\/deals\/(\d+)$/.exec(location.pathname);
  if (match) panel.open(Number(match[1]));
  else if (panel.openId) {
    panel.root.hidden = true;
    panel.deal = null;
  }
});

function setQuery(name, value) {
  const params = new URLSearchParams(location.search);
  if (value) params.set(name, value);
  else params.delete(name);
  const query = params.toString();
  history.replaceState(history.state, "", location.pathname + (query ? "?" + query : ""));
}

function showView(view) {
  state.view = view;
  nodes.boardView.hidden = view !== "board";
  nodes.listView.hidden = view !== "list";
  for (const button of nodes.toggles) button.setAttribute("aria-pressed", String(button.dataset.view === view));
  setQuery("view", view === "list" ? "list" : null);
  if (view === "list") list.load(shared());
}

function choosePipeline(pipelineId) {
  state.pipeline = state.pipelines.find((p) => p.id === pipelineId) || state.pipelines[0] || null;
  if (!state.pipeline) return;
  nodes.pipeline.value = String(state.pipeline.id);
  localStorage.setItem(PIPELINE_KEY, String(state.pipeline.id));
  setQuery("pipeline", state.pipelines[0] && state.pipeline.id === state.pipelines[0].id ? null : String(state.pipeline.id));
  list.setPipeline(state.pipeline);
  loadBoard().catch((error) => toast(t("error.generic", { message: error.message })));
  if (state.view === "list") list.load(shared());
}

async function start() {
  const [pipelines, fields, everyone] = await Promise.all([
    api("GET", "/api/v1/pipelines"),
    api("GET", "/api/v1/custom-fields?entity=deal").catch(() => ({ items: [] })),
    config.supervisor ? api("GET", "/api/v1/users").catch(() => []) : Promise.resolve([]),
  ]);
  customFields = items(fields).sort((a, b) => (a.position || 0) - (b.position || 0));
  for (const user of items(everyone)) {
    if (user.is_active !== false) people.set(user.id, { id: user.id, name: user.name });
  }
  state.pipelines = items(pipelines).sort((a, b) => (a.position || 0) - (b.position || 0) || a.id - b.id);
  nodes.pipeline.replaceChildren(...state.pipelines.map((p) => el("option", { value: p.id }, p.name)));
  fillResponsibleFilters();
  const params = new URLSearchParams(location.search);
  if (params.get("view") === "list") state.view = "list";
  for (const button of nodes.toggles) button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
  nodes.boardView.hidden = state.view !== "board";
  nodes.listView.hidden = state.view !== "list";
  const wanted = Number(params.get("pipeline") || localStorage.getItem(PIPELINE_KEY));
  if (!state.pipelines.length) {
    nodes.boardView.replaceChildren(el("p", { class: "empty" }, t("deals.noPipelines")));
    return;
  }
  choosePipeline(state.pipelines.some((p) => p.id === wanted) ? wanted : state.pipelines[0].id);
  if (config.dealId) panel.open(config.dealId);
  if (params.get("new")) await openNewFromQuery(params);
}

// /deals?new=1&contact_id=…&conversation_id=…: «New deal» from a client card or a conversation.
// The conversation's client is shown in the form; the API fills in the rest from it.
async function openNewFromQuery(params) {
  let contact = null;
  const contactId = Number(params.get("contact_id"));
  const conversationId = Number(params.get("conversation_id")) || null;
  if (contactId) {
    const card = await api("GET", "/api/v1/contacts/" + contactId).catch(() => null);
    if (card) contact = { id: card.id, name: card.name };
  } else if (conversationId) {
    const conversation = await api("GET", "/api/v1/conversations/" + conversationId).catch(() => null);
    if (conversation && conversation.contact) {
      contact = { id: conversation.contact.id, name: conversation.contact.name || t("contact.noName") };
    }
  }
  newDeal.open(state.pipeline, { contact, conversationId });
  setQuery("new", null);
  setQuery("contact_id", null);
  setQuery("conversation_id", null);
}

nodes.pipeline.addEventListener("change", () => choosePipeline(Number(nodes.pipeline.value)));
for (const button of nodes.toggles) button.addEventListener("click", () => showView(button.dataset.view));
nodes.responsible.addEventListener("change", () => {
  loadBoard().catch(() => {});
  if (state.view === "list") list.load(shared());
});
let searchTimer = null;
nodes.search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    state.search = nodes.search.value.trim();
    loadBoard().catch(() => {});
    if (state.view === "list") list.load(shared());
  }, 250);
});
document.getElementById("deal-new").addEventListener("click", () => {
  if (state.pipeline) newDeal.open(state.pipeline);
});

// «Запланировать дело…» on the open deal: a call with its client, on this deal.
planButton(document.getElementById("deal-plan"), quietDialogs({ api, t, config, toast }), () => {
  const deal = panel.deal;
  if (!deal) return null;
  return { kind: "call", subject: t("tasks.dealFollowUp", { title: deal.title }),
    deal: { id: deal.id, name: deal.title }, contact: deal.contact, organisation: deal.organisation,
    note: t("tasks.fromDeal", { title: deal.title }) };
});

const topbar = new Topbar(t, toast);
const live = new LiveSocket({
  path: config.wsPath,
  presence: storedPresence(),
  onEvent,
  onHello: (hello, first) => {
    topbar.showPresence(hello.user.presence);
    if (first) {
      start().catch((error) => toast(t("error.generic", { message: error instanceof ApiError ? error.message : String(error) })));
    }
  },
  // Too much was missed to replay: the board is fetched again.
  onResumed: (resumed) => { if (!resumed.complete) loadBoard().catch(() => {}); },
  onStatus: (status) => topbar.showStatus(status),
});
topbar.attach(live);
live.start();
