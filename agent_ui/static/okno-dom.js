// Small DOM and text helpers. Every piece of data reaches the page through textContent,
// never through innerHTML, so whatever a client writes is shown as text.

export function readConfig() {
  const block = document.getElementById("okno-config");
  return block ? JSON.parse(block.textContent) : {};
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "hidden") node.hidden = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren(); // all at once: removing them one by one costs a mutation each
  return node;
}

// translator(strings)(key, {name: "Anna"}) -> the translation of key, {name} filled in.
export function translator(strings) {
  return (key, params = {}) => {
    const template = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    return template.replace(/\{(\w+)\}/g, (match, name) =>
      Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match);
  };
}

// Making an Intl.DateTimeFormat costs far more than using one (a list of 500 conversations
// spent most of its drawing making them), so each locale's two are made once.
const timeFormats = new Map();

function timeFormat(locale, sameDay) {
  const key = locale + (sameDay ? "|time" : "|date");
  let format = timeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, sameDay
      ? { hour: "2-digit", minute: "2-digit" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    timeFormats.set(key, format);
  }
  return format;
}

export function formatTime(iso, locale) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date();
  const sameDay = date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth()
    && date.getDate() === today.getDate();
  return timeFormat(locale, sameDay).format(date);
}

// "5 min", "2 h 10 min": how long since `iso`, in the page's words.
export function formatWaiting(iso, t, now = Date.now()) {
  if (!iso) return "";
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
  if (minutes < 1) return t("time.justNow");
  if (minutes < 60) return t("time.minutes", { m: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t("time.hoursMinutes", { h: hours, m: minutes % 60 });
  return t("time.days", { d: Math.floor(hours / 24) });
}

export function localizeTimes(root, locale) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    node.textContent = formatTime(node.getAttribute("datetime"), locale);
  }
}

// ← and → move between the tabs of a tablist (and open the one reached), as WAI-ARIA has it.
export function arrowTabs(tablist) {
  tablist.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const tabs = [...tablist.querySelectorAll("[role=tab]")];
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const next = tabs[(at + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    event.preventDefault();
    next.focus();
    next.click();
  });
}
