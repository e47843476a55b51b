// A started import: its job polled for the progress bar (rows done of the total, created,
// duplicates, errors) until it is done or failed, then the summary and the report of the
// rows skipped (row, column, reason) as a table, with the same report as a CSV download.
// The job runs on the server whatever the page does; polling only shows it.

import { clear, el } from "./okno-dom.js";

const POLL_MS = 600;
// A report can hold thousands of lines; the page shows the first ones, the CSV has them all.
const SHOWN_LINES = 500;
const LIST_PATH = {
  contact: "/clients",
  organisation: "/clients?tab=organisations",
  deal: "/deals?view=list",
};

const node = (id) => document.getElementById(id);

export class ImportProgress {
  constructor({ t, getJson, explain }) {
    Object.assign(this, { t, getJson, explain });
    this.section = node("import-step-progress");
    this.bar = node("import-progress");
    this.text = node("import-progress-text");
    this.result = node("import-step-result");
    this.timer = null;
    this.jobId = null;
  }

  // Follow job `job` (as the API gave it) until it ends.
  follow(job) {
    this.stop();
    this.jobId = job.id;
    this.section.hidden = false;
    this.result.hidden = true;
    this.show(job);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.jobId = null;
  }

  show(job) {
    if (job.id !== this.jobId) return;
    const total = Math.max(job.total_rows, 0);
    this.bar.max = Math.max(total, 1);
    this.bar.value = Math.min(job.done_rows, this.bar.max);
    this.bar.dataset.status = job.status;
    this.text.textContent = job.status === "running" && !job.done_rows
      ? this.t("import.starting", { total })
      : this.t("import.progress", { done: job.done_rows, total });
    node("import-created").textContent = String(job.created_count);
    node("import-duplicates").textContent = String(job.duplicate_count);
    node("import-errors").textContent = String(job.error_count);
    if (job.status === "done" || job.status === "failed") {
      this.finish(job);
      return;
    }
    this.timer = setTimeout(() => this.poll(job.id), POLL_MS);
  }

  async poll(jobId) {
    if (jobId !== this.jobId) return;
    try {
      this.show(await this.getJson("/api/v1/imports/" + jobId));
    } catch (error) {
      if (jobId !== this.jobId) return;
      // A lost connection is retried; the job goes on on the server meanwhile.
      this.text.textContent = this.t("import.pollFailed", { message: this.explain(error) });
      if (error.status && error.status !== 0 && error.status < 500) return;
      this.timer = setTimeout(() => this.poll(jobId), POLL_MS * 3);
    }
  }

  finish(job) {
    this.timer = null;
    const summary = node("import-summary");
    summary.dataset.status = job.status;
    const counts = { created: job.created_count, duplicates: job.duplicate_count, errors: job.error_count };
    summary.textContent = job.status === "done"
      ? this.t("import.done", counts)
      : this.t("import.failed", { ...counts, error: job.error || "" });
    this.text.textContent = this.t("import.progress", { done: job.done_rows, total: job.total_rows });
    this.showReport(job);
    const list = node("import-open-list");
    list.href = LIST_PATH[job.entity] || "/clients";
    list.textContent = this.t("import.openList." + job.entity);
    node("import-again").href = "/import?entity=" + encodeURIComponent(job.entity);
    this.result.hidden = false;
  }

  // The importer's own reasons are Russian and quote the cell; a use case's refusal comes in
  // the API's English words with its type, which the page says in its language when known.
  // A custom field's refusal starts with the field's label ("Сотрудников: must be a
  // number"): the label is the user's, not the wording, so it is left out of that test.
  reason(line) {
    const label = line.column ? line.column + ": " : null;
    const wording = label && line.reason.startsWith(label) ? line.reason.slice(label.length) : line.reason;
    if (/[а-яё]/i.test(wording)) return line.reason;
    for (const prefix of ["importReason.", "fieldError.", "clientsError."]) {
      const key = prefix + line.type;
      const text = this.t(key);
      if (text !== key) return text;
    }
    return line.reason;
  }

  showReport(job) {
    const lines = job.report || [];
    const holder = node("import-report");
    const body = clear(node("import-report-rows"));
    holder.hidden = lines.length === 0;
    node("import-report-link").href = "/api/v1/imports/" + job.id + "/report.csv";
    for (const line of lines.slice(0, SHOWN_LINES)) {
      body.append(el("tr", { dataset: { row: line.row, type: line.type } },
        el("td", { class: "num" }, String(line.row)),
        el("td", {}, line.column || "—"),
        el("td", {}, this.reason(line))));
    }
    const more = node("import-report-more");
    more.hidden = lines.length <= SHOWN_LINES;
    more.textContent = this.t("import.reportMore", { n: SHOWN_LINES });
  }
}
