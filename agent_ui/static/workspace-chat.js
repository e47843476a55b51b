// Chat signals of the open conversation: the client's "typing…", their read marks on our
// replies, and ours on theirs (sent while the conversation is open and the tab visible),
// plus our own "typing" for website-chat visitors. Typing is throttled to one per 2 s.

const TYPING_EVERY_MS = 2000;
const READ_DELAY_MS = 300;

export class ChatSignals {
  constructor({ live, thread }) {
    Object.assign(this, { live, thread });
    this.typingSentAt = 0;
    this.readSent = new Map(); // conversation id -> newest inbound id reported read
    this.readTimer = null;
    thread.onShown = (message) => { if (message.direction === "in") this.readSoon(); };
    thread.text.addEventListener("input", () => this.typed());
    document.addEventListener("visibilitychange", () => this.readSoon());
    window.addEventListener("focus", () => this.readSoon());
    // Read marks travel on the socket: one opened before it was up (the list comes before the
    // socket's hello) or while it was away is reported when it is back.
    window.addEventListener("okno:hello", () => this.readSoon());
  }

  onEvent(event) {
    const payload = event.payload || {};
    if (payload.conversation_id !== this.thread.conversationId) return;
    if (event.kind === "typing" && payload.by === "client") this.thread.showTyping();
    else if (event.kind === "conversation.read" && payload.by === "client") this.thread.setClientRead(payload.up_to);
  }

  typed() {
    const id = this.thread.conversationId;
    const now = Date.now();
    if (id === null || this.thread.mode() !== "reply" || !this.thread.text.value.trim()) return;
    if (now - this.typingSentAt < TYPING_EVERY_MS) return;
    if (this.live.send({ type: "typing", conversation_id: id })) this.typingSentAt = now;
  }

  readSoon() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.reportRead(), READ_DELAY_MS);
  }

  reportRead() {
    const id = this.thread.conversationId;
    if (id === null || document.visibilityState !== "visible" || this.thread.pending) return;
    let newest = 0;
    for (const message of this.thread.messages.values()) {
      if (message.direction === "in" && message.id > newest) newest = message.id;
    }
    const conversation = this.thread.conversation;
    const known = Math.max(this.readSent.get(id) || 0, (conversation && conversation.agent_read_up_to) || 0);
    if (newest <= known) return;
    if (this.live.send({ type: "read", conversation_id: id, up_to: newest })) this.readSent.set(id, newest);
  }
}
