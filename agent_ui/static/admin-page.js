// What the admin pages share: config, API, top bar with the live socket, a toast (from
// okno-page.js), a confirm dialog, and the API's per-field errors next to their fields.

import { ApiError } from "./okno-api.js";
import { api, explainer, fieldMessage, startLive, t, toast } from "./okno-page.js";

// The page basics are shared with the clients' pages (okno-page.js); re-exported so the admin
// scripts keep importing everything from here.
export { api, config, fieldMessage, startLive, t, toast } from "./okno-page.js";

// A message for people: known error ids have their own words, the rest the server's.
export const explain = explainer("adminError.");

// Resolves true when the person confirms.
export function confirmAction(text, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// Closes a form dialog from its Cancel buttons (Esc closes it natively).
export function wireDialog(dialog, onClose) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("close", onClose);
}

// Field errors in `root`'s `[data-error-for=name]` slots; returns the ones with no slot.
export function showFieldErrors(root, errors) {
  const unplaced = [];
  for (const [field, message] of errors) {
    const slot = root.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) { unplaced.push(message); continue; }
    slot.textContent = slot.textContent ? slot.textContent + " " + message : message;
    const holder = slot.closest(".field");
    if (holder) holder.classList.add("invalid");
  }
  return unplaced;
}

export function clearFieldErrors(root) {
  for (const slot of root.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const holder of root.querySelectorAll(".invalid")) holder.classList.remove("invalid");
}

// [field, message] pairs from an API error: invalid-input lists them, others name one field.
export function errorPairs(error) {
  if (!(error instanceof ApiError)) return [];
  const details = error.details;
  if (Array.isArray(details)) return details.map((d) => [d.field, d.message]);
  if (details && typeof details === "object" && typeof details.field === "string") {
    return [[details.field, explain(error)]];
  }
  return [];
}

// Like errorPairs, but every message in the page's language: an invalid-input problem is
// worded by its type (the server's words are English), a conflict about one field (named in
// `fieldOf` by the error's id) by its id.
export function localPairs(error, fieldOf = {}) {
  if (!(error instanceof ApiError)) return [];
  if (Array.isArray(error.details)) return error.details.map((d) => [d.field, fieldMessage(d)]);
  return fieldOf[error.id] ? [[fieldOf[error.id], explain(error)]] : [];
}

// The submit handler of an add/edit dialog: POST to `collection`, or PATCH the record
// `editing()` returns; the button is held while the call runs. Saved, the dialog closes and
// `done(saved)` follows; refused, `onError(error)` shows why next to the fields.
export function dialogSaver({ dialog, form, saveButton, formError, collection, editing, body, done, onError }) {
  return async function save(event) {
    event.preventDefault();
    clearFieldErrors(form);
    formError.hidden = true;
    saveButton.disabled = true;
    try {
      const record = editing();
      const saved = record
        ? await api("PATCH", `${collection}/${record.id}`, body())
        : await api("POST", collection, body());
      dialog.close();
      await done(saved);
    } catch (error) {
      onError(error);
    } finally {
      saveButton.disabled = false;
    }
  };
}

// Why a save was refused: next to the fields it names, and under the form the rest (or «check
// the fields» when every reason found its field). An error the page raised itself (a value the
// form could not read) has no status and carries its own words.
export function showSaveError(root, errorNode, error, conflictFields = {}) {
  const pairs = localPairs(error, conflictFields);
  const unplaced = showFieldErrors(root, pairs);
  errorNode.textContent = error.status === undefined ? error.message
    : (unplaced.length || !pairs.length ? explain(error) : t("admin.checkFields"));
  errorNode.hidden = false;
}

// An editor page's wiring: the dialog saves on submit and resets when it closes, the add
// button opens it empty, and the list loads now and again after a gap in the live events.
export function wireEditorPage({ dialog, form, save, onClose, addButton, openEmpty, load, onEvent = () => {} }) {
  form.addEventListener("submit", save);
  wireDialog(dialog, onClose);
  addButton.addEventListener("click", openEmpty);
  const reload = () => load().catch((error) => toast(explain(error)));
  startLive(onEvent, reload);
  reload();
}
