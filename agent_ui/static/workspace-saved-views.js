// Saved views: the list's tab, channel, tag and period kept under a name by their owner. Choosing
// one applies it; «Сохранить вид» names what the list shows now; «Удалить» removes the chosen.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";

export class SavedViews {
  constructor({ api, t, toast, explain, views, apply }) {
    Object.assign(this, { api, t, toast, explain, views, apply });
    this.select = document.getElementById("saved-views");
    this.remove = document.getElementById("btn-delete-view");
    this.dialog = document.getElementById("save-view-dialog");
    this.name = document.getElementById("save-view-name");
    this.saved = [];
    this.select.addEventListener("change", () => this.choose());
    document.getElementById("btn-save-view").addEventListener("click", () => {
      this.name.value = "";
      this.dialog.showModal();
    });
    document.getElementById("save-view-cancel").addEventListener("click", () => this.dialog.close());
    document.getElementById("save-view-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.remove.addEventListener("click", () => this.deleteChosen());
  }

  async load(chosen = "") {
    this.saved = items(await this.api("GET", "/api/v1/saved-views"));
    clear(this.select).append(el("option", { value: "" }, this.t("savedViews.choose")),
      ...this.saved.map((view) => el("option", { value: view.id }, view.name)));
    this.select.value = String(chosen);
    this.remove.hidden = !this.select.value;
  }

  choose() {
    const view = this.saved.find((v) => String(v.id) === this.select.value);
    this.remove.hidden = !view;
    if (view) this.apply(view.filters);
  }

  async save() {
    const name = this.name.value.trim();
    if (!name) return;
    const { tab: view, channel, tag, period } = this.views;
    const filters = { view, channel, tag, period };
    try {
      const saved = await this.api("POST", "/api/v1/saved-views", { name, filters });
      this.dialog.close();
      await this.load(saved.id);
      this.toast(this.t("savedViews.saved", { name: saved.name }));
    } catch (error) {
      this.toast(this.explain(error));
    }
  }

  async deleteChosen() {
    const id = this.select.value;
    if (!id) return;
    try {
      await this.api("DELETE", `/api/v1/saved-views/${id}`);
      await this.load();
    } catch (error) {
      this.toast(this.explain(error));
    }
  }
}
