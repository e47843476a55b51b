// Telephony in the workspace: the screen-pop when my phone rings (stacked, one per call),
// the on-call bar with its timer and transfer form, and click-to-call.
//
// A ringing event replayed after a reconnect may be about a call that has ended since: while
// the socket replays, pops are held back and shown only if the call is still ringing at the
// end (its end event in the replay, or the server's word, says otherwise).

import { ApiError, items } from "./okno-api.js";
import { renderCard } from "./client-card.js";
import { clear, el } from "./okno-dom.js";
import { duration } from "./workspace-call-item.js";
import { TransferForm } from "./workspace-call-transfer.js";

const CALL_ERRORS = ["no-extension", "no-phone-number", "call-ended", "call-not-live", "not-your-call",
  "pbx-not-connected", "pbx-error", "pbx-timeout", "attended-not-supported", "not-diallable",
  "no-such-channel"];
const DIALLING_SHOWN_MS = 30000;

export class CallsView {
  constructor({ api, t, me, locale, toast, explain, openConversation }) {
    Object.assign(this, { api, t, me, locale, toast, openConversation });
    this.fallback = explain;
    this.pops = new Map(); // call id -> pop element
    this.finished = new Set(); // ids of calls seen answered or ended
    this.held = null; // call.ringing payloads held back during a replay
    this.onCall = null; // { call, name, node, timer }
    this.stack = el("div", { class: "call-stack", id: "call-stack" });
    this.bar = el("div", { class: "on-call-bar", id: "on-call-bar", role: "region", hidden: true });
    document.body.append(this.stack, this.bar);
    this.transfer = new TransferForm({ api, t, explain: (error) => this.explain(error) });
  }

  explain(error) {
    if (error instanceof ApiError && CALL_ERRORS.includes(error.id)) {
      const reason = (error.details && error.details.reason) || error.message || "?";
      return this.t("error." + error.id, { reason });
    }
    if (error instanceof ApiError && error.id === "invalid-input") return this.t("call.invalidTarget");
    return this.fallback(error);
  }

  applyEvent(kind, payload) {
    if (kind === "call.ringing") this.ringing(payload);
    else if (kind === "call.changed") this.changed(payload.call, payload.change);
  }

  ringing(payload) {
    const call = payload.call;
    if (payload.user_id !== this.me.id || this.finished.has(call.id) || call.ended_at) return;
    if (this.held) this.held.set(call.id, payload);
    else this.pop(payload);
  }

  changed(call, change) {
    if (change !== "answered" && change !== "ended") return;
    this.finished.add(call.id);
    if (this.held) this.held.delete(call.id);
    this.unpop(call.id);
    const mine = call.answered_by && call.answered_by.user && call.answered_by.user.id === this.me.id;
    // Timed from when this page heard of the answer: the PBX's clock may differ from ours.
    const showing = this.onCall && this.onCall.call.id === call.id;
    if (change === "answered" && mine && !showing) this.showOnCall(call, Date.now());
    if (change === "ended" && this.onCall && this.onCall.call.id === call.id) this.hideOnCall();
  }

  // The socket reconnected and replays what it missed.
  beginReplay() {
    if (!this.held) this.held = new Map();
  }

  async endReplay() {
    const held = this.held || new Map();
    this.held = null;
    const shown = [...this.pops.keys(), ...(this.onCall ? [this.onCall.call.id] : [])];
    const check = new Set([...held.keys(), ...shown]);
    for (const id of check) {
      let call;
      try {
        call = await this.api("GET", "/api/v1/calls/" + id);
      } catch (error) {
        continue; // keep what we have; the next event corrects it
      }
      if (call.ended_at) this.changed(call, "ended");
      else if (call.answered_at) this.changed(call, "answered");
      else if (held.has(id) && !this.finished.has(id)) this.pop(held.get(id));
    }
  }

  // On page load: a call I am on already (the page was reloaded mid-call).
  async restore() {
    try {
      const page = await this.api("GET", "/api/v1/calls?limit=5&user_id=" + this.me.id);
      const live = items(page).find((call) => call.answered_at && !call.ended_at);
      if (live && !this.onCall) this.showOnCall(live, Date.parse(live.answered_at) || Date.now());
    } catch (error) {
      // The bar appears with the next call event.
    }
  }

