// The pipeline board: one column per stage with its count and sum, deal cards moved by
// drag and drop, by arrow keys + Enter, or through each card's «Move» menu. The board only
// draws and keeps its numbers; the page decides what a move means (deals-page.js).

import { clear, el } from "./okno-dom.js";
import { addTo, formatMoney, formatSums, links, orderedStages, sumsFrom } from "./deals-format.js";
import { closeMenusOnOutsideClick, toggleMoveMenu } from "./deals-move-menu.js";

function byEntered(a, b) {
  return String(a.stage_entered_at || "").localeCompare(String(b.stage_entered_at || "")) || a.id - b.id;
}

export class Board {
  constructor({ root, t, onOpen, onMove, onMore, announce }) {
    this.root = root;
    this.t = t;
    this.onOpen = onOpen;
    this.onMove = onMove;
    this.onMore = onMore;
    this.announce = announce;
    this.columns = new Map(); // stage id -> {stage, count, sums: {currency: kopecks}, deals: [card], nextCursor}
    this.where = new Map(); // deal id -> stage id
    this.pending = null; // a keyboard move being chosen: {dealId, stageId}
    this.dragging = null;
    closeMenusOnOutsideClick(root);
  }

  load(board) {
    this.pipeline = board.pipeline;
    this.columns.clear();
    this.where.clear();
    this.pending = null;
    const byStage = new Map(board.columns.map((column) => [column.stage.id, column]));
    for (const stage of orderedStages(board.pipeline.stages || board.columns.map((c) => c.stage))) {
      const column = byStage.get(stage.id) || { count: 0, amounts: {}, deals: [] };
      const deals = [...(column.deals || [])];
      for (const deal of deals) this.where.set(deal.id, stage.id);
      this.columns.set(stage.id, {
        stage, count: column.count || 0, sums: sumsFrom(column.amounts, column.amount),
        deals, nextCursor: column.next_cursor || null,
      });
    }
    this.render();
  }

  stage(stageId) {
    const column = this.columns.get(stageId);
    return column ? column.stage : null;
  }

  card(dealId) {
    const column = this.columns.get(this.where.get(dealId));
    return column ? column.deals.find((deal) => deal.id === dealId) || null : null;
  }

  // A deal as it now stands (after a move, an edit or a live event): taken out of where it
  // was, counted into where it is. A column shows its first cards only, so a deal this board
  // has not loaded may still be counted in it: `change` and `fromStageId` (of the live event)
  // say whether it was ("updated" in a column with more to load, or "moved" out of one).
  put(card, { change = "updated", fromStageId = null } = {}) {
    const known = this.where.get(card.id);
    const old = known !== undefined ? this.card(card.id) : null;
    if (old && card.version !== undefined && old.version > card.version) return false;
    const touched = new Set();
    let counted = false;
    if (old) {
      const column = this.columns.get(known);
      column.deals = column.deals.filter((deal) => deal.id !== card.id);
      column.count -= 1;
      addTo(column.sums, old.amount, old.currency, -1);
      this.where.delete(card.id);
      touched.add(known);
    } else if (change === "moved" && fromStageId !== null && fromStageId !== card.stage_id) {
      const column = this.columns.get(fromStageId);
      if (column) {
        column.count = Math.max(0, column.count - 1);
        addTo(column.sums, card.amount, card.currency, -1);
        touched.add(fromStageId);
      }
    } else if (change === "updated") {
      const column = this.columns.get(card.stage_id);
      counted = Boolean(column && column.nextCursor);
    }
    const target = card.pipeline_id === this.pipeline.id ? this.columns.get(card.stage_id) : null;
    if (target) {
      target.deals = [...target.deals, card].sort(byEntered);
      if (!counted) {
        target.count += 1;
        addTo(target.sums, card.amount, card.currency);
      }
      this.where.set(card.id, card.stage_id);
      touched.add(card.stage_id);
    }
    for (const stageId of touched) this.renderColumn(stageId);
    return true;
  }

  remove(dealId) {
    const stageId = this.where.get(dealId);
    const old = this.card(dealId);
    if (!old) return;
    const column = this.columns.get(stageId);
    column.deals = column.deals.filter((deal) => deal.id !== dealId);
    column.count -= 1;
    addTo(column.sums, old.amount, old.currency, -1);
    this.where.delete(dealId);
    this.renderColumn(stageId);
  }

