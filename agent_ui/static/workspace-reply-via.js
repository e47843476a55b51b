// Replying through another channel of the same client (#15, item 7): the reply box's
// «Отправить через» choice and the channel label every client message and reply carries.
//
// The choices come from GET /api/v1/conversations/{id}/reply-channels: the conversation's
// own channel first, then the client's other channels; one that cannot carry the reply is
// listed disabled with the reason, so the operator sees why Telegram is not offered.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";

function channelName(channel) {
  return channel.title || channel.name || channel.kind;
}

export class ReplyVia {
  constructor({ api, t, form, explain, toast }) {
    Object.assign(this, { api, t, explain, toast });
    this.conversationId = null;
    this.select = form.querySelector("#composer-via");
    this.box = this.select.closest(".composer-via");
    this.enabled = true;
    this.routes = [];
    // The client may have gained an address since the conversation was opened.
    this.select.addEventListener("focus", () => this.load(this.conversationId, true));
  }

  async load(conversationId, keepChoice = false) {
    if (conversationId === null) return;
    if (this.conversationId !== conversationId) {
      this.conversationId = conversationId;
      this.routes = [];
      this.draw("");
    }
    const chosen = keepChoice ? this.select.value : "";
    try {
      const answer = await this.api("GET", `/api/v1/conversations/${conversationId}/reply-channels`);
      if (this.conversationId !== conversationId) return;
      this.routes = items(answer);
      this.draw(chosen);
    } catch (error) {
      this.toast(this.explain(error));
    }
  }

  option(route) {
    const t = this.t;
    const name = channelName(route.channel);
    let label = route.own ? t("replyVia.own", { channel: name })
      : route.identity ? t("replyVia.to", { channel: name, address: route.identity.value }) : name;
    let reason = "";
    if (!route.available) {
      reason = route.reason === "unreachable" && route.reason_detail
        ? t("replyVia.reason.unreachableBecause", { detail: route.reason_detail })
        : t("replyVia.reason." + route.reason);
      label = t("replyVia.refused", { label, reason });
    }
    return el("option", { value: route.own ? "" : String(route.channel.id),
      disabled: !route.available, title: reason || null, dataset: { kind: route.channel.kind } }, label);
  }

  draw(chosen) {
    clear(this.select).append(...this.routes.map((route) => this.option(route)));
    const allowed = [...this.select.options].some((o) => o.value === chosen && !o.disabled);
    this.select.value = allowed ? chosen : "";
    this.show();
  }

  // Notes are never sent; a client reachable only here needs no choice.
  setEnabled(enabled) {
    this.enabled = enabled;
    this.show();
  }

  show() {
    this.box.hidden = !this.enabled || this.routes.length < 2;
  }

  // The channel id to send through, or null for the conversation's own.
  chosen() {
    return this.enabled && this.select.value ? Number(this.select.value) : null;
  }
}

// The channel a message went through: a reply sent elsewhere says so in meta.via; everything
// else of the client's and ours went through the conversation's own channel.
export function channelLabel(message, conversation, t) {
  if (message.direction !== "in" && message.direction !== "out") return null;
  const via = message.meta && message.meta.via;
  const channel = via && typeof via === "object" ? via : conversation && conversation.channel;
  if (!channel) return null;
  const name = channelName(channel);
  return el("span", { class: "msg-channel" + (via ? " msg-via" : ""), dataset: { kind: channel.kind },
    title: t("message.via", { channel: name }) }, name);
}
