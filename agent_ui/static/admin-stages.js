// The stages of one pipeline in the editor, in order: name, probability, outcome. Stages are
// added, removed and moved here, and sent to the API only when the pipeline is saved (the
// list given replaces the old one). A stage moves by dragging its handle onto another stage
// (it takes that stage's place), by its ↑/↓ buttons, or by Alt+↑/↓ anywhere in its row;
// every move is announced, and the focus stays on the control that made it.

import { clear, el } from "./okno-dom.js";

const OUTCOMES = ["open", "won", "lost"];

export class StageEditor {
  constructor({ list, t, announce, onChange }) {
    Object.assign(this, { list, t, announce, onChange });
    this.dragging = null;
    // Existing stages taken out since the last save, with their places, to put them back
    // when the server refuses to delete them (deals stand or stood in them).
    this.removed = [];
  }

  set(stages) {
    this.removed = [];
    clear(this.list);
    for (const stage of stages) this.list.append(this.row(stage));
    this.renumber();
  }

  rows() {
    return [...this.list.children];
  }

  // The stages as the API takes them, in the shown order.
  values() {
    return this.rows().map((row) => {
      const probability = row.querySelector("[data-part=probability]").value.trim();
      return {
        ...(row.dataset.id ? { id: Number(row.dataset.id) } : {}),
        name: row.querySelector("[data-part=name]").value.trim(),
        probability: probability === "" ? 0 : Number(probability),
        outcome: row.querySelector("[data-part=outcome]").value,
      };
    });
  }

  add() {
    const row = this.row({ id: null, name: "", probability: 0, outcome: "open" });
    this.list.append(row);
    this.renumber();
    row.querySelector("[data-part=name]").focus();
    this.onChange();
  }

  // Stages the server would not delete come back where they were, with the reason.
  restore(refused, message) {
    for (const { id, deals } of refused) {
      const at = this.removed.findIndex((entry) => entry.stage.id === id);
      if (at < 0) continue;
      const [{ stage, index }] = this.removed.splice(at, 1);
      const row = this.row(stage);
      this.list.insertBefore(row, this.list.children[index] || null);
      row.querySelector("[data-part=row-error]").textContent = message(deals);
      row.classList.add("invalid");
    }
    this.renumber();
  }

  row(stage) {
    const name = el("input", { maxlength: 200, autocomplete: "off", dataset: { part: "name" } });
    name.value = stage.name;
    const probability = el("input", { type: "number", min: 0, max: 100, step: 1, class: "num",
      dataset: { part: "probability" } });
    probability.value = String(stage.probability ?? 0);
    const outcome = el("select", { dataset: { part: "outcome" } },
      ...OUTCOMES.map((o) => el("option", { value: o }, this.t("stageOutcome." + o))));
    outcome.value = stage.outcome || "open";
    const handle = el("span", { class: "drag-handle", draggable: "true", "aria-hidden": "true",
      title: this.t("pipelines.dragHint") }, "⠿");
    const up = el("button", { type: "button", class: "icon", dataset: { move: "up" } }, "↑");
    const down = el("button", { type: "button", class: "icon", dataset: { move: "down" } }, "↓");
    const remove = el("button", { type: "button", dataset: { action: "remove-stage" } }, this.t("pipelines.removeStage"));
    const slot = (part) => el("span", { class: "field-error", dataset: { slot: part } });
    const row = el("li", { class: "stage-row", dataset: { id: stage.id ?? "" } },
      handle,
      el("span", { class: "stage-place", "aria-hidden": "true" }),
      el("label", { class: "field stage-name" }, name, slot("name")),
      el("label", { class: "field stage-probability" },
        el("span", { class: "with-unit" }, probability, el("span", { "aria-hidden": "true" }, "%")), slot("probability")),
      el("label", { class: "field stage-outcome" }, outcome, slot("outcome")),
      el("span", { class: "stage-actions" }, up, down, remove),
      el("span", { class: "field-error stage-error", dataset: { part: "row-error", slot: "" } }));
    for (const control of [name, probability, outcome]) control.addEventListener("input", () => this.onChange());
    // The buttons' labels name the stage: they follow its new name.
    name.addEventListener("change", () => this.renumber());
    up.addEventListener("click", () => this.move(row, -1, up));
    down.addEventListener("click", () => this.move(row, 1, down));
    remove.addEventListener("click", () => this.remove(row));
    row.addEventListener("keydown", (event) => {
      if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
      event.preventDefault();
      this.move(row, event.key === "ArrowUp" ? -1 : 1, event.target);
    });
    this.dragAndDrop(row, handle);
    return row;
  }

