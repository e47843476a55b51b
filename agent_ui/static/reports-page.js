// The reports page: a period's figures per group as a table and a bar chart (Chart.js,
// served by Okno from agent_ui/static), a drill-down to the conversations or calls behind any
// number, and exports of exactly the columns shown. Formulas: docs/metrics.md.

import { clear, el } from "./okno-dom.js";
import { api, config, explainer, startLive, t, toast } from "./okno-page.js";

// The columns the page shows, per report (a subset of what the API answers, in its order).
const SHOWN = {
  conversations: ["requests", "handled", "handled_share", "frt_p50", "frt_p90", "frt_work_p50",
    "frt_assigned_p50", "nrt_p50", "nrt_work_p50", "resolution_p50", "resolution_work_p50",
    "queue_wait_p50", "handling_p50", "reopened", "reopen_rate", "sla_breached", "sla_breaches"],
  calls: ["calls", "answered", "missed", "abandoned", "short_abandoned", "service_level",
    "called_back", "callback_rate", "wait_p50", "wait_p90", "talk_p50", "talk_total", "inexact"],
  managers: ["online_h", "busy_h", "occupancy", "responses", "answers_per_hour", "emails_sent",
    "calls", "call_activities", "meetings", "email_activities", "activities_done", "overdue",
    "deals_won", "won_sum", "plan_sum", "plan_done", "avg_deal"],
};
const SHARES = new Set(["handled_share", "reopen_rate", "service_level", "callback_rate",
  "occupancy", "plan_done"]);
const MONEY = new Set(["won_sum", "plan_sum", "avg_deal"]);
// The numbers with a drill-down: every one of these reports, and those of the managers'
// report that count something (time online, occupancy and the plan list nothing).
const DRILLED = new Set(["conversations", "calls"]);
const MANAGER_DRILLED = new Set(["responses", "answers_per_hour", "emails_sent", "calls",
  "call_activities", "meetings", "email_activities", "activities_done", "overdue", "deals_won",
  "won_sum", "avg_deal", "plan_done"]);

function drillable(report, column) {
  return DRILLED.has(report) || (report === "managers" && MANAGER_DRILLED.has(column));
}
const SUFFIXES = ["p50", "p90", "avg"];

const explain = explainer("reportError.");
const $ = (id) => document.getElementById(id);
const form = $("report-form");
let chart = null;
let shown = null;

function columnTitle(column) {
  for (const suffix of SUFFIXES) {
    if (column.endsWith("_" + suffix)) {
      const figure = t("report.fig." + column.slice(0, -suffix.length - 1));
      return t("report.suffix." + suffix, { figure });
    }
  }
  return t("report.fig." + column);
}

function isDuration(column) {
  return column === "talk_total" || SUFFIXES.some((s) => column.endsWith("_" + s));
}

