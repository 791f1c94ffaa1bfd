/* The report page: live camera (no gallery), location from the phone or a pin, the likely
   department as the citizen types, and sending through the device's queue so a weak signal
   never loses a report. */
"use strict";
(function () {
  const data = Sigap.pageData();
  const S = data.strings;
  const $ = (id) => document.getElementById(id);
  const say = (element, key, values) => {
    element.textContent = Sigap.format(S[key], values || {});
  };

  let position = null; // { lat, lon, accuracy } from the phone, when it gave one
  let point = null; // where the problem is: the phone's position or the pin

  // -- camera ------------------------------------------------------------------------------

  // Upload now, inside the capture session's short window; if the signal is gone, the
  // report's queue sends it later with the same Idempotency-Key.
  async function upload(photo) {
    const cameraStatus = camera.status;
    say(cameraStatus, "js.photo_taken");
    $("camera-retake").focus();
    const carrier = { csrf: Sigap.csrfToken(), lang: Sigap.lang, device: Sigap.deviceId(), photos: [photo] };
    try {
      const answer = await SigapQueue.uploadPhoto(carrier, photo);
      if (answer.verdict === "verified_live") say(cameraStatus, "js.photo_uploaded");
      else say(cameraStatus, "js.photo_checked", { reasons: photo.reasons.join(" ") });
    } catch (error) {
      if (error instanceof SigapQueue.Offline) say(cameraStatus, "js.photo_waiting");
      else cameraStatus.textContent = error.message;
    }
  }

  const camera = SigapCamera.fieldset({
    say: say,
    keys: {
      starting: "js.camera_starting",
      ready: "js.camera_ready",
      unsupported: "js.camera_unsupported",
      denied: "js.camera_denied",
      offline: "js.session_offline",
    },
    locate: locate,
    position: () => position,
    taken: upload,
  });

  // -- location and department ------------------------------------------------------------

  const place = $("place");
  const map = SigapMap.create($("map"), data.map, (lat, lon) => {
    point = { lat: lat, lon: lon };
    say(place, "js.pinned");
    preview();
  });

  function locate() {
    if (!navigator.geolocation) return;
    say(place, "js.locating");
    navigator.geolocation.getCurrentPosition(
      (found) => {
        position = { lat: found.coords.latitude, lon: found.coords.longitude, accuracy: found.coords.accuracy };
        const photo = camera.photo;
        if (photo && !photo.position && !photo.photo_id) photo.position = position;
        point = { lat: position.lat, lon: position.lon };
        map.place(point.lat, point.lon, true);
        say(place, "js.located", { metres: Math.round(position.accuracy) });
        preview();
      },
      () => say(place, "js.locate_failed"),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  }
  $("locate").addEventListener("click", locate);

  const description = $("description");
  const department = $("department");
  let timer = null;
  let asked = 0;
  function preview() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = description.value.trim();
      if (text.length < 3 && !point) return;
      const ticket = ++asked;
      try {
        const answer = await Sigap.api("/api/routing/preview", {
          method: "POST",
          json: { description: text || "-", location: point },
        });
        if (ticket !== asked) return; // a newer question is on its way
        if (point) place.textContent = answer.area.message;
        if (text.length >= 3) {
          if (answer.needs_triage) say(department, "js.department_triage");
          else say(department, "js.department_likely", { department: answer.department_name + " (" + answer.department + ")" });
        }
      } catch (error) {
        if (!error.status) {
          say(department, "js.department_offline");
          if (point) say(place, "js.place_offline");
        }
      }
    }, 600);
  }
  description.addEventListener("input", preview);

  // -- privacy ----------------------------------------------------------------------------

  const contact = $("contact");
  document.querySelectorAll('input[name="privacy"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      contact.hidden = radio.checked && radio.value === "anonim";
    })
  );

  // -- sending ----------------------------------------------------------------------------

  const outcome = $("outcome");
  const form = $("report");

  function show(state, titleKey, text) {
    outcome.hidden = false;
    outcome.className = "card outcome " + state;
    say($("outcome-title"), titleKey);
    $("outcome-text").textContent = text;
  }

  function delivered(receipt) {
    form.hidden = true;
    show("delivered", "js.delivered_title", Sigap.format(S["js.delivered_text"], { code: receipt.tracking_code }));
    $("receipt").hidden = false;
    $("receipt-note").hidden = false;
    $("receipt-code").textContent = receipt.tracking_code;
    $("receipt-token").textContent = receipt.follow_up_token;
    const track = $("receipt-track");
    track.href = "/lacak?code=" + encodeURIComponent(receipt.tracking_code);
    track.hidden = false;
    outcome.focus();
  }

  let current = null; // the id of the report this page queued
  function heard(message) {
    if (!message || !message.id || (message.kind && message.kind !== "report")) return;
    if (current && message.id !== current) return;
    if (message.type === "delivered") delivered(message.receipt);
    else if (message.type === "waiting") show("waiting", "js.waiting_title", S["js.waiting_text"]);
    else if (message.type === "failed") {
      show("failed", "js.failed_title", Sigap.format(S["js.failed_text"], { reason: message.reason }));
      form.hidden = false;
    }
  }

  const flush = SigapQueue.watch(heard);

  function problem(key) {
    const error = $("form-error");
    say(error, key);
    error.hidden = false;
    return false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("form-error").hidden = true;
    const text = description.value.trim();
    const photo = camera.photo;
    if (!photo) return problem("js.need_photo");
    if (!point) return problem("js.need_location");
    if (text.length < 10) return problem("js.need_description");
    const privacy = form.querySelector('input[name="privacy"]:checked').value;
    const complaint = {
      kind: form.querySelector('input[name="kind"]:checked').value,
      description: text,
      location: { lat: point.lat, lon: point.lon },
      privacy: privacy,
    };
    if (privacy !== "anonim") {
      const reporter = {};
      for (const field of ["name", "email", "phone"]) {
        const value = $(field).value.trim();
        if (value) reporter[field] = value;
      }
      if (Object.keys(reporter).length) complaint.reporter = reporter;
    }
    const item = {
      id: crypto.randomUUID(),
      kind: "report",
      key: crypto.randomUUID(), // the complaint's Idempotency-Key, the same on every retry
      created_at: new Date().toISOString(),
      csrf: Sigap.csrfToken(),
      lang: Sigap.lang,
      device: Sigap.deviceId(),
      photos: [photo],
      complaint: complaint,
      state: "queued",
    };
    await SigapQueue.put("outbox", item);
    current = item.id;
    form.hidden = true;
    if (navigator.onLine) show("sending", "js.sending_title", S["js.sending_text"]);
    else show("waiting", "js.waiting_title", S["js.waiting_text"]);
    outcome.focus();
    flush();
  });

  // Reports queued on an earlier visit: show the newest and try again now.
  SigapQueue.all("outbox").then((items) => {
    const waiting = items.filter((item) => item.state !== "failed" && (item.kind || "report") === "report");
    if (waiting.length) {
      current = waiting[waiting.length - 1].id;
      form.hidden = true;
      show("waiting", "js.waiting_title", S["js.waiting_text"]);
      flush();
    }
  });
})();
