// «Отсутствие» in «Календарь»: the dialog that records an absence (one's own; a supervisor
// for his team's members; an admin for anyone — `config.absenceFor`, the rule the API
// checks) and lists those of the period shown with a button to remove each one the caller
// may remove. Refusals are shown per field in the page's language.

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
  let shown = [];

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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = { user_id: Number(f.user_id.value), kind: f.kind.value, starts_on: f.starts_on.value,
      ends_on: f.ends_on.value || f.starts_on.value, note: f.note.value };
    if (f.starts_at.value) body.starts_at = f.starts_at.value;
    if (f.ends_at.value) body.ends_at = f.ends_at.value;
    try {
      const made = await api("POST", "/api/v1/absences", body);
      dialog.close();
      toast(t("absence.recorded", { kind: t("absence.kind." + made.kind), name: made.user_name }));
      onChanged();
    } catch (error) {
      showErrors(error);
    }
  });
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  // A corrected field loses its refusal at once, not only on the next «Записать».
  form.addEventListener("input", (event) => {
    const label = event.target.closest("label");
    if (label) for (const node of label.querySelectorAll(".field-error")) node.remove();
  });

  return {
    // prefill: {userId, day ("YYYY-MM-DD")}; absences: those of the period on screen.
    open(prefill, absences) {
      form.reset();
      clearErrors();
      const options = [...managed].map((id) => el("option", { value: id },
        id === config.user.id ? config.user.name : names.get(id) || String(id)));
      form.elements.user_id.replaceChildren(...options);
      const whom = managed.has(prefill.userId) ? prefill.userId : config.user.id;
      form.elements.user_id.value = String(whom);
      form.elements.starts_on.value = prefill.day;
      form.elements.ends_on.value = prefill.day;
      shown = absences;
      fillList();
      dialog.showModal();
      form.elements.kind.focus();
    },
  };
}
