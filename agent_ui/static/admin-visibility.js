// «Видимость CRM»: which clients and deals operators and supervisors see (own, team, all),
// read from and saved to /api/v1/crm-visibility. Supervisors are offered team or all; "own"
// is shown for them only when it is what is stored (set through the API), so the page never
// hides the current setting.

import {
  api, clearFieldErrors, explain, localPairs, showFieldErrors, startLive, t, toast,
} from "./admin-page.js";

const ROLES = ["operator", "supervisor"];
const form = document.getElementById("visibility-form");
const errorNode = document.getElementById("visibility-error");
const statusNode = document.getElementById("visibility-status");
const saveButton = document.getElementById("visibility-save");
let stored = null;

function chosen(role) {
  const checked = form.querySelector(`input[name="${role}"]:checked`);
  return checked ? checked.value : null;
}

function show(scopes) {
  stored = scopes;
  form.querySelector("[data-scope-own]").hidden = scopes.supervisor !== "own";
  for (const role of ROLES) {
    for (const radio of form.querySelectorAll(`input[name="${role}"]`)) radio.checked = radio.value === scopes[role];
  }
  saveButton.disabled = true;
}

function setStatus(state) {
  statusNode.dataset.state = state || "";
  statusNode.textContent = state ? t("visibility.status." + state) : "";
}

async function load() {
  show(await api("GET", "/api/v1/crm-visibility"));
}

form.addEventListener("change", () => {
  const dirty = ROLES.some((role) => chosen(role) !== stored[role]);
  saveButton.disabled = !dirty;
  setStatus(dirty ? "dirty" : null);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFieldErrors(form);
  errorNode.hidden = true;
  saveButton.disabled = true;
  setStatus("saving");
  try {
    const body = Object.fromEntries(ROLES.map((role) => [role, chosen(role)]).filter(([, scope]) => scope));
    show(await api("PUT", "/api/v1/crm-visibility", body));
    setStatus("saved");
    toast(t("visibility.saved"));
  } catch (error) {
    setStatus("error");
    const pairs = localPairs(error);
    const unplaced = showFieldErrors(form, pairs);
    errorNode.textContent = unplaced.length || !pairs.length ? explain(error) : t("admin.checkFields");
    errorNode.hidden = false;
    saveButton.disabled = false;
  }
});

startLive(() => {}, () => load().catch((error) => toast(explain(error))));
load().catch((error) => toast(explain(error)));
