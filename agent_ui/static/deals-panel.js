// One deal in the side panel (/deals/{id}): its fields, edited and saved with the version
// it was read at (a stale version is a 409: the panel shows the current deal and says so),
// its stage history with the time spent in each stage, and links to the client, the
// organisation and the conversations.

import { clear, el } from "./okno-dom.js";
import { formatDateTime, formatDuration, formatMoney, links, orderedStages } from "./deals-format.js";
import { picker, responsibleOptions, showFieldErrors } from "./deals-form.js";

const CURRENCIES = ["RUB", "USD", "EUR", "CNY"];

function field(label, control) {
  return el("label", { class: "field" }, el("span", { class: "field-label" }, label), control);
}

// A picker holds buttons: it is labelled by a heading-like span, not wrapped in a <label>.
function pickerField(label, pick) {
  return el("div", { class: "field" }, el("span", { class: "field-label" }, label), pick.node);
}

function customControl(definition, value) {
  const name = "cf." + definition.key;
  if (definition.kind === "flag") return el("input", { type: "checkbox", name, checked: Boolean(value) });
  if (definition.kind === "list" || definition.kind === "multilist") {
    const multiple = definition.kind === "multilist";
    const chosen = new Set(multiple ? value || [] : [value]);
    return el("select", { name, multiple },
      multiple ? null : el("option", { value: "" }, "—"),
      (definition.options || []).map((option) => el("option", { value: option, selected: chosen.has(option) }, option)));
  }
  const type = { date: "date", number: "text", money: "text", link: "url" }[definition.kind] || "text";
  return el("input", { type, name, value: value ?? "", inputmode: definition.kind === "number" || definition.kind === "money" ? "decimal" : null });
}

function customValue(control, definition) {
  if (definition.kind === "flag") return control.checked;
  if (definition.kind === "multilist") return [...control.selectedOptions].map((o) => o.value);
  const text = control.value.trim();
  return text === "" ? null : text;
}

// "telegram" -> «Telegram», "manual" -> «вручную»: a deal's source in the page's words.
function sourceText(source, t) {
  for (const key of ["dealSource." + source, "channelKind." + source]) {
    const text = t(key);
    if (text !== key) return text;
  }
  return source;
}

