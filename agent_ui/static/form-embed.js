// Okno's embeddable request form, one line on any page:
//   <script src="OKNO-ADDRESS/forms/SLUG.js" async></script>
// Draws the form into an element with data-okno-form, or right after this script tag, and
// posts it to Okno across origins (the form's channel lists the sites allowed to).
(function (config) {
  "use strict";
  var script = document.currentScript;
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

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

  function token() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function field(name, label, type, extra) {
    var id = "okno-" + config.slug + "-" + name;
    var input = type === "textarea" ? el("textarea", { id: id, name: name, rows: "4" })
      : el("input", { id: id, name: name, type: type });
    Object.keys(extra || {}).forEach(function (key) { input.setAttribute(key, extra[key]); });
    return el("p", { "class": "okno-field" }, [el("label", { "for": id, text: label }), input]);
  }

  function build() {
    var form = el("form", { "class": "okno-form", novalidate: "" }, [
      field("name", t("field.name"), "text", { autocomplete: "name", maxlength: "200" }),
      field("phone", t("field.phone"), "tel", { autocomplete: "tel", maxlength: "50" }),
      field("email", t("field.email"), "email", { autocomplete: "email", maxlength: "320" }),
      field("message", t("field.message"), "textarea"),
      // The honeypot: off-screen for people, tempting for form-filling bots.
      el("p", { "class": "okno-hp", "aria-hidden": "true" }, [
        el("input", { name: "website", type: "text", tabindex: "-1", autocomplete: "off" })]),
      el("p", { "class": "okno-consent" }, [el("label", {}, [
        el("input", { name: "consent", type: "checkbox", required: "" }),
        document.createTextNode(" " + t("field.consent"))])]),
      el("p", {}, [el("button", { type: "submit", text: t("form.send") })]),
      el("p", { "class": "okno-status", role: "status", "aria-live": "polite" }),
    ]);
    form.addEventListener("submit", function (event) { event.preventDefault(); submit(form); });
    return form;
  }

  function submit(form) {
    var status = form.querySelector(".okno-status");
    var data = { form_id: config.slug, submission_token: form.dataset.token };
    ["name", "phone", "email", "message", "website"].forEach(function (name) {
      data[name] = form.elements[name].value;
    });
    data.consent = form.elements.consent.checked;
    if (!data.phone.trim() && !data.email.trim()) { status.textContent = t("form.needContact"); return; }
    if (!data.consent) { status.textContent = t("form.needConsent"); return; }
    data.page_url = location.href;
    data.referrer = document.referrer;
    var params = new URLSearchParams(location.search);
    UTM.forEach(function (key) { if (params.get(key)) data[key] = params.get(key); });
    data.submitted_at = new Date().toISOString();
    var button = form.querySelector("button");
    button.disabled = true;
    status.textContent = t("form.sending");
    fetch(config.action, {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(data),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) {
          var details = (answer.error && answer.error.details) || {};
          var badContact = response.status === 422 && (answer.error || {}).id === "invalid-contact";
          status.textContent = badContact
            ? [details.phone ? t("form.badPhone") : "", details.email ? t("form.badEmail") : ""]
              .filter(Boolean).join(" ")
            : response.status === 422 && (details.phone || details.email)
              ? t("form.needContact") : response.status === 413 ? t("form.tooLong")
                : response.status === 429 ? t("form.tooMany") : t("form.failed");
          return;
        }
        var done = el("div", { "class": "okno-done", role: "status" }, [
          el("p", { text: answer.request_number ? t("form.received", { n: answer.request_number })
            : t("form.receivedNoNumber") }),
          el("p", {}, [el("a", { href: config.statusBase + encodeURIComponent(data.submission_token),
            target: "_blank", rel: "noopener", text: t("form.statusLink") })])]);
        form.parentNode.replaceChild(done, form);
      });
    }).catch(function () {
      status.textContent = t("form.failed");
    }).then(function () { button.disabled = false; });
  }

  function mount() {
    if (!document.querySelector("link[data-okno-style]")) {
      document.head.appendChild(el("link", { rel: "stylesheet", href: config.stylesheet, "data-okno-style": "" }));
    }
    var form = build();
    form.dataset.token = token();
    var target = document.querySelector('[data-okno-form="' + config.slug + '"]')
      || document.querySelector("[data-okno-form='']");
    if (target) target.appendChild(form);
    else if (script && script.parentNode) script.parentNode.insertBefore(form, script.nextSibling);
    else document.body.appendChild(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})(__OKNO_CONFIG__);
