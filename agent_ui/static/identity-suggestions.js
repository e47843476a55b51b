// Addresses Okno proposes for a client («ответил в переписке №N»): an unknown sender who
// answered in his e-mail thread. A person decides: «Это адрес клиента» makes it one of the
// client's addresses (his next mail from it finds him), «Не его» leaves it out for good.
// Shown on the workspace card and the full card page; values reach the page as text only.

import { el } from "./okno-dom.js";

// A section listing the open suggestions, or null when there are none.
//   decide(suggestion, "accept" | "dismiss"): calls the API; the caller redraws the card
//   from the card it answers.
export function suggestionsNode(card, { t, decide, explain, headingLevel = 3 }) {
  const open = card.suggestions || [];
  if (!open.length) return null;
  const status = el("p", { class: "suggestion-status", role: "status" });
  const rows = open.map((suggestion) => {
    const accept = el("button", { type: "button", class: "suggestion-accept" }, t("suggestion.accept"));
    const dismiss = el("button", { type: "button", class: "suggestion-dismiss" }, t("suggestion.dismiss"));
    const act = async (decision) => {
      accept.disabled = dismiss.disabled = true;
      status.textContent = "";
      try {
        await decide(suggestion, decision);
      } catch (error) {
        accept.disabled = dismiss.disabled = false;
        status.textContent = explain(error);
      }
    };
    accept.addEventListener("click", () => act("accept"));
    dismiss.addEventListener("click", () => act("dismiss"));
    return el("li", { class: "suggestion", dataset: { id: suggestion.id } },
      el("span", { class: "value" }, suggestion.value),
      suggestion.name ? el("span", { class: "label" }, suggestion.name) : null,
      el("span", { class: "label suggestion-reason" }, reasonText(suggestion, t)),
      el("span", { class: "suggestion-actions" }, accept, dismiss));
  });
  return el("section", { class: "card-suggestions" },
    el("h" + headingLevel, {}, t("suggestion.title")),
    el("ul", { class: "facts" }, rows), status);
}

function reasonText(suggestion, t) {
  if (suggestion.reason === "replied_in_conversation" && suggestion.conversation_id) {
    return t("suggestion.repliedIn", { n: suggestion.conversation_id });
  }
  return suggestion.reason;
}

// The API call behind a decision; answers the client's card as it now is.
export function decideSuggestion(api, suggestion, decision) {
  return api("POST", `/api/v1/identity-suggestions/${suggestion.id}/${decision}`, {});
}
