// The on-call bar's transfer form: a colleague (with presence) or a typed extension, blind
// or attended when the PBX takes attended transfers.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";

export class TransferForm {
  constructor({ api, t, explain }) {
    Object.assign(this, { api, t, explain });
  }

  // Renders into `host`; resolves with {kind, target} once the PBX took the transfer,
  // or null when cancelled.
  open(call, host) {
    const t = this.t;
    return new Promise((resolve) => {
      let chosenUser = null;
      const list = el("ul", { class: "transfer-targets" });
      const input = el("input", { type: "text", class: "transfer-extension", inputmode: "numeric",
        autocomplete: "off", maxlength: "32", "aria-label": t("call.extension"),
        placeholder: t("call.orExtension") });
      const attended = el("input", { type: "checkbox", class: "transfer-attended" });
      const attendedRow = el("label", { class: "transfer-kind", hidden: true }, attended, " ", t("call.attended"));
      const error = el("p", { class: "transfer-error", role: "alert", hidden: true });
      const submit = el("button", { type: "submit", class: "primary" }, t("call.transfer"));
      const cancel = el("button", { type: "button", class: "transfer-cancel" }, t("call.cancel"));
      const form = el("form", { class: "transfer-form", "aria-label": t("call.transferTitle") },
        el("p", { class: "transfer-title" }, t("call.transferTitle")),
        list, input, attendedRow, error, el("div", { class: "transfer-actions" }, submit, cancel));
      clear(host).append(form);
      host.hidden = false;
      const close = (result) => { clear(host); host.hidden = true; resolve(result); };
      const fail = (message) => { error.textContent = message; error.hidden = false; };

      input.addEventListener("input", () => {
        chosenUser = null;
        for (const node of list.querySelectorAll(".chosen")) node.classList.remove("chosen");
      });
      cancel.addEventListener("click", () => close(null));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const extension = input.value.trim();
        if (!chosenUser && !/^\+?[0-9*#]{1,32}$/.test(extension)) { fail(t("call.invalidTarget")); return; }
        const body = chosenUser ? { user_id: chosenUser } : { extension };
        body.attended = !attendedRow.hidden && attended.checked;
        submit.disabled = true;
        try {
          const started = await this.api("POST", `/api/v1/calls/${call.id}/transfer`, body);
          close({ kind: started.kind, target: started.target });
        } catch (failure) {
          fail(this.explain(failure));
        } finally {
          submit.disabled = false;
        }
      });

      this.api("GET", `/api/v1/calls/${call.id}/transfer-targets`).then((targets) => {
        attendedRow.hidden = !targets.attended;
        const rows = items(targets);
        if (!rows.length) list.append(el("li", { class: "none" }, t("call.noTargets")));
        for (const target of rows) {
          const button = el("button", { type: "button", class: "transfer-target",
            dataset: { extension: target.extension, presence: target.presence } },
          el("span", { class: "value" }, target.user.name),
          el("span", { class: "label" }, " " + target.extension + " · "
            + t("presence." + target.presence) + (target.on_call ? " · " + t("call.busy") : "")));
          button.addEventListener("click", () => {
            for (const node of list.querySelectorAll(".chosen")) node.classList.remove("chosen");
            button.classList.add("chosen");
            chosenUser = target.user.id;
            input.value = target.extension;
          });
          list.append(el("li", {}, button));
        }
      }).catch((failure) => fail(this.explain(failure)));
      input.focus();
    });
  }
}
