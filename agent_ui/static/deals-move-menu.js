// A deal card's «Move» menu: the other stages as menu items; ↑/↓ walk them (wrapping round),
// Enter or a click picks one, Escape or a click elsewhere closes it.

import { el } from "./okno-dom.js";

function close(menu, refocus) {
  const button = menu.parentElement && menu.parentElement.querySelector(".deal-move-button");
  menu.remove();
  if (button) {
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }
}

export function closeMenusOnOutsideClick(root) {
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest(".move-menu, .deal-move-button")) return;
    for (const menu of root.querySelectorAll(".move-menu")) close(menu, false);
  });
}

export function toggleMoveMenu({ cardNode, button, label, stages, onPick }) {
  const existing = cardNode.querySelector(".move-menu");
  if (existing) {
    close(existing, false);
    return;
  }
  const menu = el("ul", { class: "move-menu", role: "menu", "aria-label": label },
    stages.map((stage) => el("li", { role: "none" }, el("button", {
      type: "button", role: "menuitem", class: "move-item", dataset: { stageId: stage.id, outcome: stage.outcome },
    }, stage.name))));
  menu.addEventListener("click", (event) => {
    event.stopPropagation();
    const item = event.target.closest(".move-item");
    if (!item) return;
    close(menu, false);
    onPick(Number(item.dataset.stageId));
  });
  menu.addEventListener("keydown", (event) => {
    const itemsList = [...menu.querySelectorAll(".move-item")];
    const index = itemsList.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close(menu, true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = (index + (event.key === "ArrowDown" ? 1 : itemsList.length - 1)) % itemsList.length;
      itemsList[next].focus();
    }
  });
  button.setAttribute("aria-expanded", "true");
  cardNode.append(menu);
  const first = menu.querySelector(".move-item");
  if (first) first.focus();
}
