// «Перевести» from the conversation's header: pick a colleague (who is online and how loaded
// he is, «3 из 5») or a team, add a note, and hand the conversation over through
// POST /conversations/{id}/transfer. An operator may hand over only what he holds, a
// supervisor anything (hub/policy.py), so the button is shown accordingly.

import { clear, el } from "./okno-dom.js";

export class TransferDialog {
  constructor({ api, t, me, supervisor, toast, explain, onChanged }) {
    Object.assign(this, { api, t, me, supervisor, toast, explain, onChanged });
    this.dialog = document.getElementById("transfer-dialog");
    this.form = document.getElementById("transfer-form");
    this.people = document.getElementById("transfer-people");
    this.teams = document.getElementById("transfer-teams");
    this.note = document.getElementById("transfer-note");
    this.error = document.getElementById("transfer-error");
    this.button = document.getElementById("btn-transfer");
    this.conversation = null;
    this.button.addEventListener("click", () => this.open());
    document.getElementById("transfer-cancel").addEventListener("click", () => this.dialog.close());
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
  }

  // Called whenever the open conversation changes.
  show(conversation) {
    this.conversation = conversation;
    const mine = Boolean(conversation.assignee && conversation.assignee.id === this.me.id);
    this.button.hidden = conversation.status !== "open" || !(mine || this.supervisor);
  }

  async open() {
    if (!this.conversation) return;
    this.note.value = "";
    this.error.hidden = true;
    clear(this.people);
    clear(this.teams);
    this.dialog.showModal();
    try {
      const found = await this.api("GET", "/api/v1/workspace/colleagues");
      const holder = this.conversation.assignee && this.conversation.assignee.id;
      const people = found.people.filter((person) => person.id !== holder);
      this.people.append(...people.map((person) => this.option("user", person, this.personLabel(person))));
      if (!people.length) this.people.append(el("li", { class: "none" }, this.t("transfer.nobody")));
      this.teams.append(...found.teams.map((team) => this.option("team", team, null)));
      if (!found.teams.length) this.teams.append(el("li", { class: "none" }, this.t("transfer.noTeams")));
    } catch (error) {
      this.fail(this.explain(error));
    }
  }

  personLabel(person) {
    return el("span", { class: "pick-meta" },
      el("span", { class: "presence-dot", dataset: { presence: person.presence } }),
      this.t("transfer.presence." + person.presence) + " · "
        + this.t("transfer.load", { open: person.open_conversations, max: person.max_conversations }));
  }

  option(kind, target, meta) {
    const id = `transfer-${kind}-${target.id}`;
    const input = el("input", { type: "radio", name: "transfer-target", id,
      value: `${kind}:${target.id}`, dataset: { name: target.name } });
    return el("li", { class: "pick" }, input,
      el("label", { for: id }, el("span", { class: "pick-name" }, target.name), meta));
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  async submit() {
    const chosen = this.form.querySelector("input[name=transfer-target]:checked");
    if (!chosen) { this.fail(this.t("transfer.pick")); return; }
    const [kind, id] = chosen.value.split(":");
    const body = { note: this.note.value.trim() };
    body[kind === "user" ? "user_id" : "team_id"] = Number(id);
    try {
      const changed = await this.api("POST", `/api/v1/conversations/${this.conversation.id}/transfer`, body);
      this.dialog.close();
      this.toast(this.t("transfer.done", { name: chosen.dataset.name }));
      this.onChanged(changed);
    } catch (error) {
      this.fail(this.explain(error));
    }
  }
}
