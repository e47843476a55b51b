// Files in the workspace: the composer's attachments (button, drop, paste; each uploaded at
// once and shown as a chip) and a message's attachments as links to the download endpoint.

import { el, readConfig } from "./okno-dom.js";

const THUMB_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

export function formatSize(bytes, t) {
  if (typeof bytes !== "number" || bytes < 0) return "";
  if (bytes < 1024) return t("file.bytes", { n: bytes });
  if (bytes < 1024 * 1024) return t("file.kb", { n: Math.round(bytes / 1024) });
  return t("file.mb", { n: (bytes / (1024 * 1024)).toFixed(1) });
}

// The message's files: links (images as small thumbnails), all served by Okno itself.
export function attachmentList(message, t) {
  const files = (message.meta && message.meta.attachments) || [];
  if (!files.length) return null;
  return el("ul", { class: "msg-files" }, files.map((file, n) => {
    const name = file.name || file.kind || "";
    const size = formatSize(file.size, t);
    if (file.file_id == null && !file.url) {
      return el("li", {}, t("message.attachment", { name }));
    }
    const href = `/api/v1/messages/${message.id}/attachments/${n}`;
    const picture = file.kind === "photo" || THUMB_TYPES.includes(file.mime_type);
    return el("li", { class: "msg-file" },
      el("a", { href, target: "_blank", rel: "noopener", title: name },
        picture ? el("img", { class: "msg-thumb", src: href, alt: name, loading: "lazy" }) : null,
        el("span", { class: "msg-file-name" }, name)),
      size ? el("span", { class: "msg-file-size" }, size) : null);
  }));
}

// Pending uploads of the reply being written.
export class ComposerFiles {
  constructor({ form, text, t, toast }) {
    Object.assign(this, { form, text, t, toast });
    this.csrf = readConfig().csrf;
    this.items = []; // {file, chip, xhr, upload, failed}
    this.input = el("input", { type: "file", multiple: true, hidden: true });
    this.button = el("button", { type: "button", class: "attach", title: t("composer.attach") },
      t("composer.attach"));
    this.chips = el("ul", { class: "composer-files", hidden: true });
    const foot = form.querySelector(".composer-foot");
    foot.prepend(this.button, this.input);
    form.insertBefore(this.chips, foot);
    this.button.addEventListener("click", () => this.input.click());
    this.input.addEventListener("change", () => {
      this.add([...this.input.files]);
      this.input.value = "";
    });
    form.addEventListener("dragover", (event) => {
      if (!this.enabled || !event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      form.classList.add("dropping");
    });
    form.addEventListener("dragleave", () => form.classList.remove("dropping"));
    form.addEventListener("drop", (event) => {
      form.classList.remove("dropping");
      if (!this.enabled || !event.dataTransfer.files.length) return;
      event.preventDefault();
      this.add([...event.dataTransfer.files]);
    });
    text.addEventListener("paste", (event) => {
      const files = event.clipboardData ? [...event.clipboardData.files] : [];
      if (!this.enabled || !files.length) return;
      event.preventDefault();
      this.add(files);
    });
    this.enabled = true;
  }

  // Notes stay inside Okno and carry no files.
  setEnabled(enabled) {
    this.enabled = enabled;
    this.button.hidden = !enabled;
    this.chips.hidden = !enabled || !this.items.length;
  }

  add(files) {
    for (const file of files) this.start(file);
  }

  start(file) {
    const item = { file, upload: null, failed: false, xhr: new XMLHttpRequest() };
    const state = el("span", { class: "chip-state" }, "0%");
    const remove = el("button", { type: "button", class: "chip-remove",
      title: this.t("composer.removeFile", { name: file.name }),
      "aria-label": this.t("composer.removeFile", { name: file.name }) }, "×");
    item.chip = el("li", { class: "file-chip uploading" },
      el("span", { class: "chip-name" }, file.name),
      el("span", { class: "chip-size" }, formatSize(file.size, this.t)), state, remove);
    remove.addEventListener("click", () => this.remove(item));
    this.items.push(item);
    this.chips.append(item.chip);
    this.chips.hidden = false;
    const xhr = item.xhr;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) state.textContent = Math.floor((event.loaded / event.total) * 100) + "%";
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (error) { data = null; }
      if (xhr.status === 201 && data && data.id) {
        item.upload = data;
        state.textContent = "";
        item.chip.classList.remove("uploading");
      } else {
        this.fail(item, xhr.status, (data && data.error) || {});
      }
    });
    xhr.addEventListener("error", () => this.fail(item, 0, {}));
    xhr.open("POST", "/api/v1/files");
    xhr.setRequestHeader("X-CSRF-Token", this.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  }

  fail(item, status, error) {
    item.failed = true;
    item.chip.classList.remove("uploading");
    item.chip.classList.add("failed");
    const name = item.file.name;
    let message;
    if (status === 413) {
      const max = error.details && error.details.max_bytes;
      message = this.t("error.file-too-large", { name, max: formatSize(max, this.t) || "?" });
    } else if (status === 0) {
      message = this.t("error.network");
    } else {
      message = this.t("error.upload-failed", { name, message: error.message || String(status) });
    }
    item.chip.querySelector(".chip-state").textContent = "!";
    item.chip.title = message;
    this.toast(message);
  }

  remove(item) {
    if (!item.upload && !item.failed) item.xhr.abort();
    item.chip.remove();
    this.items = this.items.filter((other) => other !== item);
    this.chips.hidden = !this.items.length;
  }

  busy() {
    return this.items.some((item) => !item.upload && !item.failed);
  }

  ids() {
    return this.items.filter((item) => item.upload).map((item) => item.upload.id);
  }

  clear() {
    for (const item of [...this.items]) this.remove(item);
  }
}