// 45 -> "0:45", 3725 -> "1:02:05": durations as a clock, seconds kept in data-value.
function formatValue(column, value) {
  if (value === null || value === undefined) return "—";
  if (SHARES.has(column)) return (value * 100).toFixed(1).replace(/\.0$/, "") + "%";
  if (MONEY.has(column)) {
    return new Intl.NumberFormat(config.locale, { maximumFractionDigits: 2 }).format(value);
  }
  if (!isDuration(column)) return String(value);
  const total = Math.round(value);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

function rowLabel(row, groupBy) {
  if (row.label) return row.label;
  const nobody = "report.nobody." + groupBy;
  return t(nobody) !== nobody ? t(nobody) : row.key;
}

function params() {
  const query = new URLSearchParams();
  query.set("period", $("report-period").value);
  if ($("report-period").value === "custom") {
    query.set("from", $("report-from").value);
    query.set("to", $("report-to").value);
  }
  if ($("report-name").value !== "managers") query.set("group_by", $("report-group").value);
  if ($("report-name").value === "calls" && $("report-exact").checked) query.set("exact_only", "true");
  return query;
}

function exportLinks(name, query) {
  for (const format of ["csv", "xlsx"]) {
    const link = new URLSearchParams(query);
    link.set("format", format);
    link.set("columns", SHOWN[name].join(","));
    $("report-" + format).href = `/api/v1/reports/${name}/export?${link}`;
  }
}

function cell(report, row, column) {
  const value = row.figures[column];
  const text = formatValue(column, value);
  if (value === null || value === 0 || !drillable(report.report, column)) {
    return el("td", { dataset: { column } }, text);
  }
  return el("td", { dataset: { column } }, el("button", {
    type: "button",
    class: "link-button drill",
    dataset: { key: row.key, column, value: String(value) },
    title: columnTitle(column),
  }, text));
}

function renderTable(report) {
  const columns = SHOWN[report.report];
  clear($("report-head")).append(
    el("th", { scope: "col" }, t("report.group." + report.group_by)),
    ...columns.map((c) => el("th", { scope: "col", dataset: { column: c } }, columnTitle(c))));
  clear($("report-rows")).append(...report.rows.map((row) => el("tr", { dataset: { key: row.key } },
    el("th", { scope: "row" }, rowLabel(row, report.group_by)),
    ...columns.map((c) => cell(report, row, c)))));
  clear($("report-total")).append(el("tr", { dataset: { key: "total" } },
    el("th", { scope: "row" }, t("report.total")),
    ...columns.map((c) => cell(report, report.total, c))));
  $("report-empty").hidden = report.rows.length > 0;
  $("report-empty").textContent = t("report.empty");
  $("report-version").textContent = t("report.version", { version: report.version });
}

function chartFigures(name) {
  const select = $("report-chart-figure");
  if (select.dataset.report === name) return;
  select.dataset.report = name;
  clear(select).append(...SHOWN[name].map((c) => el("option", { value: c }, columnTitle(c))));
}

function renderChart(report) {
  chartFigures(report.report);
  const column = $("report-chart-figure").value;
  const data = {
    labels: report.rows.map((row) => rowLabel(row, report.group_by)),
    datasets: [{
      label: columnTitle(column),
      data: report.rows.map((row) => row.figures[column]),
      backgroundColor: "#3b82f6",
    }],
  };
  if (chart) chart.destroy();
  chart = new window.Chart($("report-chart"), {
    type: "bar",
    data,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: true } },
      onClick: (_event, elements) => {
        if (elements.length && drillable(report.report, column)) {
          drill(report.rows[elements[0].index].key, column);
        }
      },
    },
  });
}

async function load() {
  const name = $("report-name").value;
  const query = params();
  exportLinks(name, query);
  $("report-error").hidden = true;
  try {
    shown = await api("GET", `/api/v1/reports/${name}?${query}`);
  } catch (error) {
    $("report-error").textContent = explain(error);
    $("report-error").hidden = false;
    return;
  }
  $("report-drill").hidden = true;
  renderTable(shown);
  renderChart(shown);
  form.dataset.loaded = name + ":" + shown.group_by;
}

function drillRow(item) {
  const when = new Intl.DateTimeFormat(config.locale, { dateStyle: "short", timeStyle: "short" })
    .format(new Date(item.at));
  const state = "report.state." + item.state;
  return el("tr", { dataset: { id: item.id, kind: item.kind } },
    el("td", {}, when),
    el("td", {}, item.client || "—"),
    el("td", {}, item.channel),
    el("td", {}, item.operator || t("report.nobody.operator")),
    el("td", {}, t(state) !== state ? t(state) : item.state),
    el("td", {}, item.conversation_id
      ? el("a", { href: `/#c${item.conversation_id}` }, t("report.drillOpen")) : ""));
}

