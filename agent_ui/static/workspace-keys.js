// The workspace's keyboard: Alt+↓/Alt+↑ (anywhere) or J/K (when not typing) move between
// conversations, R and N start a reply or a note, Alt+C closes the conversation, Esc leaves
// the text box, «?» opens the help dialog listing them. Ctrl+Enter (send) lives in the
// composer. Letters never act while the operator types, so they cannot eat his text.

function typing(target) {
  return Boolean(target && (target.isContentEditable
    || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)));
}

export class Keys {
  constructor({ thread, move }) {
    Object.assign(this, { thread, move });
    this.help = document.getElementById("keys-dialog");
    document.getElementById("btn-keys").addEventListener("click", () => this.showHelp());
    document.getElementById("keys-close").addEventListener("click", () => this.help.close());
    document.addEventListener("keydown", (event) => this.onKey(event));
  }

  showHelp() {
    if (!this.help.open) this.help.showModal();
  }

  compose(mode) {
    if (this.thread.conversationId === null) return;
    const radio = this.thread.form.querySelector(`input[name=mode][value=${mode}]`);
    if (!radio.checked) {
      radio.checked = true;
      this.thread.showMode();
    }
    this.thread.text.focus();
  }

  onKey(event) {
    if (event.defaultPrevented || document.querySelector("dialog[open]")) return;
    const key = event.key;
    if (event.altKey && !event.ctrlKey && (key === "ArrowDown" || key === "ArrowUp")) {
      event.preventDefault();
      this.move(key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (event.altKey && !event.ctrlKey && event.code === "KeyC") {
      event.preventDefault();
      if (!this.thread.buttons.close.hidden) this.thread.buttons.close.click();
      return;
    }
    if (typing(event.target)) {
      if (key === "Escape") event.target.blur();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const actions = {
      j: () => this.move(1),
      k: () => this.move(-1),
      r: () => this.compose("reply"),
      n: () => this.compose("note"),
      "?": () => this.showHelp(),
    };
    const action = actions[key.length === 1 ? key.toLowerCase() : key]
      || actions[{ KeyJ: "j", KeyK: "k", KeyR: "r", KeyN: "n" }[event.code]];
    if (!action) return;
    event.preventDefault();
    action();
  }
}
