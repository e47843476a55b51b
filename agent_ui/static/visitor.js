// Visitor pages: the hosted form posts JSON with fetch (the plain <form> post is the
// no-script fallback), and times on the request page are shown in the visitor's zone.

import { el, localizeTimes, readConfig, translator } from "./okno-dom.js";

const config = readConfig();
const t = translator(config.strings || {});
const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

localizeTimes(document, document.documentElement.lang || undefined);

const form = document.getElementById("okno-form");
if (form) enhance(form);

function newToken() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function collect(form) {
  const data = {};
  for (const [key, value] of new FormData(form).entries()) data[key] = String(value);
  data.consent = form.elements.consent ? form.elements.consent.checked : false;
  data.page_url = location.href;
  data.referrer = document.referrer || data.referrer || "";
  const params = new URLSearchParams(location.search);
  for (const key of UTM) if (params.get(key)) data[key] = params.get(key);
  data.submitted_at = new Date().toISOString();
  return data;
}

function errorText(status, error) {
  const details = (error && error.details) || {};
  // A phone or e-mail was given but is not usable: say which, never "give a contact".
  if (status === 422 && error && error.id === "invalid-contact") {
    return [details.phone ? t("form.badPhone") : "", details.email ? t("form.badEmail") : ""]
      .filter(Boolean).join(" ");
  }
  if (status === 422 && (details.phone || details.email)) return t("form.needContact");
  if (status === 422) return t("form.checkFields");
  if (status === 413) return t("form.tooLong");
  if (status === 429) return t("form.tooMany");
  return t("form.failed");
}

function markInvalid(form, details) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const name of Object.keys(details || {})) {
    const input = form.elements[name];
    if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
  }
}

function enhance(form) {
  const status = document.getElementById("okno-form-status");
  form.elements.submission_token.value = newToken();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = collect(form);
    if (!data.phone.trim() && !data.email.trim()) {
      markInvalid(form, { phone: true, email: true });
      status.textContent = t("form.needContact");
      status.dataset.state = "error";
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = t("form.sending");
    status.dataset.state = "busy";
    try {
      const response = await fetch(config.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(data),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        markInvalid(form, answer.error && answer.error.details);
        status.textContent = errorText(response.status, answer.error);
        status.dataset.state = "error";
        return;
      }
      const done = el("div", { class: "okno-done", role: "status" },
        el("p", { class: "okno-done-title" }, answer.request_number
          ? t("form.received", { n: answer.request_number }) : t("form.receivedNoNumber")),
        el("p", {}, el("a", { href: `/forms/${config.slug}/r/${encodeURIComponent(data.submission_token)}`,
          class: "okno-status-link" }, t("form.statusLink"))));
      form.replaceWith(done);
      status.textContent = "";
    } catch (error) {
      status.textContent = t("form.failed");
      status.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  });
}