  // Labels, places and error slots follow the order, as the server counts the stages.
  renumber() {
    const rows = this.rows();
    rows.forEach((row, index) => {
      const n = index + 1;
      const name = row.querySelector("[data-part=name]").value.trim() || this.t("pipelines.unnamedStage", { n });
      row.querySelector(".stage-place").textContent = String(n);
      row.querySelector("[data-part=name]").setAttribute("aria-label", this.t("pipelines.stageName", { n }));
      row.querySelector("[data-part=probability]").setAttribute("aria-label", this.t("pipelines.stageProbability", { n }));
      row.querySelector("[data-part=outcome]").setAttribute("aria-label", this.t("pipelines.stageOutcome", { n }));
      row.querySelector("[data-move=up]").setAttribute("aria-label", this.t("pipelines.moveUp", { name }));
      row.querySelector("[data-move=down]").setAttribute("aria-label", this.t("pipelines.moveDown", { name }));
      row.querySelector("[data-move=up]").disabled = index === 0;
      row.querySelector("[data-move=down]").disabled = index === rows.length - 1;
      row.querySelector("[data-action=remove-stage]").setAttribute("aria-label", this.t("pipelines.removeNamed", { name }));
      for (const slot of row.querySelectorAll("[data-slot]")) {
        slot.dataset.errorFor = slot.dataset.slot ? `stages.${index}.${slot.dataset.slot}` : `stages.${index}`;
      }
    });
  }

  // Moves `row` by `step` places; `keep` is the control to keep the focus on.
  move(row, step, keep) {
    const rows = this.rows();
    const to = rows.indexOf(row) + step;
    if (to < 0 || to >= rows.length) return;
    this.place(row, rows[to], step > 0);
    // A disabled ↑ at the top (↓ at the bottom) cannot hold the focus: its twin takes it.
    const target = keep.disabled ? row.querySelector(keep.dataset.move === "up" ? "[data-move=down]" : "[data-move=up]") : keep;
    if (target && document.activeElement !== target) target.focus();
  }

  // Puts `row` after `other` (or before it), renumbers and says where it went.
  place(row, other, after) {
    this.list.insertBefore(row, after ? other.nextSibling : other);
    this.renumber();
    const rows = this.rows();
    const name = row.querySelector("[data-part=name]").value.trim() || this.t("pipelines.unnamedStage", { n: rows.indexOf(row) + 1 });
    this.announce(this.t("pipelines.moved", { name, n: rows.indexOf(row) + 1, total: rows.length }));
    this.onChange();
  }

  remove(row) {
    const rows = this.rows();
    const index = rows.indexOf(row);
    if (row.dataset.id) {
      const [stage] = this.values().slice(index, index + 1);
      this.removed.push({ stage, index });
    }
    const name = row.querySelector("[data-part=name]").value.trim();
    row.remove();
    this.renumber();
    const next = this.rows()[Math.min(index, this.rows().length - 1)];
    if (next) next.querySelector("[data-action=remove-stage]").focus();
    this.announce(this.t("pipelines.removedStage", { name: name || "—" }));
    this.onChange();
  }

  dragAndDrop(row, handle) {
    handle.addEventListener("dragstart", (event) => {
      this.dragging = row;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.id || "new");
      event.dataTransfer.setDragImage(row, 16, 16);
      row.classList.add("dragging");
    });
    handle.addEventListener("dragend", () => {
      this.dragging = null;
      row.classList.remove("dragging");
      for (const node of this.list.querySelectorAll(".drop-target")) node.classList.remove("drop-target");
    });
    row.addEventListener("dragover", (event) => {
      if (!this.dragging || this.dragging === row) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      row.classList.add("drop-target");
    });
    row.addEventListener("dragleave", (event) => {
      if (!row.contains(event.relatedTarget)) row.classList.remove("drop-target");
    });
    row.addEventListener("drop", (event) => {
      event.preventDefault();
      row.classList.remove("drop-target");
      const moving = this.dragging;
      if (!moving || moving === row) return;
      // The dragged stage takes the place of the one it is dropped on.
      const rows = this.rows();
      this.place(moving, row, rows.indexOf(moving) < rows.indexOf(row));
    });
  }
}
