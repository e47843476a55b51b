// Okno's website chat, one line on any page:
//   <script src="OKNO-ADDRESS/widget/NAME.js" async></script>
// A button in the corner opens the chat. It lives in a Shadow DOM (the page's CSS and ours
// never meet), writes every text with textContent, and talks to Okno over a websocket. The
// visitor's random token stays in this site's localStorage, so the history survives reloads;
// it travels in the first frame, never in a URL.
(function (config) {
  "use strict";
  var flag = "__oknoWidget_" + config.name;
  if (window[flag]) return; // the snippet pasted twice
  window[flag] = true;

  var PING_MS = 25000;
  var TYPING_MS = 2000;
  var TYPING_SHOWN_MS = 5000;
  var MAX_BACKOFF_MS = 30000;

  var state = {
    open: false, online: true, offlineForm: true, welcomed: false, view: "chat",
    agentRead: 0, clientRead: 0, attempts: 0, ws: null, typingSentAt: 0, maxChars: 4000,
  };
  var messages = {}; // id -> message
  var nodes = {}; // "id:N" or "c:CLIENT_ID" -> <li>
  var outbox = []; // frames sent but not acknowledged, resent after a reconnect
  var timers = {};

  function t(key, params) {
    var text = config.strings[key] || key;
    return text.replace(/\{(\w+)\}/g, function (match, name) {
      return params && name in params ? String(params[name]) : match;
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var store = {
    get: function () { try { return localStorage.getItem(config.storageKey); } catch (e) { return null; } },
    set: function (value) { try { localStorage.setItem(config.storageKey, value); } catch (e) { /* private mode */ } },
  };

  // --- the widget's DOM ---------------------------------------------------------------
  var host = el("div", { "data-okno-widget": config.name });
  host.style.display = "none"; // until our stylesheet is in (CSSOM, allowed by strict CSPs)
  var root = host.attachShadow({ mode: "open" });
  var sheet = el("link", { rel: "stylesheet", href: config.stylesheet });
  sheet.addEventListener("load", function () { host.style.display = ""; });
  root.appendChild(sheet);

  var badge = el("span", { "class": "badge", hidden: "" });
  var launcher = el("button", { type: "button", "class": "launcher", "aria-label": t("widget.open"),
    title: t("widget.open") }, [el("span", { "class": "launcher-icon", "aria-hidden": "true" }), badge]);
  var title = el("div", { "class": "title", text: config.title || "" });
  var status = el("div", { "class": "status", "data-state": "connecting", text: t("widget.reconnecting") });
  var closer = el("button", { type: "button", "class": "close", "aria-label": t("widget.close"),
    title: t("widget.close"), text: "×" });
  var header = el("header", {}, [el("div", { "class": "heading" }, [title, status]), closer]);
  var welcome = el("p", { "class": "welcome", text: t("widget.welcome") });
  var list = el("ol", { "class": "messages", role: "log", "aria-live": "polite" });
  var typing = el("p", { "class": "typing", hidden: "" });
  var notice = el("p", { "class": "notice", role: "status", hidden: "" });
  var scroller = el("div", { "class": "scroller" }, [welcome, list, typing]);

  var text = el("textarea", { rows: "1", "aria-label": t("widget.placeholder"), placeholder: t("widget.placeholder") });
  var send = el("button", { type: "submit", "class": "send", "aria-label": t("widget.send"), title: t("widget.send") });
  var composer = el("form", { "class": "composer" }, [text, send]);
  var contactsLink = el("button", { type: "button", "class": "link", text: t("widget.leaveContacts") });

  function field(name, label, type) {
    var input = type === "textarea" ? el("textarea", { name: name, rows: "3" })
      : el("input", { name: name, type: type, autocomplete: { name: "name", phone: "tel", email: "email" }[name] || "off" });
    return el("label", { "class": "field" }, [el("span", { text: label }), input]);
  }

  function requestForm(kind) {
    var form = el("form", { "class": "request " + kind, hidden: "" }, [
      el("p", { "class": "intro", text: t(kind === "offline" ? "widget.offlineIntro" : "widget.contactsIntro") }),
      field("name", t("widget.name"), "text"),
      field("phone", t("widget.phone"), "tel"),
      field("email", t("widget.email"), "email"),
      kind === "offline" ? field("text", t("widget.message"), "textarea") : null,
      el("p", { "class": "actions" }, [
        el("button", { type: "submit", "class": "primary", text: t("widget.submit") }),
        kind === "contacts" ? el("button", { type: "button", "class": "link cancel", text: t("widget.cancel") }) : null,
      ]),
    ]);
    form.addEventListener("submit", function (event) { event.preventDefault(); submitRequest(kind, form); });
    var cancel = form.querySelector(".cancel");
    if (cancel) cancel.addEventListener("click", function () { show("chat"); });
    return form;
  }

  var contactsForm = requestForm("contacts");
  var offlineForm = requestForm("offline");
  var footer = el("footer", {}, [notice, composer, contactsLink, contactsForm, offlineForm]);
  var panel = el("section", { "class": "panel", role: "dialog", "aria-label": config.title || t("widget.open"), hidden: "" },
    [header, scroller, footer]);
  root.appendChild(panel);
  root.appendChild(launcher);

  // --- showing things -----------------------------------------------------------------
  function show(view) {
    state.view = view;
    var offline = !state.online && state.offlineForm;
    var mode = view === "contacts" ? "contacts" : offline ? "offline" : "chat";
    composer.hidden = mode !== "chat";
    contactsLink.hidden = mode !== "chat";
    contactsForm.hidden = mode !== "contacts";
    offlineForm.hidden = mode !== "offline";
    panel.setAttribute("data-mode", mode);
  }

  function showStatus(kind) {
    status.setAttribute("data-state", kind);
    status.textContent = kind === "connecting" ? t("widget.reconnecting")
      : t(kind === "online" ? "widget.online" : "widget.offline");
  }

  function say(message) {
    notice.textContent = message;
    notice.hidden = !message;
    clearTimeout(timers.notice);
    if (message) timers.notice = setTimeout(function () { notice.hidden = true; }, 8000);
  }

  function body(message) {
    if (message.text) return message.text;
    var details = message.contact_details || {};
    var parts = ["name", "phone", "email"].map(function (k) { return details[k]; }).filter(Boolean);
    return t("widget.contactDetails", { details: parts.join(", ") });
  }

  function tick(message) {
    if (!message.mine) return null;
    var kind = message.failed ? "failed" : !message.id ? "sending"
      : message.id <= state.agentRead ? "read" : "sent";
    var label = t("widget." + kind);
    var marks = { sending: "…", sent: "✓", read: "✓✓", failed: "!" }[kind];
    return el("span", { "class": "tick", "data-state": kind, title: label, "aria-label": label, text: marks });
  }

  function render(message) {
    var meta = el("span", { "class": "meta" }, [
      message.mine ? null : el("span", { "class": "author", text: message.author || t("widget.operator") }),
      el("time", { text: message.at ? new Date(message.at).toLocaleTimeString(config.lang, { hour: "2-digit", minute: "2-digit" }) : "" }),
      tick(message),
    ]);
    var item = el("li", { "class": "msg " + (message.mine ? "mine" : "theirs") },
      [el("div", { "class": "text", text: body(message) }), meta]);
    if (message.id) item.setAttribute("data-id", String(message.id));
    return item;
  }

  function place(message) {
    var key = message.id ? "id:" + message.id : "c:" + message.client_id;
    var pendingKey = message.client_id ? "c:" + message.client_id : null;
    var old = nodes[key] || (pendingKey && nodes[pendingKey]);
    var node = render(message);
    if (pendingKey && nodes[pendingKey] && message.id) delete nodes[pendingKey];
    nodes[key] = node;
    var nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    if (old) {
      old.replaceWith(node);
    } else if (message.id) {
      var next = null;
      var children = list.children;
      for (var i = 0; i < children.length; i += 1) {
        var id = Number(children[i].getAttribute("data-id") || Infinity);
        if (id > message.id) { next = children[i]; break; }
      }
      list.insertBefore(node, next);
    } else {
      list.appendChild(node);
    }
    welcome.hidden = list.children.length > 0 && !config.welcome;
    if (nearBottom || message.mine) scroller.scrollTop = scroller.scrollHeight;
  }

  function upsert(message) {
    var known = messages[message.id];
    messages[message.id] = message;
    place(message);
    if (!message.mine && !known) {
      typing.hidden = true;
      if (!seeing()) setUnread();
      else markRead();
    }
  }

  function refreshTicks() {
    Object.keys(messages).forEach(function (id) { if (messages[id].mine) place(messages[id]); });
  }

  function newestTheirs() {
    var newest = 0;
    Object.keys(messages).forEach(function (id) { if (!messages[id].mine) newest = Math.max(newest, Number(id)); });
    return newest;
  }

  function setUnread() {
    var count = 0;
    Object.keys(messages).forEach(function (id) {
      if (!messages[id].mine && Number(id) > state.clientRead) count += 1;
    });
    badge.hidden = count === 0 || state.open;
    badge.textContent = count > 9 ? "9+" : String(count);
    launcher.setAttribute("aria-label", count ? t("widget.unread", { n: count }) : t("widget.open"));
  }

  function seeing() {
    return state.open && document.visibilityState === "visible";
  }

  function markRead() {
    var newest = newestTheirs();
    if (!seeing() || newest <= state.clientRead) return;
    if (transmit({ type: "read", up_to: newest })) state.clientRead = newest;
    setUnread();
  }

  // --- the socket -----------------------------------------------------------------------
  function transmit(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN && state.welcomed) {
      state.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    showStatus("connecting");
    var ws = new WebSocket(config.ws);
    state.ws = ws;
    state.welcomed = false;
    ws.addEventListener("open", function () {
      ws.send(JSON.stringify({ type: "hello", token: store.get() || undefined, page_url: location.href.slice(0, 2000) }));
    });
    ws.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      receive(frame);
    });
    ws.addEventListener("close", function () {
      if (state.ws !== ws) return;
      clearInterval(timers.ping);
      state.welcomed = false;
      showStatus("connecting");
      var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, state.attempts)) * (0.5 + Math.random() / 2);
      state.attempts += 1;
      setTimeout(connect, delay);
    });
  }

  function receive(frame) {
    if (frame.type === "welcome") {
      store.set(frame.token);
      state.welcomed = true;
      state.attempts = 0;
      state.offlineForm = frame.offline_form;
      state.maxChars = frame.max_message_chars || state.maxChars;
      if (frame.title) { title.textContent = frame.title; panel.setAttribute("aria-label", frame.title); }
      if (frame.welcome_message) { welcome.textContent = frame.welcome_message; config.welcome = true; }
      state.agentRead = Math.max(state.agentRead, frame.read.agent || 0);
      state.clientRead = Math.max(state.clientRead, frame.read.client || 0);
      frame.messages.forEach(function (m) { messages[m.id] = m; place(m); });
      setOnline(frame.online);
      setUnread();
      markRead();
      outbox.forEach(function (f) { state.ws.send(JSON.stringify(f)); });
      clearInterval(timers.ping);
      timers.ping = setInterval(function () { transmit({ type: "ping" }); }, PING_MS);
    } else if (frame.type === "message") {
      upsert(frame.message);
    } else if (frame.type === "ack") {
      outbox = outbox.filter(function (f) { return f.client_id !== frame.client_id; });
      if (frame.message) upsert(frame.message);
    } else if (frame.type === "read") {
      if (frame.by === "agent") { state.agentRead = Math.max(state.agentRead, frame.up_to); refreshTicks(); }
      else { state.clientRead = Math.max(state.clientRead, frame.up_to); setUnread(); }
    } else if (frame.type === "typing") {
      typing.textContent = frame.name ? t("widget.typing", { name: frame.name }) : t("widget.typingAnon");
      typing.hidden = false;
      clearTimeout(timers.typing);
      timers.typing = setTimeout(function () { typing.hidden = true; }, TYPING_SHOWN_MS);
    } else if (frame.type === "status") {
      setOnline(frame.online);
    } else if (frame.type === "error") {
      refused(frame);
    }
  }

  function refused(frame) {
    if (frame.client_id) {
      outbox = outbox.filter(function (f) { return f.client_id !== frame.client_id; });
      var node = nodes["c:" + frame.client_id];
      if (node && node.pendingMessage) { node.pendingMessage.failed = true; place(node.pendingMessage); }
    }
    if (frame.id === "too-long") say(t("widget.tooLong", { limit: frame.limit || state.maxChars }));
    else if (frame.id === "rate-limited") say(t("widget.rateLimited"));
    else say(t("widget.error", { message: frame.message || frame.id }));
  }

  function setOnline(online) {
    state.online = Boolean(online);
    showStatus(state.online ? "online" : "offline");
    show(state.view === "contacts" ? "contacts" : "chat");
  }

  // --- what the visitor does ------------------------------------------------------------
  function queue(frame, local) {
    outbox.push(frame);
    if (local) {
      place(local);
      nodes["c:" + local.client_id].pendingMessage = local;
    }
    transmit(frame);
  }

  function sendText() {
    var value = text.value.trim();
    if (!value) return;
    if (value.length > state.maxChars) { say(t("widget.tooLong", { limit: state.maxChars })); return; }
    var id = uuid();
    queue({ type: "message", client_id: id, text: value }, { client_id: id, mine: true, text: value, at: new Date().toISOString() });
    text.value = "";
    state.typingSentAt = 0; // a new message: the next keystroke says "typing" again
    say("");
  }

  function submitRequest(kind, form) {
    var value = function (name) { var f = form.querySelector("[name=" + name + "]"); return f ? f.value.trim() : ""; };
    var frame = { type: kind === "offline" ? "offline" : "contact", client_id: uuid(),
      name: value("name"), phone: value("phone"), email: value("email") };
    if (kind === "offline" && !frame.name) { say(t("widget.needName")); return; }
    if (!frame.phone && !frame.email) { say(t("widget.needContact")); return; }
    if (kind === "offline") {
      frame.text = value("text");
      if (!frame.text) { say(t("widget.needText")); return; }
    }
    var local = { client_id: frame.client_id, mine: true, text: frame.text || "", at: new Date().toISOString(),
      contact_details: { name: frame.name, phone: frame.phone, email: frame.email } };
    queue(frame, local);
    form.reset();
    say(t(kind === "offline" ? "widget.requestSent" : "widget.contactsSaved"));
    if (kind === "contacts") show("chat");
  }

  composer.addEventListener("submit", function (event) { event.preventDefault(); sendText(); });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendText(); }
  });
  text.addEventListener("input", function () {
    var now = Date.now();
    if (text.value.trim() && now - state.typingSentAt > TYPING_MS && transmit({ type: "typing" })) state.typingSentAt = now;
  });
  contactsLink.addEventListener("click", function () { show("contacts"); });
  launcher.addEventListener("click", function () { toggle(!state.open); });
  closer.addEventListener("click", function () { toggle(false); });
  document.addEventListener("visibilitychange", markRead);

  function toggle(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    setUnread();
    if (open) {
      scroller.scrollTop = scroller.scrollHeight;
      markRead();
      if (!composer.hidden) text.focus();
    }
  }

  function mount() {
    document.body.appendChild(host);
    connect();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})(__OKNO_CONFIG__);
