// The planning dialogs every page with activities shares («Задачи», the workspace's
// «Сегодня» panel, the client card, the deal): a new activity (prefilled for «Перезвонить
// завтра в 11:00» and the like), completing one with its result and the next contact,
// cancelling one, and snoozing its reminder.

import { ApiError } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import { picker, showFieldErrors } from "./deals-form.js";
import { localInput } from "./tasks-format.js";
import { awayLine } from "./absence-format.js";

// "2026-06-16T11:00" minus `minutes`, still on the same wall clock.
function minutesBefore(value, minutes) {
  const at = new Date(value + ":00Z");
  at.setUTCMinutes(at.getUTCMinutes() - minutes);
  return at.toISOString().slice(0, 16);
}

function closeOnCancel(dialog) {
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
}

// Explains a refused write on an activity in the page's words.
// `prefix`: where the page's own error ids have their keys ("absenceError.").
export function activityProblem(error, t, prefix = "tasksError.") {
  if (!(error instanceof ApiError)) return t("error.generic", { message: String(error) });
  if (error.status === 0) return t("error.network");
  const known = t(prefix + error.id);
  if (known !== prefix + error.id) return known;
  return t("error.generic", { message: error.message || error.id || String(error.status) });
}

export class TaskForm {
  constructor({ api, t, config, toast, onCreated }) {
    Object.assign(this, { api, t, config, toast, onCreated });
    this.dialog = document.getElementById("task-dialog");
    this.form = this.dialog.querySelector("form");
    this.from = {};
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.elements.kind.addEventListener("change", () => this.showKind());
    this.form.elements.responsible_id.addEventListener("change", () => this.fillParticipants());
    // Scheduling for someone else: say at once whether they are free then.
    this.busyTimer = null;
    this.busyAsked = 0;
    const timing = new Set(["kind", "due_at", "duration_min", "responsible_id", "participant"]);
    for (const type of ["change", "input"]) {
      this.form.addEventListener(type, (event) => { if (timing.has(event.target.name)) this.checkBusySoon(); });
    }
    closeOnCancel(this.dialog);
  }

  checkBusySoon() {
    clearTimeout(this.busyTimer);
    this.busyTimer = setTimeout(() => this.checkBusy(), 300);
  }

  async checkBusy() {
    const f = this.form.elements;
    const box = this.dialog.querySelector("#task-busy");
    const ticket = ++this.busyAsked;
    const users = [Number(f.responsible_id.value), ...this.participantIds()];
    const minutes = Number(f.duration_min.value) || 0;
    const timed = f.kind.value === "meeting" || f.kind.value === "call";
    if (!timed || !f.due_at.value || !minutes || users.every((id) => id === this.config.user.id)) {
      box.hidden = true;
      return;
    }
    const query = new URLSearchParams({ users: users.join(","), from: f.due_at.value,
      to: minutesBefore(f.due_at.value, -minutes), duration: String(minutes) });
    let answer;
    try {
      answer = await this.api("GET", "/api/v1/calendar/free?" + query);
    } catch (error) {
      box.hidden = true;
      return;
    }
    if (ticket !== this.busyAsked) return;
    const [start, end] = [new Date(answer.start), new Date(answer.end)];
    const busy = [];
    const away = [];
    const absent = [];
    for (const user of answer.users) {
      if (user.free.some((s) => new Date(s.start) <= start && new Date(s.end) >= end)) continue;
      // Away (vacation, sick leave...) says why and until when, rather than just "busy".
      const gone = (user.away || []).find((a) => new Date(a.start) < end && new Date(a.end) > start);
      if (gone) {
        absent.push(awayLine(this.t, this.config.locale, user.name, gone));
        continue;
      }
      const taken = user.busy.some((s) => new Date(s.start) < end && new Date(s.end) > start);
      (taken ? busy : away).push(user.name);
    }
    const lines = [...absent];
    if (busy.length) lines.push(this.t("calendar.busy", { names: busy.join(", ") }));
    if (away.length) lines.push(this.t("calendar.offHours", { names: away.join(", ") }));
    box.textContent = lines.length ? lines.join(" ") : this.t("calendar.allFree");
    box.classList.toggle("free", !lines.length);
    box.dataset.conflict = lines.length ? "yes" : "no";
    box.hidden = false;
  }

