// The options of a list field in its dialog: one input per option, added and removed in
// place. Every row keeps a `data-error-for="options.N"` slot, so the API's per-option
// problems (blank, listed twice) land beside the option they are about. Blank rows are sent
// as they are: dropping them here would shift the indices the server's errors refer to.

import { clear, el } from "./okno-dom.js";

export class OptionList {
  constructor(list, addButton, t) {
    Object.assign(this, { list, t });
    addButton.addEventListener("click", () => {
      this.add("");
      this.list.lastElementChild.querySelector("input").focus();
    });
  }

  set(values) {
    clear(this.list);
    for (const value of values) this.add(value);
    if (!values.length) this.add("");
  }

  values() {
    return [...this.list.querySelectorAll("input")].map((input) => input.value.trim());
  }

  add(value) {
    const input = el("input", { maxlength: 200, autocomplete: "off", dataset: { option: "" } });
    input.value = value;
    const remove = el("button", { type: "button", class: "option-remove" }, "×");
    const row = el("li", { class: "field option-row" },
      el("div", { class: "option-line" }, input, remove), el("span", { class: "field-error" }));
    remove.addEventListener("click", () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      this.renumber();
      if (next) next.querySelector("input").focus();
    });
    this.list.append(row);
    this.renumber();
  }

  // Labels and error slots follow the rows' places, as the server counts them.
  renumber() {
    [...this.list.children].forEach((row, index) => {
      row.querySelector("input").setAttribute("aria-label", this.t("fields.option", { n: index + 1 }));
      row.querySelector("button").setAttribute("aria-label", this.t("fields.optionRemove", { n: index + 1 }));
      row.querySelector(".field-error").dataset.errorFor = "options." + index;
    });
  }
}
