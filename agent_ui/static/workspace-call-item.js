// A call as an item of the client's history (a system message carrying meta.call):
// direction, outcome, who answered, waiting and talking time, transfer, recording link.

import { el } from "./okno-dom.js";

export function duration(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  const minutes = Math.floor(total / 60);
  return minutes + ":" + String(total % 60).padStart(2, "0");
}

// Only links the hub itself would make: http(s) or a path on this site.
function safeUrl(url) {
  return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
}

export function callOf(message) {
  return message && message.meta && message.meta.call ? message.meta.call : null;
}

export function callDetails(call, t) {
  const number = call.client_number || call.caller || "";
  const outcome = call.outcome ? t("call.outcome." + call.outcome) : t("call.inProgress");
  const answerer = call.answered_by
    ? (call.answered_by.user ? call.answered_by.user.name : call.answered_by.extension) : null;
  const facts = [
    answerer ? t("call.answeredBy", { name: answerer }) : null,
    call.wait_s !== null && call.wait_s !== undefined ? t("call.waited", { duration: duration(call.wait_s) }) : null,
    call.talk_s !== null && call.talk_s !== undefined ? t("call.talked", { duration: duration(call.talk_s) }) : null,
    call.transferred_to ? t("call.transferredTo", { target: call.transferred_to }) : null,
  ].filter(Boolean);
  const recording = safeUrl(call.recording_url);
  return el("div", { class: "call-item", dataset: { direction: call.direction, outcome: call.outcome || "live" } },
    el("div", { class: "call-item-head" },
      el("span", { class: "call-direction" }, t("call.direction." + call.direction)),
      number ? el("span", { class: "call-number" }, " " + number) : null,
      el("span", { class: "call-outcome" }, " · " + outcome)),
    facts.length ? el("div", { class: "call-facts" }, facts.join(" · ")) : null,
    recording ? el("a", { class: "call-recording", href: recording, target: "_blank", rel: "noopener noreferrer" },
      t("call.recording")) : null);
}
