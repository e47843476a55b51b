// The top bar both staff pages share: connection state and the presence switch.

const PRESENCE_KEY = "okno.presence";

export function storedPresence() {
  return localStorage.getItem(PRESENCE_KEY) || "online";
}

export class Topbar {
  constructor(t, toast) {
    this.t = t;
    this.toast = toast || (() => {});
    this.conn = document.getElementById("conn-status");
    this.select = document.getElementById("presence");
    this.live = null;
    this.select.value = storedPresence();
    this.select.addEventListener("change", () => this.choose(this.select.value));
  }

  attach(live) {
    this.live = live;
  }

  choose(presence) {
    localStorage.setItem(PRESENCE_KEY, presence);
    if (!this.live) return;
    this.live.presence = presence;
    if (!this.live.send({ type: "presence", presence })) this.toast(this.t("error.network"));
  }

  showPresence(presence) {
    if (presence === "online" || presence === "away") this.select.value = presence;
    document.body.dataset.presence = presence;
  }

  showStatus(status) {
    this.conn.dataset.state = status;
    this.conn.textContent = this.t("conn." + status);
  }
}
