// «Отсутствие» in «Календарь»: the dialog that records an absence (one's own; a supervisor
// for his team's members; an admin for anyone — `config.absenceFor`, the rule the API
// checks) and lists those of the period shown with a button to remove each one the caller
// may remove. Opened from a band the caller may manage, it holds that absence to change
// (PATCH with the version it was shown at; a change made meanwhile is refused and the form
// refilled as it stands) or delete. Refusals are shown per field in the page's language.

import { ApiError } from "./okno-api.js";
import { el } from "./okno-dom.js";
import { fieldMessage } from "./okno-page.js";
import { shortDay } from "./absence-format.js";

export function absenceDialog({ api, t, config, toast, explain, onChanged }) {
  const dialog = document.getElementById("absence-dialog");
  const form = dialog.querySelector("form");
  const list = dialog.querySelector("#absence-list");
  const managed = new Set(config.absenceFor || [config.user.id]);
  const names = new Map((config.people || []).map((p) => [p.id, p.name]));
  const submit = form.querySelector("button[type=submit]");
  const record = submit.textContent;
  const remove = dialog.querySelector("#absence-delete");
  let shown = [];
  let editing = null; // the absence being changed, as last shown

  function fill(absence) {
    const f = form.elements;
    editing = absence;
    f.user_id.value = String(absence.user_id);
    f.kind.value = absence.kind;
    f.starts_on.value = absence.starts_on;
    f.ends_on.value = absence.ends_on;
    f.starts_at.value = absence.starts_at || "";
    f.ends_at.value = absence.ends_at || "";
    f.note.value = absence.note;
  }

  function clearErrors() {
    for (const node of form.querySelectorAll(".field-error")) node.remove();
  }

  function showErrors(error) {
    clearErrors();
    const details = error instanceof ApiError && Array.isArray(error.details) ? error.details : [];
    const unplaced = [];
    for (const detail of details) {
      const input = form.elements[String(detail.field || "").split(".")[0]];
      const anchor = input && input.closest ? input.closest("label") : null;
      const text = fieldMessage(detail);
      if (anchor) anchor.append(el("span", { class: "field-error", role: "alert" }, text));
      else unplaced.push(text);
    }
    if (!details.length || unplaced.length) toast(unplaced.length ? unplaced.join(" ") : explain(error));
  }

  function fillList() {
    const rows = shown.map((a) => {
      const kind = t("absence.kind." + a.kind);
      const period = a.starts_on === a.ends_on ? shortDay(a.starts_on, config.locale)
        : `${shortDay(a.starts_on, config.locale)} – ${shortDay(a.ends_on, config.locale)}`;
      const remove = managed.has(a.user_id)
        ? el("button", { type: "button", class: "link-button", dataset: { remove: a.id },
          "aria-label": t("absence.remove") }, "×")
        : null;
      return el("li", { dataset: { absence: a.id } },
        el("span", { class: "absence-what" }, `${kind}: ${a.user_name}`), " ",
        el("span", { class: "muted" }, period), " ", remove);
    });
    list.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted" }, t("absence.none"))]));
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    try {
      await api("DELETE", `/api/v1/absences/${button.dataset.remove}`);
      shown = shown.filter((a) => String(a.id) !== button.dataset.remove);
      fillList();
      toast(t("absence.removed"));
      onChanged();
    } catch (error) {
      toast(explain(error));
    }
  });

  async function send(f) {
    const times = { starts_at: f.starts_at.value || null, ends_at: f.ends_at.value || null };
    const values = { kind: f.kind.value, starts_on: f.starts_on.value,
      ends_on: f.ends_on.value || f.starts_on.value, note: f.note.value };
    if (editing) {
      return api("PATCH", `/api/v1/absences/${editing.id}`, { version: editing.version, ...values, ...times });
    }
    const body = { user_id: Number(f.user_id.value), ...values };
    for (const [name, value] of Object.entries(times)) if (value) body[name] = value;
    return api("POST", "/api/v1/absences", body);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const saved = await send(form.elements);
      const was = editing;
      dialog.close();
      const what = { kind: t("absence.kind." + saved.kind), name: saved.user_name };
      toast(t(was ? "absence.saved" : "absence.recorded", what));
      onChanged();
    } catch (error) {
      if (editing && error instanceof ApiError && error.id === "stale-version" && error.details?.current) {
        // Changed meanwhile: show it as it stands now; saving again is a deliberate act.
        clearErrors();
        fill(error.details.current);
        toast(explain(error));
        onChanged();
        return;
      }
      showErrors(error);
    }
  });

  remove.addEventListener("click", async () => {
    try {
      await api("DELETE", `/api/v1/absences/${editing.id}`);
      dialog.close();
      toast(t("absence.removed"));
      onChanged();
    } catch (error) {
      toast(explain(error));
    }
  });
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  // A corrected field loses its refusal at once, not only on the next «Записать».
  form.addEventListener("input", (event) => {
    const label = event.target.closest("label");
    if (label) for (const node of label.querySelectorAll(".field-error")) node.remove();
  });

  return {
    // prefill: {userId, day ("YYYY-MM-DD")}; absences: those of the period on screen;
    // absence: the one to change (from its band), if the caller may manage it.
    open(prefill, absences, absence = null) {
      form.reset();
      clearErrors();
      const options = [...managed].map((id) => el("option", { value: id },
        id === config.user.id ? config.user.name : names.get(id) || String(id)));
      form.elements.user_id.replaceChildren(...options);
      editing = null;
      if (absence && managed.has(absence.user_id)) {
        fill(absence);
      } else {
        const whom = managed.has(prefill.userId) ? prefill.userId : config.user.id;
        form.elements.user_id.value = String(whom);
        form.elements.starts_on.value = prefill.day;
        form.elements.ends_on.value = prefill.day;
      }
      // A change keeps whose absence it is; the form says which mode it is in.
      form.elements.user_id.disabled = Boolean(editing);
      submit.textContent = editing ? t("absence.save") : record;
      remove.hidden = !editing;
      dialog.dataset.mode = editing ? "edit" : "new";
      shown = absences;
      fillList();
      dialog.showModal();
      form.elements.kind.focus();
    },
  };
}
