// The workspace's live socket: reconnects with backoff and resumes from the last cursor it
// saw, dropping cursors it has already seen, so nothing shown live is lost or doubled.

const MAX_BACKOFF_MS = 15000;
const PING_EVERY_MS = 25000;
const PONG_WITHIN_MS = 10000;
const SEEN_LIMIT = 5000;

export class LiveSocket {
  // `cursor`: where the page's own snapshot stands (the event log's newest id when the page
  // was made), so the first hello resumes from it: a page that fetched its data before its
  // socket was up is replayed what happened meanwhile. Events at or below it are dropped
  // (the server's replay starts a little below for late commits): they were committed before
  // the page was made, so the data it fetched afterwards holds them, and replaying an old
  // state over a newer one would undo what changed since. Without it the first hello's
  // cursor is taken as is (the page fetches after the hello).
  constructor({ path, presence, cursor = null, onEvent, onHello, onResumed, onStatus, onMessage }) {
    this.path = path;
    this.presence = presence;
    this.handlers = { onEvent, onHello, onResumed, onStatus, onMessage };
    this.cursor = cursor; // the newest cursor seen; null until the first hello
    this.floor = cursor; // events at or below it are in the page's own data
    this.greeted = false;
    this.seen = new Set();
    this.attempts = 0;
    this.ws = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }

  start() {
    this.connect();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = this.presence ? "?presence=" + encodeURIComponent(this.presence) : "";
    return scheme + "//" + location.host + this.path + query;
  }

  connect() {
    this.status("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("message", (event) => this.receive(event.data));
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.stopPinging();
      this.status("offline");
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
      this.attempts += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  receive(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch (error) {
      return;
    }
    if (message.type === "hello") {
      this.attempts = 0;
      this.startPinging();
      const first = !this.greeted;
      this.greeted = true;
      if (this.cursor === null) this.cursor = message.cursor;
      else this.send({ type: "resume", cursor: this.cursor });
      this.status("live");
      if (this.handlers.onHello) this.handlers.onHello(message, first);
      window.dispatchEvent(new CustomEvent("okno:hello", { detail: message }));
    } else if (message.type === "event") {
      // Cursor 0: a transient signal (typing) that is never logged; it moves no cursor.
      if (message.cursor === 0) {
        if (this.handlers.onEvent) this.handlers.onEvent(message);
        return;
      }
      if (this.seen.has(message.cursor)) return;
      if (this.floor !== null && message.cursor <= this.floor) return;
      this.remember(message.cursor);
      if (this.handlers.onEvent) this.handlers.onEvent(message);
      // Page-wide listeners (the top bar's task badge, reminders) hear every logged event
      // whichever page owns the socket.
      window.dispatchEvent(new CustomEvent("okno:event", { detail: message }));
    } else if (message.type === "resumed") {
      this.cursor = Math.max(this.cursor, message.cursor);
      if (this.handlers.onResumed) this.handlers.onResumed(message);
    } else if (message.type === "pong") {
      clearTimeout(this.pongTimer);
    } else if (this.handlers.onMessage) {
      this.handlers.onMessage(message);
    }
  }

  remember(cursor) {
    this.seen.add(cursor);
    this.cursor = Math.max(this.cursor, cursor);
    if (this.seen.size > SEEN_LIMIT) {
      // The server replays at most a little below our cursor; older ones cannot come back.
      const floor = this.cursor - SEEN_LIMIT / 2;
      for (const old of this.seen) if (old < floor) this.seen.delete(old);
    }
  }

  startPinging() {
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      clearTimeout(this.pongTimer);
      // A connection that silently died never fires "close" until TCP gives up.
      this.pongTimer = setTimeout(() => this.ws && this.ws.close(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  stopPinging() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  status(state) {
    if (this.handlers.onStatus) this.handlers.onStatus(state);
  }
}
