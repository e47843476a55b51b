// The client card's «Дела» tab (a contact's activities, planned first) and its «Запланировать
// дело…» button: a call with this contact or organisation, prefilled, in two clicks.

import { api, config, t, toast } from "./clients-common.js";
import { el } from "./okno-dom.js";
import { activityRow } from "./tasks-format.js";
import { planningDialogs } from "./tasks-dialogs.js";
import { planButton } from "./tasks-plan.js";

const ENTITY = config.entity === "organisation" ? "organisation" : "contact";
let shown = null; // the open tab's panel, redrawn after a change

const dialogs = planningDialogs({
  api, t, config, toast,
  onChanged: (activity, change) => {
    if (activity) toast(t("tasks.changed." + change, { subject: activity.subject }));
    if (shown && shown.isConnected) activitiesTab(shown, config.recordId);
  },
});

planButton(document.getElementById("card-plan"), dialogs, () => {
  const name = document.getElementById("card-title").textContent;
  const record = { id: config.recordId, name };
  return { kind: "call", subject: t("tasks.callBack", { name }), [ENTITY]: record,
    note: t("tasks.fromCard", { name }) };
});

export async function activitiesTab(panel, contactId) {
  shown = panel;
  const list = el("ul", { class: "task-list", id: "card-activities" });
  panel.replaceChildren(list);
  let page;
  try {
    page = await api("GET", `/api/v1/activities?contact_id=${contactId}&limit=100`);
  } catch (error) {
    list.append(el("li", { class: "empty" }, t("error.generic", { message: error.message || String(error) })));
    return;
  }
  if (!panel.contains(list)) return; // another tab was opened meanwhile
  const options = { t, locale: config.locale, timeZone: config.timeZone, actions: dialogs.actions, showResponsible: true };
  list.append(...page.items.map((a) => activityRow(a, options)));
  if (!page.items.length) list.append(el("li", { class: "empty" }, t("tasks.none")));
}
