// Canned answers in the reply box: «/» followed by words searches the templates by name and
// text; ↑/↓ choose, Enter or Tab puts the chosen one, its variables filled for this
// conversation by the server, in place of «/words»; Esc closes the list.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";

// «/words» ending at the caret, at the start of the text or after a space; no line break.
const TRIGGER = /(^|\s)\/([^\s/][^\n/]*|)$/u;

export class TemplatePicker {
  constructor({ api, t, thread, toast, explain }) {
    Object.assign(this, { api, t, thread, toast, explain });
    this.text = thread.text;
    this.list = el("ul", { id: "template-picker", class: "template-picker", role: "listbox",
      "aria-label": t("templates.title"), hidden: true });
    this.text.after(this.list);
    this.text.setAttribute("aria-autocomplete", "list");
    this.text.setAttribute("aria-controls", "template-picker");
    this.found = [];
    this.active = 0;
    this.request = 0; // answers to older searches are dropped
    this.timer = null;
    this.text.addEventListener("input", () => this.onInput());
    this.text.addEventListener("keydown", (event) => this.onKey(event));
    this.text.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  trigger() {
    const before = this.text.value.slice(0, this.text.selectionStart);
    const match = TRIGGER.exec(before);
    if (!match) return null;
    return { query: match[2], start: before.length - match[2].length - 1 };
  }

  onInput() {
    clearTimeout(this.timer);
    const trigger = this.trigger();
    if (!trigger) {
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.search(trigger.query), 120);
  }

  async search(query) {
    const request = ++this.request;
    try {
      const page = await this.api("GET", "/api/v1/templates?q=" + encodeURIComponent(query));
      if (request !== this.request || !this.trigger()) return;
      this.found = items(page);
      this.active = 0;
      this.draw();
    } catch (error) {
      this.toast(this.explain(error));
    }
  }

  draw() {
    clear(this.list);
    if (!this.found.length) {
      this.list.append(el("li", { class: "template-none" }, this.t("templates.none")));
    }
    this.found.forEach((template, index) => {
      const option = el("li", { role: "option", id: "template-option-" + template.id,
        "aria-selected": index === this.active ? "true" : "false", dataset: { id: template.id } },
      el("span", { class: "template-name" }, template.name),
      el("span", { class: "template-locale" }, template.locale.toUpperCase()),
      el("span", { class: "template-body" }, template.body));
      // mousedown, not click: the text box must keep the focus (and the caret).
      option.addEventListener("mousedown", (event) => { event.preventDefault(); this.choose(index); });
      this.list.append(option);
    });
    this.list.hidden = false;
    const active = this.found[this.active];
    if (active) this.text.setAttribute("aria-activedescendant", "template-option-" + active.id);
  }

  close() {
    this.request += 1;
    this.found = [];
    this.list.hidden = true;
    this.text.removeAttribute("aria-activedescendant");
  }

  onKey(event) {
    if (this.list.hidden) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves && this.found.length) {
      event.preventDefault();
      this.active = (this.active + moves[event.key] + this.found.length) % this.found.length;
      this.draw();
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && this.found.length) {
      event.preventDefault();
      event.stopImmediatePropagation();
      this.choose(this.active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // Esc here closes the list; it does not leave the text box
      this.close();
    }
  }

  async choose(index) {
    const template = this.found[index];
    const trigger = this.trigger();
    const conversationId = this.thread.conversationId;
    this.close();
    if (!template || !trigger || conversationId === null) return;
    try {
      const rendered = await this.api("POST", `/api/v1/templates/${template.id}/render`,
        { conversation_id: conversationId });
      if (this.thread.conversationId !== conversationId) return;
      const value = this.text.value;
      const end = trigger.start + 1 + trigger.query.length;
      this.text.value = value.slice(0, trigger.start) + rendered.text + value.slice(end);
      const caret = trigger.start + rendered.text.length;
      this.text.setSelectionRange(caret, caret);
      this.text.focus();
    } catch (error) {
      this.toast(this.explain(error));
    }
  }
}