  participantIds() {
    return [...this.form.querySelectorAll("input[name=participant]:checked")].map((i) => Number(i.value));
  }

  // prefill: {kind, subject, due (datetime-local value), responsibleId, contact,
  // organisation, deal ({id, name} each), conversationId, note (what it was opened from)}.
  open(prefill = {}) {
    const f = this.form.elements;
    this.form.reset();
    for (const node of this.form.querySelectorAll(".field-error")) node.remove();
    this.from = prefill;
    const people = this.config.people || [];
    clear(f.responsible_id).append(...people.map((p) => el("option", { value: p.id }, p.name)));
    f.responsible_id.value = String(prefill.responsibleId || this.config.user.id);
    f.kind.value = prefill.kind || "task";
    f.subject.value = prefill.subject || "";
    f.due_at.value = prefill.due || localInput(this.config.timeZone, 1, 11);
    this.fillParticipants();
    const slot = (kind, value) => {
      const chosen = picker({ api: this.api, t: this.t, kind, value: value || null, id: `task-${kind}` });
      this.dialog.querySelector(`#task-${kind}-slot`).replaceChildren(chosen.node);
      return chosen;
    };
    this.contact = slot("contact", prefill.contact);
    this.organisation = slot("organisation", prefill.organisation);
    this.deal = slot("deal", prefill.deal);
    const note = this.dialog.querySelector("#task-from");
    note.textContent = prefill.note || "";
    note.hidden = !prefill.note;
    this.showKind();
    this.dialog.querySelector("#task-busy").hidden = true;
    this.checkBusySoon();
    this.dialog.showModal();
    f.subject.focus();
    f.subject.select();
  }

  showKind() {
    const kind = this.form.elements.kind.value;
    this.dialog.querySelector(".meeting-only").hidden = kind !== "meeting";
    const duration = this.form.elements.duration_min;
    if (!duration.value && (kind === "meeting" || kind === "call")) duration.value = kind === "meeting" ? "60" : "15";
  }

  fillParticipants() {
    const box = this.dialog.querySelector("#task-participants");
    const responsible = Number(this.form.elements.responsible_id.value);
    const kept = new Set([...box.querySelectorAll("input:checked")].map((i) => Number(i.value)));
    clear(box).append(...(this.config.people || []).filter((p) => p.id !== responsible).map((p) =>
      el("label", { class: "task-participant" },
        el("input", { type: "checkbox", name: "participant", value: p.id, checked: kept.has(p.id) }), " ", p.name)));
  }

  body() {
    const f = this.form.elements;
    const body = {
      kind: f.kind.value,
      subject: f.subject.value.trim(),
      description: f.description.value.trim(),
      responsible_id: Number(f.responsible_id.value),
      participant_ids: this.participantIds(),
    };
    if (f.due_at.value) {
      body.due_at = f.due_at.value;
      if (f.remind.value !== "") body.remind_at = minutesBefore(f.due_at.value, Number(f.remind.value));
    }
    if (f.duration_min.value !== "") body.duration_min = Number(f.duration_min.value);
    if (f.kind.value === "meeting") {
      body.place = f.place.value.trim();
      body.agenda = f.agenda.value.trim();
    }
    for (const [name, chosen] of [["contact_id", this.contact], ["organisation_id", this.organisation], ["deal_id", this.deal]]) {
      if (chosen.value()) body[name] = chosen.value();
    }
    // The conversation brings its own client (a lead included); sending him again would ask
    // the caller's CRM view about a lead he may not see as a record.
    if (this.from.conversationId && this.from.contact && body.contact_id === this.from.contact.id) delete body.contact_id;
    if (this.from.conversationId) body.conversation_id = this.from.conversationId;
    return body;
  }

