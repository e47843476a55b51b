// Forms of the deals pages: the client / organisation picker, the «New deal» dialog and the
// loss-reason question asked before a deal goes to a lost stage.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import { orderedStages } from "./deals-format.js";

const PICKER_PATHS = { contact: "/api/v1/contacts", organisation: "/api/v1/organisations", deal: "/api/v1/deals" };
const PICKER_HINTS = { contact: "deals.pickContact", organisation: "deals.pickOrganisation", deal: "tasks.pickDeal" };
const SEARCH_DELAY_MS = 200;

// A search box that picks one contact, organisation or deal: value() is its id or null.
export function picker({ api, t, kind, value = null, id = null }) {
  let chosen = value;
  let timer = null;
  let asked = 0;
  const input = el("input", {
    type: "search", id, class: "picker-input", autocomplete: "off",
    placeholder: t(PICKER_HINTS[kind]),
  });
  const results = el("ul", { class: "picker-results", role: "listbox", hidden: true });
  const chip = el("span", { class: "picker-chip" });
  const node = el("div", { class: "picker", dataset: { kind } }, chip, input, results);

  const showChosen = () => {
    clear(chip);
    if (!chosen) {
      chip.hidden = true;
      input.hidden = false;
      return;
    }
    chip.hidden = false;
    input.hidden = true;
    chip.append(el("span", { class: "picker-name" }, chosen.name),
      el("button", { type: "button", class: "picker-clear link-button", "aria-label": t("deals.clearChoice", { name: chosen.name }) }, "×"));
    chip.querySelector(".picker-clear").addEventListener("click", () => {
      chosen = null;
      showChosen();
      node.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    });
  };

  const search = async () => {
    const q = input.value.trim();
    const ticket = ++asked;
    if (!q) {
      results.hidden = true;
      return;
    }
    let found = [];
    try {
      found = items(await api("GET", PICKER_PATHS[kind] + "?limit=8&q=" + encodeURIComponent(q)));
    } catch (error) {
      found = [];
    }
    if (ticket !== asked) return;
    clear(results);
    results.append(...found.map((row) => el("li", { role: "option" },
      el("button", { type: "button", class: "picker-option", dataset: { id: row.id } }, row.name || row.title))));
    if (!found.length) results.append(el("li", { class: "muted" }, t("deals.nothingFound")));
    results.hidden = false;
    for (const button of results.querySelectorAll(".picker-option")) {
      button.addEventListener("click", () => {
        chosen = { id: Number(button.dataset.id), name: button.textContent };
        results.hidden = true;
        input.value = "";
        showChosen();
        node.dispatchEvent(new Event("change", { bubbles: true }));
      });
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, SEARCH_DELAY_MS);
  });
  showChosen();
  return { node, value: () => (chosen ? chosen.id : null), ref: () => chosen };
}

// Users to choose a responsible manager from, as <option>s; `current` first if unknown.
export function responsibleOptions(users, current, t, { anyLabel = null } = {}) {
  const options = [];
  if (anyLabel) options.push(el("option", { value: "" }, anyLabel));
  else options.push(el("option", { value: "" }, t("deals.noResponsible")));
  const seen = new Set();
  for (const user of [...(current ? [current] : []), ...users]) {
    if (!user || seen.has(user.id)) continue;
    seen.add(user.id);
    options.push(el("option", { value: user.id }, user.name));
  }
  return options;
}

// Asks why the deal was lost; resolves to the reason, or null when the user gives up.
export function askLossReason(title) {
  const dialog = document.getElementById("loss-dialog");
  const form = dialog.querySelector("form");
  const reason = dialog.querySelector("#loss-reason");
  dialog.querySelector("#loss-deal").textContent = title || "";
  reason.value = "";
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        reason.focus();
        return;
      }
      done(text);
    };
    const onClose = () => done(null);
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("close", onClose);
    dialog.querySelector("[data-cancel]").onclick = () => done(null);
    dialog.showModal();
    reason.focus();
  });
}

// The «New deal» dialog of the page's template, filled for the pipeline on the board.
export class NewDealForm {
  constructor({ api, t, users, onCreated, fieldErrors }) {
    this.api = api;
    this.t = t;
    this.users = users;
    this.onCreated = onCreated;
    this.fieldErrors = fieldErrors;
    this.dialog = document.getElementById("deal-new-dialog");
    this.form = this.dialog.querySelector("form");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.dialog.querySelector("[data-cancel]").addEventListener("click", () => this.dialog.close());
  }

  open(pipeline, { conversationId = null, contact = null, organisation = null } = {}) {
    this.pipeline = pipeline;
    this.conversationId = conversationId;
    this.form.reset();
    for (const node of this.form.querySelectorAll(".field-error")) node.remove();
    const stage = this.form.elements.stage_id;
    clear(stage).append(...orderedStages(pipeline.stages).filter((s) => s.outcome === "open")
      .map((s) => el("option", { value: s.id }, s.name)));
    const me = this.users.me();
    clear(this.form.elements.responsible_id).append(...responsibleOptions(this.users.list(), me, this.t));
    this.form.elements.responsible_id.value = String(me.id);
    this.contact = picker({ api: this.api, t: this.t, kind: "contact", value: contact, id: "new-contact" });
    this.organisation = picker({ api: this.api, t: this.t, kind: "organisation", value: organisation, id: "new-organisation" });
    const from = this.dialog.querySelector("#new-from-conversation");
    from.textContent = conversationId ? this.t("deals.fromConversation", { id: conversationId }) : "";
    from.hidden = !conversationId;
    this.dialog.querySelector("#new-contact-slot").replaceChildren(this.contact.node);
    this.dialog.querySelector("#new-organisation-slot").replaceChildren(this.organisation.node);
    this.dialog.showModal();
    this.form.elements.title.focus();
  }

  async submit() {
    const f = this.form.elements;
    const body = {
      title: f.title.value.trim(),
      pipeline_id: this.pipeline.id,
      stage_id: Number(f.stage_id.value),
      currency: f.currency.value || "RUB",
    };
    if (f.amount.value.trim()) body.amount = f.amount.value.trim().replace(/\s/g, "").replace(",", ".");
    if (f.responsible_id.value) body.responsible_id = Number(f.responsible_id.value);
    if (f.expected_close_on.value) body.expected_close_on = f.expected_close_on.value;
    if (this.contact.value()) body.contact_id = this.contact.value();
    if (this.organisation.value()) body.organisation_id = this.organisation.value();
    if (this.conversationId) body.conversation_id = this.conversationId;
    const button = this.form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const deal = await this.api("POST", "/api/v1/deals", body);
      this.dialog.close();
      this.onCreated(deal);
    } catch (error) {
      this.fieldErrors(this.form, error);
    } finally {
      button.disabled = false;
    }
  }
}

// Per-field errors of a refused write next to their inputs; the rest as one message.
export function showFieldErrors(form, error, t, toast) {
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  const details = Array.isArray(error && error.details) ? error.details : [];
  const unplaced = [];
  for (const detail of details) {
    const name = String(detail.field || "").split(".")[0];
    const input = name && form.elements[name];
    const anchor = input && (input.closest ? input.closest("label, .field") : null);
    if (anchor) {
      anchor.append(el("span", { class: "field-error", role: "alert" }, detail.message || detail.type || ""));
    } else {
      unplaced.push(detail.message || detail.type || "");
    }
  }
  if (!details.length || unplaced.length) {
    const text = unplaced.length ? unplaced.join("; ") : (error && error.message) || "";
    toast(error && error.status === 0 ? t("error.network") : t("error.generic", { message: text }));
  }
}
