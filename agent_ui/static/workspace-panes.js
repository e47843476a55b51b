// Narrow screens: the workspace shows one pane at a time (list → conversation → card), which
// pane is `data-pane` on the workspace (workspace-narrow.css hides the others). A wide screen
// shows all three and ignores it.
//
// Going forward (opening a conversation, then its card) pushes a history entry on a narrow
// screen, so the phone's own back button steps back one pane; the panes' back buttons go
// through the same history when the entry is ours, so both ways agree.

// Keep in step with the media query of workspace-narrow.css.
const NARROW = "(max-width: 760px)";

export class Panes {
  constructor(root) {
    this.root = root;
    this.narrow = window.matchMedia(NARROW);
    for (const button of root.querySelectorAll("[data-pane-forward]")) {
      button.addEventListener("click", () => this.forward(button.dataset.paneForward));
    }
    for (const button of root.querySelectorAll("[data-pane-back]")) {
      button.addEventListener("click", () => this.back(button.dataset.paneBack));
    }
    window.addEventListener("popstate", (event) => {
      this.show((event.state && event.state.pane) || "list");
    });
  }

  get current() {
    return this.root.dataset.pane;
  }

  forward(pane) {
    if (this.current === pane) return;
    if (this.narrow.matches) history.pushState({ ...(history.state || {}), pane }, "");
    this.show(pane);
  }

  back(pane) {
    const ours = history.state && history.state.pane === this.current;
    if (this.narrow.matches && ours) history.back(); // popstate shows the pane before
    else this.show(pane);
  }

  show(pane) {
    if (this.current === pane) return;
    this.root.dataset.pane = pane;
    if (!this.narrow.matches) return;
    // The control just used has left the screen with its pane: focus goes where one reads
    // on (the conversation's title, the card's way back, the conversation one came from).
    const target = pane === "thread" ? this.root.querySelector("#thread-title")
      : pane === "card" ? this.root.querySelector(".card-pane .pane-back")
        : this.root.querySelector(".conv-item.active") || this.root.querySelector("#search-box");
    if (target) target.focus({ preventScroll: pane !== "list" });
  }
}