  async submit() {
    const body = this.body();
    const button = this.form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const activity = await this.api("POST", "/api/v1/activities", body);
      this.dialog.close();
      this.onCreated(activity);
    } catch (error) {
      showFieldErrors(this.form, error, this.t, this.toast);
    } finally {
      button.disabled = false;
    }
  }
}

// «Выполнено»: the result, and the next contact offered (same kind, tomorrow at 11:00).
export class CompleteForm {
  constructor({ api, t, config, toast, onDone }) {
    Object.assign(this, { api, t, config, toast, onDone });
    this.dialog = document.getElementById("complete-dialog");
    this.form = this.dialog.querySelector("form");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.elements.plan_next.addEventListener("change", () => this.showNext());
    closeOnCancel(this.dialog);
  }

  open(activity) {
    const f = this.form.elements;
    this.activity = activity;
    this.form.reset();
    for (const node of this.form.querySelectorAll(".field-error")) node.remove();
    this.dialog.querySelector("#complete-subject").textContent = activity.subject;
    f.next_kind.value = activity.kind;
    f.next_subject.value = activity.subject;
    f.next_due_at.value = localInput(this.config.timeZone, 1, 11);
    this.showNext();
    this.dialog.showModal();
    f.result.focus();
  }

  showNext() {
    this.form.querySelector(".next-activity").disabled = !this.form.elements.plan_next.checked;
  }

  async submit() {
    const f = this.form.elements;
    if (!f.result.value.trim()) {
      f.result.focus();
      return;
    }
    const body = { result: f.result.value.trim(), version: this.activity.version };
    if (f.plan_next.checked) {
      body.next = { kind: f.next_kind.value, subject: f.next_subject.value.trim() || this.activity.subject };
      if (f.next_due_at.value) body.next.due_at = f.next_due_at.value;
    }
    const button = this.form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const done = await this.api("POST", `/api/v1/activities/${this.activity.id}/complete`, body);
      this.dialog.close();
      this.onDone(done);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Someone else closed it first, or it changed: show it as it is now.
        this.dialog.close();
        this.toast(activityProblem(error, this.t));
        this.onDone(null);
      } else {
        showFieldErrors(this.form, error, this.t, this.toast);
      }
    } finally {
      button.disabled = false;
    }
  }
}

export class CancelForm {
  constructor({ api, t, toast, onDone }) {
    Object.assign(this, { api, t, toast, onDone });
    this.dialog = document.getElementById("cancel-dialog");
    this.form = this.dialog.querySelector("form");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    closeOnCancel(this.dialog);
  }

  open(activity) {
    this.activity = activity;
    this.form.reset();
    this.dialog.querySelector("#cancel-subject").textContent = activity.subject;
    this.dialog.showModal();
    this.form.elements.reason.focus();
  }

  async submit() {
    const body = { reason: this.form.elements.reason.value.trim(), version: this.activity.version };
    try {
      const done = await this.api("POST", `/api/v1/activities/${this.activity.id}/cancel`, body);
      this.dialog.close();
      this.onDone(done);
    } catch (error) {
      this.dialog.close();
      this.toast(activityProblem(error, this.t));
      this.onDone(null);
    }
  }
}

export async function snooze(api, t, toast, activity, preset) {
  try {
    return await api("POST", `/api/v1/activities/${activity.id}/snooze`, { preset });
  } catch (error) {
    toast(activityProblem(error, t));
    return null;
  }
}

// The three dialogs on one page, wired to `onChanged(activity | null)`.
export function planningDialogs({ api, t, config, toast, onChanged }) {
  const create = new TaskForm({ api, t, config, toast, onCreated: (a) => onChanged(a, "created") });
  const complete = new CompleteForm({ api, t, config, toast, onDone: (a) => onChanged(a, "done") });
  const cancel = new CancelForm({ api, t, toast, onDone: (a) => onChanged(a, "cancelled") });
  return {
    create,
    actions: {
      complete: (activity) => complete.open(activity),
      cancel: (activity) => cancel.open(activity),
      snooze: async (activity, preset) => onChanged(await snooze(api, t, toast, activity, preset), "snoozed"),
    },
  };
}
