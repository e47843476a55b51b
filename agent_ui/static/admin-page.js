// What both admin pages share: config, API, top bar with the live socket, a toast, a
// confirm dialog, and showing the API's per-field errors next to their fields.

import { ApiError, makeApi } from "./okno-api.js";
import { readConfig, translator } from "./okno-dom.js";
import { LiveSocket } from "./okno-live.js";
import { Topbar, storedPresence } from "./okno-topbar.js";

export const config = readConfig();
export const t = translator(config.strings);
export const api = makeApi(config.csrf);

const toastNode = document.getElementById("toast");

export function toast(message) {
  toastNode.textContent = message;
  toastNode.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}

// A message for people: known error ids have their own words, the rest the server's.
export function explain(error) {
  if (!(error instanceof ApiError)) return t("error.generic", { message: String(error) });
  if (error.status === 0) return t("error.network");
  const key = "adminError." + error.id;
  const known = t(key);
  if (known !== key) return known;
  if (error.status === 403) return t("error.forbidden");
  return t("error.generic", { message: error.message });
}

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

// The live socket keeps the top bar's state; `onResync` runs when events may have been
// missed (a resume that could not be completed), so the page reloads its data.
export function startLive(onEvent, onResync) {
  const topbar = new Topbar(t, toast);
  const live = new LiveSocket({
    path: config.wsPath,
    presence: storedPresence(),
    onEvent: (event) => {
      const p = event.payload;
      if (event.kind === "presence.changed" && p.user_id === config.user.id) topbar.showPresence(p.presence);
      onEvent(event);
    },
    onHello: (hello) => topbar.showPresence(hello.user.presence),
    onResumed: (resumed) => { if (!resumed.complete) onResync(); },
    onStatus: (status) => topbar.showStatus(status),
  });
  topbar.attach(live);
  live.start();
  return live;
}
