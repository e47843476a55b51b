// The open conversation: its messages, the composer (reply or note) and Take/Close/Reopen.

import { items } from "./okno-api.js";
import { clear, el, formatTime } from "./okno-dom.js";
import { callDetails, callOf } from "./workspace-call-item.js";
import { ComposerFiles, attachmentList } from "./workspace-files.js";
import { ReplyVia, channelLabel } from "./workspace-reply-via.js";

// The answer to a POST carries the reply as created (delivery queued, no time); the outbox's
// message.updated (sent or failed, with its time) can arrive before that answer. A delivery
// state without a time never replaces one with a time: the later news stays shown.
function keepLaterDelivery(message, known) {
  const delivery = (m) => (m && m.meta && m.meta.delivery) || null;
  if (!known || !delivery(known) || !delivery(known).at) return message;
  if (delivery(message) && delivery(message).at) return message;
  return { ...message, meta: { ...(message.meta || {}), delivery: delivery(known) } };
}

export class ThreadView {
  constructor({ api, t, me, locale, toast, explain, onChanged, supervisor = false }) {
    Object.assign(this, { api, t, me, locale, toast, explain, onChanged, supervisor });
    this.conversationId = null;
    this.conversation = null;
    this.messageNodes = new Map(); // message id -> <li>
    this.messages = new Map(); // message id -> message (to redraw read marks)
    this.onShown = null; // set by the chat signals: a message is on screen
    this.pending = null; // live updates held back while the thread is being fetched
    this.root = document.getElementById("thread");
    this.placeholder = document.getElementById("thread-empty");
    this.list = document.getElementById("messages");
    this.title = document.getElementById("thread-title");
    this.meta = document.getElementById("thread-meta");
    this.buttons = {
      take: document.getElementById("btn-take"),
      close: document.getElementById("btn-close"),
      reopen: document.getElementById("btn-reopen"),
    };
    this.form = document.getElementById("composer");
    this.text = document.getElementById("composer-text");
    this.files = new ComposerFiles({ form: this.form, text: this.text, t: this.t, toast: this.toast });
    this.via = new ReplyVia({ api, t, form: this.form, explain, toast });
    this.buttons.take.addEventListener("click", () =>
      this.act("assign", { user_id: this.me.id }));
    this.buttons.close.addEventListener("click", () => this.act("close"));
    this.buttons.reopen.addEventListener("click", () => this.act("reopen"));
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.send(); }
    });
    for (const radio of this.form.querySelectorAll("input[name=mode]")) {
      radio.addEventListener("change", () => this.showMode());
    }
    this.showMode();
  }

  mode() {
    return this.form.querySelector("input[name=mode]:checked").value;
  }

  showMode() {
    const note = this.mode() === "note";
    this.form.classList.toggle("note-mode", note);
    this.text.placeholder = this.t(note ? "composer.notePlaceholder" : "composer.replyPlaceholder");
    this.files.setEnabled(!note);
    this.via.setEnabled(!note);
  }

  async open(id, known) {
    this.conversationId = id;
    this.messageNodes.clear();
    this.files.clear(); // pending files belong to the reply of the conversation left
    this.via.load(id);
    this.messages.clear();
    this.hideTyping();
    clear(this.list);
    this.placeholder.hidden = true;
    this.root.hidden = false;
    if (known) this.setConversation(known);
    const pending = [];
    this.pending = pending;
    try {
      let after = null;
      for (let pages = 0; pages < 20; pages += 1) {
        const page = await this.api("GET", `/api/v1/conversations/${id}/messages?limit=200`
          + (after ? "&after_id=" + after : ""));
        if (this.conversationId !== id) return;
        for (const message of items(page)) this.showMessage(message);
        after = page && page.next_cursor;
        if (!after) break;
      }
    } catch (error) {
      this.toast(this.explain(error));
    } finally {
      if (this.pending === pending) {
        this.pending = null;
        for (const message of pending) this.showMessage(message);
      }
    }
  }

  // A message found by search: scrolled into the middle of the thread and marked.
  reveal(messageId) {
    const node = this.messageNodes.get(messageId);
    if (!node) return;
    for (const old of this.list.querySelectorAll(".msg.found")) old.classList.remove("found");
    node.classList.add("found");
    node.scrollIntoView({ block: "center" });
  }

  setConversation(conversation) {
    const readBefore = this.conversation && this.conversation.id === conversation.id
      ? this.conversation.client_read_up_to : undefined;
    const first = !this.conversation || this.conversation.id !== conversation.id;
    this.conversation = conversation;
    if (readBefore !== undefined && readBefore !== conversation.client_read_up_to) this.redrawOutbound();
    // Messages drawn before the conversation was known lack its channel label.
    if (first) for (const message of this.messages.values()) this.showMessage(message);
    const t = this.t;
    this.title.textContent = conversation.contact.name || t("contact.noName");
    // «New deal» from here: the deals page pre-fills the client and links the conversation.
    document.getElementById("btn-new-deal").href = "/deals?new=1&conversation_id=" + conversation.id;
    const holder = conversation.assignee
      ? (conversation.assignee.id === this.me.id ? t("thread.assignedToYou")
        : t("thread.assignedTo", { name: conversation.assignee.name }))
      : t("thread.inQueue");
    const status = conversation.status === "closed" ? t("thread.closed") : holder;
    this.meta.textContent = (conversation.channel.title || conversation.channel.kind) + " · " + status;
    const open = conversation.status === "open";
    const mine = Boolean(conversation.assignee && conversation.assignee.id === this.me.id);
    // «Взять в работу»: a queued one for anybody; someone else's only for a supervisor
    // (an operator may not take what a colleague holds: hub/policy.py).
    this.buttons.take.hidden = !open || mine || (Boolean(conversation.assignee) && !this.supervisor);
    this.buttons.close.hidden = !open;
    this.buttons.reopen.hidden = open;
    this.root.dataset.status = conversation.status;
  }

  messageNode(message) {
    const t = this.t;
    const who = message.direction === "in" ? inboundAuthor(message, t)
      : message.direction === "note" ? t("message.noteBy", { name: message.author ? message.author.name : "" })
        : message.direction === "system" ? t("message.system")
          : (message.author ? message.author.name : t("message.operator"));
    const meta = el("div", { class: "msg-meta" },
      el("span", { class: "msg-author" }, who),
      channelLabel(message, this.conversation, t),
      el("time", { datetime: message.created_at }, formatTime(message.created_at, this.locale)),
      message.edited_at ? el("span", { class: "msg-edited" }, t("message.edited")) : null);
    const files = attachmentList(message, t);
    return el("li", { class: "msg msg-" + message.direction, dataset: { id: message.id } },
      meta, ccLine(message, t), callOf(message) ? callDetails(callOf(message), t) : el("div", { class: "msg-text" }, this.messageText(message)),
      formLines(message, this.conversation, t), files, this.deliveryNode(message));
  }

  // A visitor who only left their contacts (website chat) sent no text: say what they left.
  messageText(message) {
    const details = message.meta && message.meta.contact_details;
    if (message.text || !details || typeof details !== "object") return message.text || "";
    const parts = ["name", "phone", "email"].map((key) => details[key]).filter(Boolean);
    return this.t("message.contactDetails", { details: parts.join(", ") });
  }

  // The client has seen our replies up to this message id (website chat read state).
  setClientRead(upTo) {
    if (!this.conversation || (this.conversation.client_read_up_to || 0) >= upTo) return;
    this.conversation.client_read_up_to = upTo;
    this.redrawOutbound();
  }

  redrawOutbound() {
    for (const message of this.messages.values()) {
      if (message.direction === "out") this.showMessage(message);
    }
  }

  showTyping() {
    if (!this.typingLine) {
      this.typingLine = el("p", { class: "typing-line", role: "status" }, this.t("thread.typing"));
      this.list.after(this.typingLine);
    }
    this.typingLine.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), 5000);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    if (this.typingLine) this.typingLine.hidden = true;
  }

  deliveryNode(message) {
    if (message.direction !== "out") return null;
    const delivery = (message.meta && message.meta.delivery) || { status: "queued" };
    let status = ["queued", "sent", "failed"].includes(delivery.status) ? delivery.status : "queued";
    const readUpTo = (this.conversation && this.conversation.client_read_up_to) || 0;
    if (status !== "failed" && message.id <= readUpTo) status = "read";
    const text = status === "failed"
      ? this.t("delivery.failed", { reason: delivery.error || "?" })
      : this.t("delivery." + status);
    return el("div", { class: "msg-delivery", dataset: { status } }, text);
  }

  // A live (or just-posted) message: held back while the thread is loading.
  upsertMessage(message) {
    if (message.conversation_id !== this.conversationId) return;
    if (this.pending) this.pending.push(message);
    else this.showMessage(message);
  }

  showMessage(message) {
    if (message.conversation_id !== this.conversationId) return;
    message = keepLaterDelivery(message, this.messages.get(message.id));
    const node = this.messageNode(message);
    const old = this.messageNodes.get(message.id);
    this.messageNodes.set(message.id, node);
    this.messages.set(message.id, message);
    if (message.direction === "in") this.hideTyping();
    if (this.onShown) this.onShown(message);
    if (old) { old.replaceWith(node); return; }
    // Keep id order even when a late event arrives after a newer one.
    const next = [...this.list.children].find((child) => Number(child.dataset.id) > message.id);
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.insertBefore(node, next || null);
    if (atBottom || !next) this.list.scrollTop = this.list.scrollHeight;
  }

  async send() {
    const text = this.text.value;
    const reply = this.mode() === "reply";
    const attachments = reply ? this.files.ids() : [];
    if ((!text.trim() && !attachments.length) || this.conversationId === null) return;
    if (reply && this.files.busy()) { this.toast(this.t("composer.uploading")); return; }
    const id = this.conversationId;
    const body = { kind: this.mode(), text };
    if (attachments.length) body.attachments = attachments;
    const via = reply ? this.via.chosen() : null;
    if (via !== null) body.via_channel_id = via;
    this.form.classList.add("busy");
    try {
      const message = await this.api("POST", `/api/v1/conversations/${id}/messages`, body);
      this.text.value = "";
      if (reply) this.files.clear();
      this.upsertMessage(message);
    } catch (error) {
      this.toast(this.explain(error));
    } finally {
      this.form.classList.remove("busy");
    }
  }

  async act(action, body) {
    const id = this.conversationId;
    try {
      const conversation = await this.api("POST", `/api/v1/conversations/${id}/${action}`, body);
      this.onChanged(conversation);
    } catch (error) {
      this.toast(this.explain(error));
    }
  }
}

