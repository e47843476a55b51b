// «Two clicks» planning from where the work is: a button opens the activity dialog already
// filled (kind, subject, tomorrow at 11:00, the client, organisation, deal, conversation);
// «Запланировать» saves it.

import { planningDialogs } from "./tasks-dialogs.js";

// `prefill()` says what to fill from the page's current record, or null when there is none.
export function planButton(button, dialogs, prefill) {
  if (!button) return;
  button.addEventListener("click", () => {
    const values = prefill();
    if (values) dialogs.create.open(values);
  });
}

// The dialogs of a page that only plans (a card, a deal): changes are told in a toast.
export function quietDialogs({ api, t, config, toast }) {
  return planningDialogs({
    api, t, config, toast,
    onChanged: (activity, change) => {
      if (activity) toast(t("tasks.changed." + change, { subject: activity.subject }));
    },
  });
}
