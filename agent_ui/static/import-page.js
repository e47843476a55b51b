// «Импорт»: choose what to import and a CSV or XLSX file → upload (multipart, with the
// session's CSRF token) → the file's columns with Okno's fields pre-set → start → the
// progress bar and the report (import-progress.js). The address keeps ?job=<id>, so a
// reload reopens the same import where it is. Every value from the file reaches the page as
// text (el / textContent).

import { ApiError, fetchApi } from "./okno-api.js";
import { api, config, explain as explainCommon, getJson, startLive, t } from "./clients-common.js";
import { formatSize } from "./workspace-files.js";
import { MappingTable } from "./import-mapping.js";
import { ImportProgress } from "./import-progress.js";

const node = (id) => document.getElementById(id);
const form = node("import-form");
const entitySelect = node("import-entity");
const fileInput = node("import-file");
const uploadButton = node("import-upload");
const errorNode = node("import-error");
const fileStep = node("import-step-file");
const mappingStep = node("import-step-mapping");
const startButton = node("import-start");

const mapping = new MappingTable({
  t, admin: Boolean(config.admin), body: node("import-columns-rows"), errorNode: node("import-mapping-error"),
});

// An import's own errors in the page's language; the clients' pages' words for the rest.
function explain(error) {
  if (error instanceof ApiError) {
    if (error.status === 413 || error.id === "file-too-large") {
      return t("importError.file-too-large", { max: formatSize(config.maxUploadBytes, t) });
    }
    const key = "importError." + error.id;
    const known = t(key);
    if (known !== key) return known;
  }
  return explainCommon(error);
}

const progress = new ImportProgress({ t, getJson, explain });

function showError(message) {
  errorNode.textContent = message;
  errorNode.hidden = !message;
}

function remember(entity, jobId) {
  const query = new URLSearchParams({ entity });
  if (jobId) query.set("job", String(jobId));
  history.replaceState(null, "", "/import?" + query.toString());
}

async function upload(entity, file) {
  const body = new FormData();
  body.append("entity", entity);
  body.append("file", file, file.name);
  // Multipart, so not through `api` (JSON); the same answer handling through fetchApi.
  return fetchApi("/api/v1/imports", {
    method: "POST",
    headers: { Accept: "application/json", "X-CSRF-Token": config.csrf },
    body,
  });
}

function showMapping(preview) {
  const job = preview.job;
  entitySelect.value = job.entity;
  node("import-file-info").textContent = t("import.fileInfo", { name: job.filename, rows: job.total_rows });
  node("import-remembered").hidden = !preview.remembered;
  mapping.show(preview);
  fileStep.hidden = true;
  mappingStep.hidden = false;
  startButton.disabled = false;
  startButton.dataset.job = String(job.id);
  remember(job.entity, job.id);
}

function showProgress(job) {
  fileStep.hidden = true;
  mappingStep.hidden = true;
  remember(job.entity, job.id);
  progress.follow(job);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  const file = fileInput.files && fileInput.files[0];
  if (!file) {
    showError(t("import.chooseFile"));
    fileInput.focus();
    return;
  }
  // Refused here, not after sending megabytes the server would refuse anyway.
  if (config.maxUploadBytes && file.size > config.maxUploadBytes) {
    showError(t("importError.file-too-large", { max: formatSize(config.maxUploadBytes, t) }));
    return;
  }
  uploadButton.disabled = true;
  uploadButton.textContent = t("import.uploading");
  try {
    showMapping(await upload(entitySelect.value, file));
  } catch (error) {
    showError(explain(error));
  } finally {
    uploadButton.disabled = false;
    uploadButton.textContent = t("import.upload");
  }
});

entitySelect.addEventListener("change", () => remember(entitySelect.value, null));

startButton.addEventListener("click", async () => {
  if (!mapping.check()) return;
  startButton.disabled = true;
  try {
    const path = "/api/v1/imports/" + startButton.dataset.job + "/start";
    const job = await api("POST", path, { mapping: mapping.mapping() });
    showProgress(job);
  } catch (error) {
    startButton.disabled = false;
    if (error instanceof ApiError && error.status === 422 && Array.isArray(error.details)) {
      mapping.showRefusal(error.details);
    } else {
      mapping.pageError(explain(error));
    }
  }
});

node("import-other").addEventListener("click", () => {
  mappingStep.hidden = true;
  fileStep.hidden = false;
  fileInput.value = "";
  showError("");
  remember(entitySelect.value, null);
  fileInput.focus();
});

// ?job=<id>: the import as it is now (still to be mapped, running, or finished).
async function reopen(jobId) {
  try {
    const preview = await getJson("/api/v1/imports/" + jobId + "/preview");
    if (preview.job.status === "pending") showMapping(preview);
    else showProgress(preview.job);
  } catch (error) {
    showError(explain(error));
    remember(entitySelect.value, null);
  }
}

startLive(() => {}, () => {});
if (config.jobId) reopen(config.jobId);