  appendPage(stageId, deals, nextCursor) {
    const column = this.columns.get(stageId);
    if (!column) return;
    for (const deal of deals) {
      if (this.where.has(deal.id)) continue;
      column.deals.push(deal);
      this.where.set(deal.id, stageId);
    }
    column.nextCursor = nextCursor || null;
    this.renderColumn(stageId);
  }

  render() {
    clear(this.root);
    for (const [stageId, column] of this.columns) {
      const titleId = "stage-title-" + stageId;
      const list = el("ol", { class: "column-cards", dataset: { stageId } });
      const node = el("section", {
        class: "deal-column", role: "group", "aria-labelledby": titleId,
        dataset: { stageId, outcome: column.stage.outcome || "open" },
      },
      el("header", { class: "column-head" },
        el("h2", { class: "column-title", id: titleId }, column.stage.name),
        el("p", { class: "column-stats" },
          el("span", { class: "column-count", title: this.t("deals.count") }),
          el("span", { class: "column-sum", title: this.t("deals.sum") }))),
      list,
      el("button", { type: "button", class: "column-more link-button", hidden: true },
        this.t("deals.more")));
      node.querySelector(".column-more").addEventListener("click", () => this.onMore(stageId, column.nextCursor));
      this.dropZone(node, stageId);
      this.root.append(node);
      this.renderColumn(stageId);
    }
  }

  columnNode(stageId) {
    return this.root.querySelector(`.deal-column[data-stage-id="${Number(stageId)}"]`);
  }

  renderColumn(stageId) {
    const column = this.columns.get(stageId);
    const node = this.columnNode(stageId);
    if (!column || !node) return;
    const focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest(".deal-card") : null;
    const focusedId = focused ? Number(focused.dataset.id) : null;
    node.querySelector(".column-count").textContent = String(column.count);
    node.querySelector(".column-sum").textContent = formatSums(column.sums);
    const list = clear(node.querySelector(".column-cards"));
    list.append(...column.deals.map((deal) => this.cardNode(deal)));
    if (!column.deals.length) list.append(el("li", { class: "column-empty" }, this.t("deals.emptyColumn")));
    node.querySelector(".column-more").hidden = !column.nextCursor;
    if (focusedId !== null && this.where.get(focusedId) === stageId) this.focusCard(focusedId);
  }

  focusCard(dealId) {
    const node = this.root.querySelector(`.deal-card[data-id="${Number(dealId)}"]`);
    if (node) node.focus();
  }

