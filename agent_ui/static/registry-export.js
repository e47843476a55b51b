// «Экспорт» links of a registry (contacts, organisations, deals): CSV or XLSX of exactly the
// rows the list shows, because the export URL is built from the very query the list asks
// (GET /api/v1/<list>/export takes the list's filters; only paging is dropped). The href is
// rebuilt on every load and again at the click, so it never lags behind the filters.

// Paging is the list's own business; the export goes through every page itself.
const PAGING = ["limit", "cursor"];

export function exportHref(listPath, query, format) {
  const params = new URLSearchParams(query);
  for (const name of PAGING) params.delete(name);
  params.set("format", format);
  return listPath + "/export?" + params.toString();
}

// `root` holds <a data-export-format="csv|xlsx">; `current()` gives {path, query} of the list
// as it is now. Returns refresh(), for the list to call after each load.
export function bindExport(root, current) {
  const links = root ? [...root.querySelectorAll("a[data-export-format]")] : [];
  const refresh = () => {
    const { path, query } = current();
    for (const link of links) link.href = exportHref(path, query, link.dataset.exportFormat);
  };
  for (const link of links) link.addEventListener("click", refresh);
  return refresh;
}
