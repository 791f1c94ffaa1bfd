/* Every page: the service worker (the citizen pages open offline after the first visit), and
   `Sigap.api`, which calls the web service's own /api/ with the CSRF token, the page's
   language and this device's id. */
"use strict";
(function () {
  const lang = document.documentElement.lang || "id";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function deviceId() {
    // Not a secret: intake limits how many reports one device sends per minute.
    let id = localStorage.getItem("sigap.device");
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem("sigap.device", id);
    }
    return id;
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign(
      { "X-CSRF-Token": csrfToken(), "Accept-Language": lang, "X-Device-Id": deviceId(), Accept: "application/json" },
      opts.headers || {}
    );
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(path, {
      method: opts.method || "GET",
      headers: headers,
      body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body,
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.detail || body.title || String(response.status));
      error.status = response.status;
      error.problem = body;
      throw error;
    }
    return body;
  }

  function pageData() {
    const block = document.getElementById("page-data");
    return block ? JSON.parse(block.textContent) : {};
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : ""));
  }

  async function serviceWorker() {
    if (!("serviceWorker" in navigator)) {
      return null;
    }
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      return await navigator.serviceWorker.ready;
    } catch (error) {
      console.warn("service worker not available", error);
      return null;
    }
  }

  window.Sigap = { lang, api, csrfToken, deviceId, pageData, format, serviceWorker: serviceWorker() };
})();