export class DealPanel {
  constructor({ api, t, locale, users, customFields, pipelines, onChanged, onMove, onClose, toast }) {
    Object.assign(this, { api, t, locale, users, customFields, pipelines, onChanged, onMove, onClose, toast });
    this.root = document.getElementById("deal-panel");
    this.body = document.getElementById("deal-panel-body");
    this.deal = null;
    this.dirty = false;
    document.getElementById("deal-panel-close").addEventListener("click", () => this.close());
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.target.closest(".move-menu")) this.close();
    });
  }

  get openId() {
    return this.deal && !this.root.hidden ? this.deal.id : null;
  }

  async open(dealId) {
    this.root.hidden = false;
    this.dirty = false;
    clear(this.body).append(el("p", { class: "muted" }, this.t("deals.loading")));
    try {
      this.show(await this.api("GET", "/api/v1/deals/" + dealId));
    } catch (error) {
      clear(this.body).append(el("p", { class: "form-error" },
        error.status === 404 ? this.t("deals.notFound") : this.t("error.generic", { message: error.message })));
    }
    document.getElementById("deal-panel-title").focus();
  }

  close() {
    const dealId = this.deal ? this.deal.id : null;
    this.root.hidden = true;
    this.deal = null;
    this.onClose(dealId);
  }

  // A live change of the deal shown: fetched again unless the user is editing it.
  async refresh(card) {
    if (this.openId !== card.id || (this.deal && card.version <= this.deal.version)) return;
    if (this.dirty) {
      this.notice(this.t("deals.changedElsewhere"));
      return;
    }
    try {
      this.show(await this.api("GET", "/api/v1/deals/" + card.id));
    } catch (error) { /* the next event or a reopen shows it */ }
  }

  notice(text) {
    const node = this.body.querySelector(".panel-notice");
    if (node) node.textContent = text;
  }

  show(deal) {
    const t = this.t;
    this.deal = deal;
    this.dirty = false;
    document.getElementById("deal-panel-title").textContent = deal.title;
    const pipeline = this.pipelines().find((p) => p.id === deal.pipeline_id);
    const stages = pipeline ? orderedStages(pipeline.stages) : [];
    const stage = stages.find((s) => s.id === deal.stage_id);
    const stageSelect = el("select", { name: "stage_id", id: "deal-stage" },
      stages.map((s) => el("option", { value: s.id, selected: s.id === deal.stage_id }, s.name)));
    stageSelect.addEventListener("change", async () => {
      const target = Number(stageSelect.value);
      const moved = await this.onMove(deal.id, target);
      if (!moved) stageSelect.value = String(this.deal.stage_id);
    });
    const currency = el("select", { name: "currency" },
      [...new Set([deal.currency || "RUB", ...CURRENCIES])].map((c) => el("option", { value: c, selected: c === deal.currency }, c)));
    const responsible = el("select", { name: "responsible_id" },
      responsibleOptions(this.users.list(), deal.responsible, t));
    responsible.value = deal.responsible ? String(deal.responsible.id) : "";
    this.contact = picker({ api: this.api, t, kind: "contact", value: deal.contact, id: "deal-contact" });
    this.organisation = picker({ api: this.api, t, kind: "organisation", value: deal.organisation, id: "deal-organisation" });
    // el() skips the parts a deal has not got (null) and flattens the custom fields' list.
    const form = el("form", { class: "deal-form", id: "deal-form", novalidate: true },
      el("p", { class: "panel-notice", role: "status" }),
      field(t("deals.field.stage"), stageSelect),
      deal.loss_reason ? el("p", { class: "loss-reason" }, t("deals.lossReason", { reason: deal.loss_reason })) : null,
      field(t("deals.field.title"), el("input", { name: "title", value: deal.title, required: true, maxlength: "300" })),
      el("div", { class: "field-row" },
        field(t("deals.field.amount"), el("input", { name: "amount", value: deal.amount, inputmode: "decimal" })),
        field(t("deals.field.currency"), currency)),
      pickerField(t("deals.field.contact"), this.contact),
      pickerField(t("deals.field.organisation"), this.organisation),
      field(t("deals.field.responsible"), responsible),
      field(t("deals.field.expectedClose"), el("input", { type: "date", name: "expected_close_on", value: deal.expected_close_on || "" })),
      el("div", { class: "field-row deal-payment" },
        field(t("deals.field.paymentDue"), el("input", { type: "date", name: "payment_due_on", value: deal.payment_due_on || "" })),
        el("label", { class: "field deal-paid" }, el("span", { class: "field-label" }, t("deals.field.paid")),
          el("span", {}, el("input", { type: "checkbox", name: "paid", checked: Boolean(deal.paid_at) }),
            " ", deal.paid_at ? formatDateTime(deal.paid_at, this.locale) : t("deals.notPaid")))),
      this.customFields().map((definition) => field(definition.label,
        customControl(definition, (deal.custom_fields || {})[definition.key]))),
      el("div", { class: "form-actions" },
        el("button", { type: "submit", class: "primary", id: "deal-save" }, t("deals.save"))));
    form.addEventListener("input", () => { this.dirty = true; });
    form.addEventListener("change", (event) => { if (event.target !== stageSelect) this.dirty = true; });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save(form);
    });
    clear(this.body).append(
      el("p", { class: "deal-summary" },
        el("span", { class: "deal-stage-name", dataset: { outcome: stage ? stage.outcome : "open" } }, stage ? stage.name : ""),
        el("span", { class: "deal-amount" }, formatMoney(deal.amount, deal.currency))),
      form,
      this.linksSection(deal),
      this.historySection(deal),
      el("p", { class: "muted deal-dates" },
        t("deals.createdAt", { when: formatDateTime(deal.created_at, this.locale) }),
        deal.closed_at ? " · " + t("deals.closedAt", { when: formatDateTime(deal.closed_at, this.locale) }) : "",
        deal.source ? " · " + t("deals.source", { source: sourceText(deal.source, t) }) : ""));
  }

  linksSection(deal) {
    const t = this.t;
    const rows = [];
    if (deal.contact) rows.push(el("li", {}, el("a", { href: links.contact(deal.contact.id), class: "deal-link-contact" }, deal.contact.name)));
    if (deal.organisation) rows.push(el("li", {}, el("a", { href: links.organisation(deal.organisation.id), class: "deal-link-organisation" }, deal.organisation.name)));
    for (const conversation of deal.conversations || []) {
      const id = typeof conversation === "object" ? conversation.id : conversation;
      rows.push(el("li", {}, el("a", { href: links.conversation(id), class: "deal-link-conversation" }, t("deals.conversation", { id }))));
    }
    return el("section", { class: "deal-links" }, el("h3", {}, t("deals.links")),
      rows.length ? el("ul", {}, rows) : el("p", { class: "muted" }, t("card.none")));
  }

  historySection(deal) {
    const t = this.t;
    const history = [...(deal.history || [])];
    return el("section", { class: "deal-history-section" }, el("h3", {}, t("deals.history")),
      el("ol", { class: "deal-history", id: "deal-history" }, history.map((step) => el("li", {
        class: "history-step", dataset: { stageId: step.stage ? step.stage.id : "", current: step.left_at ? "" : "yes" },
      },
      el("span", { class: "history-stage" }, step.stage ? step.stage.name : ""),
      el("span", { class: "history-time" }, step.left_at
        ? formatDuration(step.seconds, t)
        : t("deals.historyNow", { time: formatDuration(step.seconds, t) })),
      el("span", { class: "history-when muted" }, formatDateTime(step.entered_at, this.locale)),
      el("span", { class: "history-by muted" }, step.by ? step.by.name : step.actor || "")))));
  }

  changes(form) {
    const deal = this.deal;
    const f = form.elements;
    const body = {};
    const title = f.title.value.trim();
    if (title !== deal.title) body.title = title;
    const amount = f.amount.value.trim().replace(/\s/g, "").replace(",", ".");
    if (amount !== String(deal.amount)) body.amount = amount || "0";
    if (f.currency.value !== deal.currency) body.currency = f.currency.value;
    const responsible = f.responsible_id.value ? Number(f.responsible_id.value) : null;
    if (responsible !== (deal.responsible ? deal.responsible.id : null)) body.responsible_id = responsible;
    const close = f.expected_close_on.value || null;
    if (close !== (deal.expected_close_on || null)) body.expected_close_on = close;
    const payBy = f.payment_due_on.value || null;
    if (payBy !== (deal.payment_due_on || null)) body.payment_due_on = payBy;
    // Marking paid sends the mark, not a moment: the hub records when (and keeps it).
    if (f.paid.checked !== Boolean(deal.paid_at)) body.paid = f.paid.checked;
    if (this.contact.value() !== (deal.contact ? deal.contact.id : null)) body.contact_id = this.contact.value();
    if (this.organisation.value() !== (deal.organisation ? deal.organisation.id : null)) body.organisation_id = this.organisation.value();
    const custom = {};
    for (const definition of this.customFields()) {
      const control = f["cf." + definition.key];
      if (!control) continue;
      const value = customValue(control, definition);
      const before = (deal.custom_fields || {})[definition.key] ?? null;
      if (JSON.stringify(value) !== JSON.stringify(before)) custom[definition.key] = value;
    }
    if (Object.keys(custom).length) body.custom_fields = custom;
    return body;
  }

  async save(form) {
    const body = this.changes(form);
    if (!Object.keys(body).length) {
      this.notice(this.t("deals.nothingChanged"));
      return;
    }
    body.version = this.deal.version;
    const button = form.querySelector("#deal-save");
    button.disabled = true;
    try {
      const deal = await this.api("PATCH", "/api/v1/deals/" + this.deal.id, body);
      this.show(deal);
      this.notice(this.t("deals.saved"));
      this.onChanged(deal);
    } catch (error) {
      if (error.status === 409 && error.id === "stale-version") {
        const current = error.details && error.details.current;
        const fresh = current && current.history ? current : await this.api("GET", "/api/v1/deals/" + this.deal.id);
        this.show(fresh);
        this.onChanged(fresh);
        this.notice(this.t("deals.staleEdit"));
        this.toast(this.t("deals.staleEdit"));
      } else {
        showFieldErrors(form, error, this.t, this.toast);
      }
    } finally {
      button.disabled = false;
    }
  }
}