  pop(payload) {
    const t = this.t;
    const call = payload.call;
    const card = payload.card;
    const number = call.client_number || call.caller || "";
    const titleId = "call-pop-title-" + call.id;
    const open = call.conversation_id
      ? el("button", { type: "button", class: "primary call-open" }, t("call.openClient")) : null;
    const hide = el("button", { type: "button", class: "call-hide" }, t("call.hide"));
    const node = el("section", { class: "call-pop", role: "alertdialog", "aria-labelledby": titleId,
      "aria-describedby": "call-pop-card-" + call.id, dataset: { callId: call.id } },
    el("header", { class: "call-pop-head" },
      el("h2", { id: titleId }, t("call.incoming"), el("span", { class: "call-number" }, " " + number)),
      call.queue ? el("span", { class: "call-queue" }, t("call.fromQueue", { queue: call.queue })) : null),
    el("div", { class: "call-card", id: "call-pop-card-" + call.id }, this.cardNodes(card)),
    el("div", { class: "call-pop-actions" }, open, hide));
    if (open) open.addEventListener("click", () => this.openConversation(call.conversation_id));
    hide.addEventListener("click", () => this.unpop(call.id));
    this.unpop(call.id);
    this.pops.set(call.id, node);
    this.stack.append(node);
    (open || hide).focus({ preventScroll: true });
  }

  // The client card as the workspace draws it, with what matters while the phone rings.
  cardNodes(card) {
    if (!card) return [el("p", { class: "call-client unknown" }, this.t("call.unknownNumber"))];
    return renderCard(card, { t: this.t, locale: this.locale, level: 3, hideEmpty: true,
      sections: ["organisations", "deals", "lastContacts"] });
  }

  unpop(id) {
    const node = this.pops.get(id);
    if (node) node.remove();
    this.pops.delete(id);
  }

  showOnCall(call, since) {
    const t = this.t;
    this.hideOnCall();
    const name = (call.contact && call.contact.name) || call.client_number || call.caller || "";
    const timer = el("span", { class: "call-timer", role: "timer" }, "0:00");
    const transfer = el("button", { type: "button", class: "call-transfer" }, t("call.transfer"));
    const status = el("span", { class: "call-status muted" }, t("call.hangUpOnPhone"));
    const form = el("div", { class: "transfer-host", hidden: true });
    const open = call.conversation_id
      ? el("button", { type: "button", class: "call-open" }, t("call.openClient")) : null;
    clear(this.bar).append(
      el("div", { class: "on-call-main" },
        el("strong", { class: "on-call-title" }, t("call.onCallWith", { name })), " ", timer, " ", status,
        el("span", { class: "on-call-actions" }, open, transfer)),
      form);
    this.bar.setAttribute("aria-label", t("call.onCallWith", { name }));
    this.bar.hidden = false;
    const tick = () => { timer.textContent = duration(Math.max(0, Date.now() - since) / 1000); };
    tick();
    this.onCall = { call, name, timer: setInterval(tick, 1000) };
    if (open) open.addEventListener("click", () => this.openConversation(call.conversation_id));
    transfer.addEventListener("click", async () => {
      transfer.disabled = true;
      const done = await this.transfer.open(call, form);
      transfer.disabled = false;
      if (!done || !this.onCall || this.onCall.call.id !== call.id) return;
      if (done.kind === "blind") {
        // The client is on the colleague's phone now: this operator's part is over.
        this.toast(t("call.transferred", { target: done.target }));
        this.hideOnCall();
      } else {
        status.textContent = t("call.consulting", { target: done.target });
      }
    });
  }

  hideOnCall() {
    if (!this.onCall) return;
    clearInterval(this.onCall.timer);
    this.onCall = null;
    clear(this.bar);
    this.bar.hidden = true;
  }

  // Click-to-call: the PBX rings my phone first, then dials the client from it.
  async dial(body, statusNode) {
    const show = (text, state) => {
      if (!statusNode) return;
      statusNode.textContent = text;
      statusNode.dataset.state = state;
      statusNode.hidden = false;
      clearTimeout(statusNode.hideTimer);
      statusNode.hideTimer = setTimeout(() => { statusNode.hidden = true; }, DIALLING_SHOWN_MS);
    };
    try {
      const placed = await this.api("POST", "/api/v1/calls", body);
      show(this.t("call.calling", { extension: placed.extension, number: placed.number }), "calling");
    } catch (error) {
      const message = this.explain(error);
      show(message, "error");
      this.toast(message);
    }
  }
}
