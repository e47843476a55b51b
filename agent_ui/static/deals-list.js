// The list of deals beside the board: filters (responsible, stage or outcome, created
// between, the search box), the totals of everything that matches, and further pages by
// the API's next_cursor.

import { clear, el } from "./okno-dom.js";
import { formatDate, formatMoney, formatSums, orderedStages, sumsFrom } from "./deals-format.js";
import { bindExport } from "./registry-export.js";

const PAGE = 50;

export class DealList {
  constructor({ api, t, locale, onOpen, toast }) {
    Object.assign(this, { api, t, locale, onOpen, toast });
    this.shared = {};
    this.form = document.getElementById("list-filters");
    this.body = document.getElementById("deals-rows");
    this.totals = document.getElementById("list-totals");
    this.more = document.getElementById("list-more");
    this.empty = document.getElementById("list-empty");
    this.rows = new Map(); // deal id -> its <tr>
    this.cursor = null;
    this.asked = 0;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.load();
    });
    this.form.addEventListener("change", () => this.load());
    this.more.addEventListener("click", () => this.page());
    // «Экспорт»: the rows of these very filters (the list's query without its paging).
    this.refreshExport = bindExport(document.getElementById("deals-export"),
      () => ({ path: "/api/v1/deals", query: this.params || new URLSearchParams() }));
  }

  setPipeline(pipeline) {
    this.pipeline = pipeline;
    const select = this.form.elements.stage;
    const kept = select.value;
    clear(select).append(
      el("option", { value: "" }, this.t("deals.filter.anyStage")),
      el("optgroup", { label: this.t("deals.filter.outcome") },
        ["open", "won", "lost"].map((o) => el("option", { value: "outcome:" + o }, this.t("deals.outcome." + o)))),
      el("optgroup", { label: this.t("deals.filter.stages") },
        orderedStages(pipeline.stages).map((s) => el("option", { value: "stage:" + s.id }, s.name))));
    select.value = [...select.options].some((o) => o.value === kept) ? kept : "";
  }

  query({ search, responsible }) {
    const f = this.form.elements;
    const params = new URLSearchParams({ pipeline_id: this.pipeline.id, limit: PAGE });
    const stage = f.stage.value;
    if (stage.startsWith("stage:")) params.set("stage_id", stage.slice(6));
    if (stage.startsWith("outcome:")) params.set("outcome", stage.slice(8));
    if (responsible) params.set("responsible_id", responsible);
    if (f.created_from.value) params.set("created_from", f.created_from.value);
    if (f.created_to.value) params.set("created_to", f.created_to.value);
    const [sort, order] = f.sort.value.split(":");
    params.set("sort", sort);
    params.set("order", order);
    if (search) params.set("q", search);
    return params;
  }

  // `shared`: the toolbar's search and responsible manager, which the board uses too.
  async load(shared = this.shared) {
    this.shared = shared || {};
    this.params = this.query(this.shared);
    this.refreshExport();
    this.rows.clear();
    clear(this.body);
    this.cursor = null;
    await this.page(true);
  }

  async page(first = false) {
    const params = new URLSearchParams(this.params);
    if (!first && this.cursor) params.set("cursor", this.cursor);
    const ticket = first ? ++this.asked : this.asked;
    let data;
    try {
      data = await this.api("GET", "/api/v1/deals?" + params.toString());
    } catch (error) {
      this.toast(this.t("error.generic", { message: error.message }));
      return;
    }
    if (ticket !== this.asked) return;
    for (const deal of data.items || []) {
      if (this.rows.has(deal.id)) continue;
      const row = this.row(deal);
      this.rows.set(deal.id, row);
      this.body.append(row);
    }
    this.cursor = data.next_cursor || null;
    this.more.hidden = !this.cursor;
    this.empty.hidden = this.rows.size > 0;
    if (data.totals) {
      this.totals.textContent = this.t("deals.totals", {
        n: data.totals.count, sum: formatSums(sumsFrom(data.totals.amounts, data.totals.amount)),
      });
    }
  }

  stageName(stageId) {
    const stage = this.pipeline && this.pipeline.stages.find((s) => s.id === stageId);
    return stage ? stage.name : "";
  }

  row(deal) {
    const title = el("a", { href: "/deals/" + deal.id, class: "deal-row-title" }, deal.title);
    title.addEventListener("click", (event) => {
      event.preventDefault();
      this.onOpen(deal.id);
    });
    return el("tr", { dataset: { id: deal.id } },
      el("td", {}, title),
      el("td", { class: "deal-row-stage" }, this.stageName(deal.stage_id)),
      el("td", {}, deal.contact ? deal.contact.name : ""),
      el("td", {}, deal.organisation ? deal.organisation.name : ""),
      el("td", { class: "num" }, formatMoney(deal.amount, deal.currency)),
      el("td", {}, deal.responsible ? deal.responsible.name : ""),
      el("td", { class: "num" }, String(deal.days_in_stage ?? "")),
      el("td", {}, formatDate(deal.expected_close_on, this.locale)),
      // The payment date, and «оплачено» once marked (an unpaid date past due is the robot's).
      el("td", { class: "deal-row-payment" }, formatDate(deal.payment_due_on, this.locale),
        deal.paid_at ? el("span", { class: "chip deal-row-paid" }, this.t("deals.paidMark")) : null));
  }

  // A live change: the row shown is redrawn in place (the totals wait for the next load).
  put(deal) {
    const old = this.rows.get(deal.id);
    if (!old) return;
    const row = this.row(deal);
    old.replaceWith(row);
    this.rows.set(deal.id, row);
  }
}