// A row of the managers' drill-down: a response, a call, an activity or a deal.
function managerDrillRow(item) {
  const when = new Intl.DateTimeFormat(config.locale, { dateStyle: "short", timeStyle: "short" })
    .format(new Date(item.at));
  const state = "report.state." + item.state;
  let open = "";
  if (item.kind === "deal" && item.deal_id) {
    open = el("a", { href: `/deals/${item.deal_id}` }, t("report.drillOpenDeal"));
  } else if (item.conversation_id) {
    open = el("a", { href: `/#c${item.conversation_id}` }, t("report.drillOpen"));
  }
  return el("tr", { dataset: { id: item.id, kind: item.kind } },
    el("td", {}, when),
    el("td", {}, t("report.item." + item.kind)),
    el("td", { class: "drill-title" }, item.title || "—"),
    el("td", {}, item.client || "—"),
    el("td", {}, t(state) !== state ? t(state) : item.state),
    el("td", {}, item.amount === null ? "" : formatValue("won_sum", item.amount)),
    el("td", {}, open));
}

async function drill(key, column) {
  if (!shown) return;
  const query = params();
  query.set("key", key);
  query.set("column", column);
  let found;
  try {
    found = await api("GET", `/api/v1/reports/${shown.report}/drill?${query}`);
  } catch (error) {
    $("report-error").textContent = explain(error);
    $("report-error").hidden = false;
    return;
  }
  const row = key === "total" ? null : shown.rows.find((r) => r.key === key);
  $("report-drill-title").textContent = t("report.drillTitle", {
    figure: columnTitle(column),
    row: row ? rowLabel(row, shown.group_by) : t("report.total"),
    count: found.count,
  });
  $("report-drill-more").hidden = found.items.length >= found.count;
  $("report-drill-more").textContent = t("report.drillMore", { shown: found.items.length, count: found.count });
  const rowOf = shown.report === "managers" ? managerDrillRow : drillRow;
  clear($("report-drill-rows")).append(...found.items.map(rowOf));
  $("report-drill").hidden = false;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
$("report-period").addEventListener("change", () => {
  $("report-custom").hidden = $("report-period").value !== "custom";
});
$("report-name").addEventListener("change", () => {
  const name = $("report-name").value;
  $("report-exact-field").hidden = name !== "calls";
  // The managers' report has one row per person whatever the grouping.
  $("report-group").disabled = name === "managers";
  $("plan-editor").hidden = name !== "managers";
  if (name === "managers") loadPlans();
  load();
});

// The supervisor's plans of one month: a row per person, saved one at a time.
function planRow(item) {
  const amount = el("input", {
    type: "number", min: "0", step: "0.01", class: "plan-amount",
    value: item.amount === null ? "" : String(item.amount), "aria-label": t("report.fig.plan_sum"),
  });
  const deals = el("input", {
    type: "number", min: "0", step: "1", class: "plan-deals",
    value: item.deals === null ? "" : String(item.deals), "aria-label": t("report.fig.plan_deals"),
  });
  const save = el("button", { type: "button", class: "plan-save" }, t("report.planSave"));
  save.addEventListener("click", () => savePlan(item.user_id, amount.value, deals.value));
  return el("tr", { dataset: { user: item.user_id } },
    el("th", { scope: "row" }, item.name), el("td", {}, amount), el("td", {}, deals),
    el("td", {}, save));
}

async function loadPlans() {
  if (!$("plan-month").value) $("plan-month").value = new Date().toISOString().slice(0, 7);
  try {
    const found = await api("GET", `/api/v1/manager-plans?month=${$("plan-month").value}`);
    clear($("plan-rows")).append(...found.items.map(planRow));
  } catch (error) {
    $("report-error").textContent = explain(error);
    $("report-error").hidden = false;
  }
}

async function savePlan(userId, amount, deals) {
  const body = {
    month: $("plan-month").value,
    amount: amount.trim() === "" ? null : amount.trim(),
    deals: deals.trim() === "" ? null : Number(deals),
  };
  try {
    await api("PUT", `/api/v1/manager-plans/${userId}`, body);
  } catch (error) {
    $("report-error").textContent = explain(error);
    $("report-error").hidden = false;
    return;
  }
  toast(t("report.planSaved"));
  load();
}
$("plan-month").addEventListener("change", loadPlans);
$("report-chart-figure").addEventListener("change", () => { if (shown) renderChart(shown); });
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.drill");
  if (button) drill(button.dataset.key, button.dataset.column);
});

startLive(() => {}, () => load());
load();
