// What every staff page built on the REST API shares (the admin pages, the clients' pages):
// the config block, the translator, API calls with the CSRF token, a toast, errors in the
// page's language and the live socket that keeps the top bar's state. One copy, so a fix to
// the toast or the socket's resync reaches every page.

import { ApiError, makeApi } from "./okno-api.js";
import { readConfig, translator } from "./okno-dom.js";
import { LiveSocket } from "./okno-live.js";
import { labelTablesForPhones } from "./okno-phone-tables.js";
import { Topbar, storedPresence } from "./okno-topbar.js";

export const config = readConfig();
export const t = translator(config.strings || {});
export const api = makeApi(config.csrf);

const toastNode = document.getElementById("toast");
labelTablesForPhones();

export function toast(message) {
  if (!toastNode) return;
  toastNode.textContent = message;
  toastNode.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}

// explain(error) for a page whose known error ids have keys under `prefix` ("adminError.");
// `notFound` words a 404 with no key of its own; the rest shows the server's message.
export function explainer(prefix, notFound = null) {
  return function explain(error) {
    if (!(error instanceof ApiError)) return t("error.generic", { message: String(error) });
    if (error.status === 0) return t("error.network");
    const key = prefix + error.id;
    const known = t(key);
    if (known !== key) return known;
    if (error.status === 403) return t("error.forbidden");
    if (error.status === 404 && notFound) return t(notFound);
    return t("error.generic", { message: error.message || error.id || String(error.status) });
  };
}

// One per-field problem in the page's language, by its type; a generic line when the type is
// unknown here (the server's words are English).
export function fieldMessage(detail) {
  const key = "fieldError." + detail.type;
  const known = t(key);
  return known !== key ? known : t("fieldError.generic");
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