  cardNode(deal) {
    const t = this.t;
    const node = el("li", {
      class: "deal-card", tabindex: "0", draggable: "true", dataset: { id: deal.id },
      "aria-roledescription": t("deals.cardRole"),
      "aria-label": deal.title + ", " + formatMoney(deal.amount, deal.currency),
    },
    el("a", { class: "deal-title", href: links.deal(deal.id), tabindex: "-1" }, deal.title),
    deal.contact ? el("p", { class: "deal-client" }, deal.contact.name) : null,
    deal.organisation ? el("p", { class: "deal-org" }, deal.organisation.name) : null,
    el("p", { class: "deal-amount" }, formatMoney(deal.amount, deal.currency)),
    el("p", { class: "deal-meta" },
      el("span", { class: "deal-responsible" }, deal.responsible ? deal.responsible.name : t("deals.noResponsible")),
      el("span", { class: "deal-days", title: t("deals.daysInStageTitle") },
        t("deals.daysInStage", { n: deal.days_in_stage ?? 0 }))),
    (deal.flags || []).length ? el("ul", { class: "deal-flags" },
      deal.flags.map((flag) => el("li", { class: "deal-flag" }, flagText(flag, t)))) : null,
    el("button", {
      type: "button", class: "deal-move-button", "aria-haspopup": "menu", "aria-expanded": "false",
      "aria-label": t("deals.move"), title: t("deals.move"),
    }, "\u21C4"));
    node.querySelector(".deal-title").addEventListener("click", (event) => {
      event.preventDefault();
      this.onOpen(deal.id);
    });
    node.addEventListener("click", (event) => {
      if (event.target === node || event.target.closest("p")) this.onOpen(deal.id);
    });
    node.addEventListener("keydown", (event) => this.cardKey(event, deal.id));
    // Leaving the card gives up a move chosen with the arrows (a redraw refocuses it first).
    node.addEventListener("focusout", () => setTimeout(() => {
      const active = document.activeElement && document.activeElement.closest
        ? document.activeElement.closest(".deal-card") : null;
      if (this.pending && this.pending.dealId === deal.id && (!active || Number(active.dataset.id) !== deal.id)) {
        this.cancelPending(true);
      }
    }, 0));
    node.addEventListener("dragstart", (event) => {
      this.dragging = deal.id;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(deal.id));
      node.classList.add("dragging");
    });
    node.addEventListener("dragend", () => {
      this.dragging = null;
      node.classList.remove("dragging");
      for (const zone of this.root.querySelectorAll(".drop-target")) zone.classList.remove("drop-target");
    });
    const button = node.querySelector(".deal-move-button");
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      toggleMoveMenu({
        cardNode: node, button, label: this.t("deals.moveTo"),
        stages: [...this.columns.values()].map((column) => column.stage)
          .filter((stage) => stage.id !== this.where.get(deal.id)),
        onPick: (stageId) => this.onMove(deal.id, stageId),
      });
    });
    return node;
  }

  dropZone(node, stageId) {
    node.addEventListener("dragover", (event) => {
      if (this.dragging === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      node.classList.add("drop-target");
    });
    node.addEventListener("dragleave", (event) => {
      if (!node.contains(event.relatedTarget)) node.classList.remove("drop-target");
    });
    node.addEventListener("drop", (event) => {
      event.preventDefault();
      node.classList.remove("drop-target");
      const dealId = Number(event.dataTransfer.getData("text/plain")) || this.dragging;
      this.dragging = null;
      if (dealId && this.where.get(dealId) !== stageId) this.onMove(dealId, stageId);
    });
  }

  // Keyboard: ←/→ choose the column, Enter moves there, Escape gives up; ↑/↓ walk the column;
  // Enter with nothing chosen opens the deal.
  cardKey(event, dealId) {
    if (event.target !== event.currentTarget) return;
    const stageIds = [...this.columns.keys()];
    const current = this.where.get(dealId);
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      const from = this.pending && this.pending.dealId === dealId ? this.pending.stageId : current;
      const index = stageIds.indexOf(from) + (event.key === "ArrowRight" ? 1 : -1);
      if (index < 0 || index >= stageIds.length) return;
      this.choose(dealId, stageIds[index]);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (this.pending && this.pending.dealId === dealId && this.pending.stageId !== current) {
        const target = this.pending.stageId;
        this.cancelPending(false);
        this.onMove(dealId, target);
      } else if (event.key === "Enter") {
        this.cancelPending(false);
        this.onOpen(dealId);
      }
    } else if (event.key === "Escape" && this.pending) {
      event.preventDefault();
      this.cancelPending(true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const deals = this.columns.get(current).deals;
      const index = deals.findIndex((deal) => deal.id === dealId) + (event.key === "ArrowDown" ? 1 : -1);
      if (index >= 0 && index < deals.length) this.focusCard(deals[index].id);
    }
  }

  choose(dealId, stageId) {
    for (const zone of this.root.querySelectorAll(".drop-target")) zone.classList.remove("drop-target");
    const card = this.card(dealId);
    if (stageId === this.where.get(dealId)) {
      this.pending = null;
      this.announce(this.t("deals.moveBack", { stage: this.stage(stageId).name }));
      return;
    }
    this.pending = { dealId, stageId };
    const column = this.columnNode(stageId);
    if (column) column.classList.add("drop-target");
    this.announce(this.t("deals.moveChoose", { title: card ? card.title : "", stage: this.stage(stageId).name }));
  }

  cancelPending(say) {
    if (!this.pending) return;
    this.pending = null;
    for (const zone of this.root.querySelectorAll(".drop-target")) zone.classList.remove("drop-target");
    if (say) this.announce(this.t("deals.moveCancelled"));
  }
}

export function flagText(flag, t) {
  const kind = typeof flag === "string" ? flag : (flag && (flag.kind || flag.id)) || "";
  const label = typeof flag === "object" && flag ? flag.label || flag.text : null;
  if (label) return label;
  const key = "dealFlag." + kind;
  const translated = t(key);
  return translated === key ? kind : translated;
}
