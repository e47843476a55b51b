// The routing history as a person would tell it: durations in hours and minutes
// («5 ч 12 мин», «40 с», never «18000 с»), and a conversation offered round and round
// without anyone accepting it folded into one line with a count («предложен 4 раза»).

// 18720 -> "5 h 12 min"; 40 -> "40 s"; 125 -> "2 min 5 s"; 90000 -> "1 d 1 h".
export function formatDuration(totalSeconds, t) {
  const s = Math.max(0, Math.round(Number(totalSeconds) || 0));
  if (s < 60) return t("duration.seconds", { s });
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    return s % 60 && minutes < 10 ? t("duration.minutesSeconds", { m: minutes, s: s % 60 })
      : t("duration.minutes", { m: minutes });
  }
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return t("duration.days", { d: Math.floor(hours / 24), h: hours % 24 });
  return minutes % 60 ? t("duration.hoursMinutes", { h: hours, m: minutes % 60 })
    : t("duration.hours", { h: hours });
}

// The reasons that carry a number of seconds, and have a wording with a human duration.
const WITH_DURATION = new Set(["queue_alert", "timeout_moved"]);

// One step of a reason in the page's language; steps that carry seconds get the
// human-duration wording instead of the catalog's "{seconds} s" one.
export function reasonPartText(part, t) {
  const params = part.params || {};
  if (WITH_DURATION.has(part.code) && Object.prototype.hasOwnProperty.call(params, "seconds")) {
    return t("reasonHuman." + part.code, { ...params, duration: formatDuration(params.seconds, t) });
  }
  return t("reason." + part.code, params);
}

export function reasonText(decision, t) {
  if (!decision.reason_parts) return decision.reason;
  return decision.reason_parts.map((part) => reasonPartText(part, t)).join(", ");
}

function isReoffer(decision) {
  const first = decision.reason_parts && decision.reason_parts[0];
  return Boolean(first && first.code === "timeout_moved");
}

// Runs of consecutive re-offers (a timeout moved it on) become one entry: the last of the
// run stands for it (where it ended up, and why) with how many offers it folds.
export function foldDecisions(decisions) {
  const rows = [];
  for (const decision of decisions) {
    const last = rows[rows.length - 1];
    if (last && isReoffer(decision) && isReoffer(last.decision)) {
      last.count += 1;
      last.decision = decision;
    } else {
      rows.push({ decision, first: decision, count: 1 });
    }
  }
  return rows;
}

export function offeredTimes(count, t, locale) {
  const form = new Intl.PluralRules(locale).select(count);
  return t("routing.offered." + (["one", "few", "many"].includes(form) ? form : "other"), { n: count });
}
