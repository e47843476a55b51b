// How an absence reads in a sentence: «Ольга Иванова в отпуске до 11.12.» (the planner) and
// «Отпуск до 11.12» (a band's tooltip). Dates are plain "YYYY-MM-DD" days of the absent
// person, so they are formatted as UTC days, never shifted by the reader's zone.

export function shortDay(key, locale) {
  const [y, m, d] = key.split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "2-digit", month: "2-digit" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

// away: one entry of free/busy's `away` ({kind, until}).
export function awayLine(t, locale, name, away) {
  return t("absence.until." + away.kind, { name, until: shortDay(away.until, locale) });
}
