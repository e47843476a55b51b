// On a phone (workspace-narrow.css) a table of the staff pages is drawn as one card per row,
// its head hidden; each cell then shows its column's heading before its value. The headings
// are copied here from the table's head into the cells' data-label, again whenever rows come
// or go (the pages draw their rows after the data arrives, and live events redraw them).

const TABLES = "table.admin-table, table.report-table";

function labelCells(table) {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const section of [...table.tBodies, table.tFoot].filter(Boolean)) {
    for (const row of section.rows) {
      for (const cell of row.cells) {
        // A cell spanning columns (an "empty" line) has no single heading, and a row's own
        // heading (a day, an operator, «Итого») is the card's title.
        const label = cell.colSpan === 1 && cell.tagName === "TD" ? heads[cell.cellIndex] : "";
        if (label && cell.dataset.label !== label) cell.dataset.label = label;
      }
    }
  }
}

function relabel() {
  for (const table of document.querySelectorAll(TABLES)) labelCells(table);
}

export function labelTablesForPhones() {
  relabel();
  // Only changes inside a table matter: a clock ticking elsewhere costs nothing here.
  new MutationObserver((records) => {
    if (records.some((r) => r.target.nodeType === 1 && r.target.closest("table"))) relabel();
  }).observe(document.body, { childList: true, subtree: true });
}
