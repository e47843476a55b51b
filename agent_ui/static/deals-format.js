// Money, durations and dates of the deals pages. Sums travel as strings with two decimals
// ("1250000.00"); they are added up in kopecks (integers), never as floats.

const OUTCOME_ORDER = { open: 0, won: 1, lost: 2 };

// Open stages in their order, then won, then lost: closed columns stand at the end.
export function orderedStages(stages) {
  return [...stages].sort((a, b) =>
    (OUTCOME_ORDER[a.outcome] ?? 0) - (OUTCOME_ORDER[b.outcome] ?? 0) || a.position - b.position);
}

const MONEY_LOCALE = "ru-RU"; // «1 250 000 ₽» whatever the page's language: rubles are Russian

export function toKopecks(amount) {
  if (amount === null || amount === undefined || amount === "") return 0;
  const text = String(amount).trim().replace(/\s/g, "").replace(",", ".");
  const match = /^(-?)(\d*)(?:\.(\d{0,2})\d*)?$/.exec(text);
  if (!match) return 0;
  const whole = Number(match[2] || "0");
  const kopecks = Number(((match[3] || "") + "00").slice(0, 2));
  return (match[1] ? -1 : 1) * (whole * 100 + kopecks);
}

export function fromKopecks(kopecks) {
  const sign = kopecks < 0 ? "-" : "";
  const abs = Math.abs(kopecks);
  return sign + String(Math.floor(abs / 100)) + "." + String(abs % 100).padStart(2, "0");
}

export function formatMoney(amount, currency = "RUB") {
  const kopecks = typeof amount === "number" ? amount : toKopecks(amount);
  const digits = kopecks % 100 === 0 ? 0 : 2;
  try {
    return new Intl.NumberFormat(MONEY_LOCALE, {
      style: "currency", currency: currency || "RUB",
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(kopecks / 100);
  } catch (error) {
    return fromKopecks(kopecks) + " " + (currency || "");
  }
}

// Sums per currency ({RUB: "1250.00", USD: "300.00"}) as kopecks per currency: a dollar is
// never added to a ruble. `addTo` changes one currency's sum in place.
export function sumsFrom(amounts, fallbackRubles) {
  const sums = {};
  const source = amounts || (fallbackRubles ? { RUB: fallbackRubles } : {});
  for (const [currency, amount] of Object.entries(source)) sums[currency] = toKopecks(amount);
  return sums;
}

export function addTo(sums, amount, currency, sign = 1) {
  const code = currency || "RUB";
  sums[code] = (sums[code] || 0) + sign * toKopecks(amount);
  if (sums[code] === 0 && code !== "RUB") delete sums[code];
}

// «1 250 000 ₽ + 300 $»: rubles first (also when there are none), then the other currencies.
export function formatSums(sums) {
  const others = Object.keys(sums).filter((code) => code !== "RUB" && sums[code] !== 0).sort();
  return [formatMoney(sums.RUB || 0, "RUB"), ...others.map((code) => formatMoney(sums[code], code))]
    .join(" + ");
}

// "3 d 4 h", "25 min": a stage's duration in the page's words.
export function formatDuration(seconds, t) {
  const minutes = Math.max(0, Math.floor((seconds || 0) / 60));
  if (minutes < 60) return t("time.minutes", { m: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t("time.hoursMinutes", { h: hours, m: minutes % 60 });
  return t("dealTime.daysHours", { d: Math.floor(hours / 24), h: hours % 24 });
}

export function formatDate(iso, locale) {
  if (!iso) return "";
  const date = new Date(iso.length === 10 ? iso + "T00:00:00" : iso);
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric" })
    .format(date);
}

export function formatDateTime(iso, locale) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

// Where a client, an organisation and a conversation are shown (the «Клиенты» pages and the
// workspace); kept in one place so the deals pages link the way those pages route.
export const links = {
  contact: (id) => "/clients/contacts/" + encodeURIComponent(id),
  organisation: (id) => "/clients/organisations/" + encodeURIComponent(id),
  conversation: (id) => "/#c" + encodeURIComponent(id),
  deal: (id) => "/deals/" + encodeURIComponent(id),
};