// An e-mail from someone other than the client who answered in his thread (a colleague,
// his personal mailbox): named with the address, so nobody takes it for the client.
function inboundAuthor(message, t) {
  const participant = message.meta && message.meta.participant;
  if (!participant || typeof participant !== "object") return t("message.client");
  return t("message.participant", { name: participant.name || "", address: participant.address || "" });
}

// The Cc recipients of an inbound e-mail, other than our own mailbox.
function ccLine(message, t) {
  const cc = message.meta && Array.isArray(message.meta.cc) ? message.meta.cc : [];
  if (!cc.length) return null;
  const people = cc.map((p) => (p.name ? `${p.name} <${p.address}>` : String(p.address || ""))).join(", ");
  return el("div", { class: "msg-cc" }, t("message.cc", { people }));
}

// How names compare (hub/models/crm.py search_key): case-folded, ё as е, spaces collapsed.
function nameKey(text) {
  return String(text || "").toLowerCase().replaceAll("ё", "е").split(/\s+/).filter(Boolean).join(" ");
}

// What a web-form visitor typed beyond the text (meta set by connectors/webform): the name
// they gave when it is not the client's (the phone may be a colleague's), the phone and
// e-mail as typed (one nobody could parse is still read here), and fields the site sent
// otherwise than the contract says, raw. Text nodes only: the visitor's input is never markup.
function formLines(message, conversation, t) {
  const meta = message.meta || {};
  if (message.direction !== "in" || !meta.form_contacts || typeof meta.form_contacts !== "object") return null;
  const lines = [];
  const name = typeof meta.visitor_name === "string" ? meta.visitor_name.trim() : "";
  const own = conversation && conversation.contact ? conversation.contact.name : "";
  if (name && nameKey(name) !== nameKey(own)) {
    lines.push(el("p", { class: "msg-introduced" }, t("message.introducedAs", { name })));
  }
  const typed = [];
  if (meta.form_contacts.phone) typed.push(t("message.formPhone", { phone: String(meta.form_contacts.phone) }));
  if (meta.form_contacts.email) typed.push(t("message.formEmail", { email: String(meta.form_contacts.email) }));
  if (typed.length) lines.push(el("p", { class: "msg-form-contacts" }, typed.join(" · ")));
  const quirks = meta.field_quirks && typeof meta.field_quirks === "object" ? Object.entries(meta.field_quirks) : [];
  if (quirks.length) {
    const fields = quirks.map(([field, quirk]) => `${field} «${String(quirk && quirk.raw)}»`).join(", ");
    lines.push(el("p", { class: "msg-form-quirks" }, t("message.formAsSent", { fields })));
  }
  return lines.length ? el("div", { class: "msg-form" }, lines) : null;
}
