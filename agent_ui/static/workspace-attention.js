// What tells the operator that work arrived while he looked elsewhere: the page title counts
// his conversations with unread client messages («(3) Диалоги · Okno»), and new work
// assigned to him or a new message in his conversations plays a short sound (served by
// Okno, /sounds/new-work.wav) and shows a browser notification while the tab is hidden.
// The mute toggle is remembered in localStorage.

const MUTE_KEY = "okno.workspace.muted";
const SOUND_URL = "/sounds/new-work.wav";

export function isUnread(conversation) {
  const last = conversation.last_message;
  if (!last || last.direction !== "in" || !last.id) return false;
  return last.id > (conversation.agent_read_up_to || 0);
}

export class Attention {
  constructor({ t }) {
    this.t = t;
    this.baseTitle = document.title;
    this.button = document.getElementById("btn-mute");
    this.muted = localStorage.getItem(MUTE_KEY) === "1";
    this.sound = null;
    this.button.addEventListener("click", () => this.setMuted(!this.muted));
    // Browsers grant notifications only from a user's gesture: ask on the first click.
    document.addEventListener("pointerdown", () => this.askPermission(), { once: true });
    this.showMuted();
  }

  setMuted(muted) {
    this.muted = muted;
    localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
    this.showMuted();
  }

  showMuted() {
    this.button.textContent = this.t(this.muted ? "mute.off" : "mute.on");
    this.button.setAttribute("aria-pressed", this.muted ? "true" : "false");
  }

  askPermission() {
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().catch(() => {});
    }
  }

  showUnread(count) {
    // «(3) Диалоги · Okno»: the number first, so it shows in a narrow browser tab.
    document.title = count > 0 ? `(${count}) ${this.baseTitle}` : this.baseTitle;
  }

  // Only while the tab is hidden: a visible page already shows the change.
  signal(title, body, tag) {
    if (this.muted || document.visibilityState === "visible") return;
    this.sound = this.sound || new Audio(SOUND_URL);
    this.sound.currentTime = 0;
    this.sound.play().catch(() => {}); // autoplay may be refused before any click
    if ("Notification" in window && Notification.permission === "granted") {
      const notification = new Notification(title, { body, tag });
      notification.onclick = () => { window.focus(); notification.close(); };
    }
  }
}
