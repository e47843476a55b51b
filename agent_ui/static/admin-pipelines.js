// «Воронки»: every pipeline as a card with its name and its stages in order, edited in place
// and saved as a whole (PATCH with the stages in their new order; a stage left out is
// deleted, unless deals stand or stood in it: then it comes back with the reason). A new
// pipeline is a card of its own until its first save (POST).

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, explain, localPairs, showFieldErrors, startLive, t, toast,
} from "./admin-page.js";
import { StageEditor } from "./admin-stages.js";

const root = document.getElementById("pipelines");
const emptyNode = document.getElementById("pipelines-empty");
const announcer = document.getElementById("stage-announce");
const CONFLICT_FIELDS = { "pipeline-exists": "name" };
let cards = [];

function announce(text) {
  // Emptied first, so the same words said twice are read twice.
  announcer.textContent = "";
  requestAnimationFrame(() => { announcer.textContent = text; });
}

class PipelineCard {
  constructor(pipeline) {
    this.pipeline = pipeline;
    this.name = el("input", { maxlength: 200, autocomplete: "off", class: "pipeline-name",
      "aria-label": t("pipelines.name") });
    this.status = el("span", { class: "cell-status", "aria-live": "polite" });
    this.error = el("p", { class: "form-error", role: "alert", hidden: true });
    const list = el("ol", { class: "stage-rows" });
    this.stages = new StageEditor({ list, t, announce, onChange: () => this.changed() });
    const addStage = el("button", { type: "button", class: "kv-add", dataset: { action: "add-stage" } }, t("pipelines.addStage"));
    addStage.addEventListener("click", () => this.stages.add());
    this.save = el("button", { type: "button", class: "primary", dataset: { action: "save" } }, t("pipelines.save"));
    this.save.addEventListener("click", () => this.store());
    this.reset = el("button", { type: "button", dataset: { action: "reset" } }, t("pipelines.reset"));
    // Undoes the edits of a stored pipeline; a pipeline never saved is dropped altogether.
    this.reset.addEventListener("click", () => (this.isNew ? this.discard() : this.fill()));
    this.name.addEventListener("input", () => this.changed());
    this.node = el("section", { class: "pipeline-card", dataset: { id: pipeline.id ?? "new" } },
      el("header", { class: "pipeline-head" },
        el("label", { class: "field" }, el("span", { class: "field-label" }, t("pipelines.name")), this.name,
          el("span", { class: "field-error", dataset: { errorFor: "name" } }))),
      this.error,
      el("div", { class: "stage-head", "aria-hidden": "true" },
        el("span"), el("span"), el("span", {}, t("pipelines.colName")), el("span", {}, t("pipelines.colProbability")),
        el("span", {}, t("pipelines.colOutcome")), el("span")),
      list,
      el("span", { class: "field-error", dataset: { errorFor: "stages" } }),
      el("footer", { class: "pipeline-foot" }, addStage, el("span", { class: "spacer" }), this.status, this.reset, this.save));
    this.fill();
  }

  get isNew() {
    return this.pipeline.id === null;
  }

  fill() {
    clearFieldErrors(this.node);
    this.error.hidden = true;
    this.name.value = this.pipeline.name;
    const stages = this.pipeline.stages.slice().sort((a, b) => a.position - b.position);
    this.stages.set(stages.length ? stages : [{ id: null, name: "", probability: 0, outcome: "open" }]);
    this.setStatus(null);
  }

  changed() {
    this.setStatus("dirty");
  }

  setStatus(state) {
    this.status.dataset.state = state || "";
    this.status.textContent = state ? t("pipelines.status." + state) : "";
    this.reset.textContent = this.isNew ? t("pipelines.discard") : t("pipelines.reset");
  }

  discard() {
    cards = cards.filter((card) => card !== this);
    this.node.remove();
    emptyNode.hidden = cards.length > 0;
    document.getElementById("pipeline-add").focus();
  }

  async store() {
    clearFieldErrors(this.node);
    this.error.hidden = true;
    this.save.disabled = true;
    this.setStatus("saving");
    const body = { name: this.name.value.trim(), stages: this.stages.values() };
    try {
      const saved = this.isNew
        ? await api("POST", "/api/v1/pipelines", body)
        : await api("PATCH", `/api/v1/pipelines/${this.pipeline.id}`, body);
      this.pipeline = saved;
      this.node.dataset.id = saved.id;
      this.fill();
      this.setStatus("saved");
      toast(t("pipelines.saved", { name: saved.name }));
    } catch (error) {
      this.setStatus("error");
      this.showError(error);
    } finally {
      this.save.disabled = false;
    }
  }

  showError(error) {
    if (error.id === "stage-has-deals" || error.id === "stage-has-history") {
      const refused = (error.details && error.details.stages) || [];
      this.stages.restore(refused, (deals) => deals
        ? t("pipelines.stageHasDeals", { n: deals }) : t("pipelines.stageHasHistory"));
    }
    const pairs = localPairs(error, CONFLICT_FIELDS);
    const unplaced = showFieldErrors(this.node, pairs);
    this.error.textContent = unplaced.length || !pairs.length ? explain(error) : t("admin.checkFields");
    this.error.hidden = false;
  }
}

function render(pipelines) {
  cards = pipelines.map((pipeline) => new PipelineCard(pipeline));
  clear(root).append(...cards.map((card) => card.node));
  emptyNode.hidden = cards.length > 0;
}

async function load() {
  render(items(await api("GET", "/api/v1/pipelines")));
}

document.getElementById("pipeline-add").addEventListener("click", () => {
  const card = new PipelineCard({ id: null, name: "", stages: [] });
  cards.push(card);
  root.append(card.node);
  emptyNode.hidden = true;
  card.setStatus("dirty");
  card.name.focus();
});

// Unsaved edits would be lost on leaving; the browser asks first.
window.addEventListener("beforeunload", (event) => {
  if (cards.some((card) => card.status.dataset.state === "dirty")) event.preventDefault();
});

// Nobody else edits pipelines while this page is open but another admin; a resync after a
// lost socket reloads them only when nothing here is unsaved.
startLive(() => {}, () => {
  if (!cards.some((card) => card.status.dataset.state === "dirty")) load().catch((error) => toast(explain(error)));
});
load().catch((error) => toast(explain(error)));
