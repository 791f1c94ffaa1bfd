/* A task's page: starting work and finishing it, even with no signal (a basement, a field).
   The after-photo is taken like a citizen's report photo (the live rear camera, no gallery)
   and uploaded at once inside its capture session's short window, or later by the device's
   queue. Starting and finishing are queued on the device (IndexedDB, `SigapQueue`) and sent
   by the service worker or this page with the same Idempotency-Key until the web service
   accepts them; the page says "menunggu sinyal" meanwhile, then the result. */
"use strict";
(function () {
  const data = Sigap.pageData();
  const S = data.strings;
  const task = data.task;
  const $ = (id) => document.getElementById(id);
  const startForm = $("start");
  const finishForm = $("finish");
  const queueStatus = $("queue-status");
  let position = null;
  let uploading = false;

  function say(element, key, values) {
    element.textContent = Sigap.format(S[key], values || {});
  }

  // -- the after-photo -----------------------------------------------------------------------

  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      (found) => {
        position = { lat: found.coords.latitude, lon: found.coords.longitude, accuracy: found.coords.accuracy };
      },
      () => {
        position = null;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  }

  async function upload(taken) {
    const status = camera.status;
    say(status, "officer.js_uploading");
    uploading = true;
    try {
      const answer = await SigapQueue.uploadPhoto(carrier([taken]), taken);
      if (answer.verdict === "verified_live") {
        $("finish-error").hidden = true;
        say(status, "officer.js_photo_live");
      } else {
        say(status, "officer.js_photo_not_live", { reasons: taken.reasons.join(" ") });
        camera.photo = null;
      }
    } catch (error) {
      // No signal: the photo goes with the finish, from the device's queue.
      if (error instanceof SigapQueue.Offline) say(status, "officer.js_photo_waiting");
      else {
        status.textContent = error.message;
        camera.photo = null;
      }
    } finally {
      uploading = false;
      camera.buttons(false);
      $("camera-retake").hidden = false;
    }
  }

  const camera = finishForm
    ? SigapCamera.fieldset({
        say: say,
        keys: {
          starting: "officer.js_camera_starting",
          ready: "officer.js_camera_ready",
          unsupported: "officer.js_camera_unsupported",
          denied: "officer.js_camera_denied",
          offline: "officer.js_offline",
        },
        locate: locate,
        position: () => position,
        taken: upload,
      })
    : null;

  // -- the device's queue ------------------------------------------------------------------

  function carrier(photos) {
    return { csrf: Sigap.csrfToken(), lang: Sigap.lang, device: Sigap.deviceId(), photos: photos };
  }

  function tell(key, values) {
    queueStatus.hidden = false;
    say(queueStatus, key, values);
  }

  function resultPage(notice) {
    const query = new URLSearchParams({ pesan: notice });
    if (data.near) {
      query.set("lat", data.near[0]);
      query.set("lon", data.near[1]);
    }
    return "/tugas/" + encodeURIComponent(task.id) + "?" + query.toString();
  }

  function heard(message) {
    if (!message || message.kind !== "task") return;
    if (message.type === "delivered") {
      if (message.receipt && message.receipt.id === task.id) delivered(message.receipt);
      return;
    }
    SigapQueue.get("outbox", message.id).then((item) => {
      if (!item || item.complaint_id !== task.id) return;
      if (message.type === "waiting") tell("officer.js_waiting");
      else if (message.type === "failed") failed(item, message.reason);
    });
  }

  function delivered(receipt) {
    if (receipt.status === "selesai") {
      window.location.assign(resultPage("selesai"));
      return;
    }
    // Started: the finish form, already open, now carries the version the start produced.
    $("task-status").textContent = S["officer.js_status_dalam_proses"];
    if (finishForm) finishForm.elements.expected_version.value = String(receipt.version);
    tell("officer.js_started");
  }

  function failed(item, reason) {
    if (!item) return;
    SigapQueue.remove("outbox", item.id); // said once here; the officer decides what next
    tell("officer.js_failed", { reason: reason });
    if (item.change.to === "selesai") {
      if (!finishForm) return;
      finishForm.hidden = false;
      camera.photo = null;
      camera.buttons(false);
      camera.status.textContent = "";
    } else if (startForm) {
      startForm.hidden = false;
      if (finishForm && finishForm.hasAttribute("data-after-start")) finishForm.hidden = true;
    }
  }

  const nudge = SigapQueue.watch(heard);

  async function queue(change, photos) {
    const item = Object.assign(carrier(photos), {
      id: crypto.randomUUID(),
      kind: "task",
      key: crypto.randomUUID(), // the change's Idempotency-Key, the same on every retry
      created_at: new Date().toISOString(),
      complaint_id: task.id,
      change: change,
      state: "queued",
    });
    await SigapQueue.put("outbox", item);
    if (navigator.onLine) tell("officer.js_sending");
    else tell("officer.js_waiting");
    queueStatus.focus(); // the form just went away: keyboard and screen reader users land on the news
    nudge();
  }

  if (startForm) {
    startForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      startForm.hidden = true;
      if (finishForm) finishForm.hidden = false;
      await queue({ to: "dalam_proses", expected_version: Number(startForm.elements.expected_version.value) }, []);
    });
  }

  if (finishForm) {
    finishForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = $("finish-error");
      error.hidden = true;
      const note = $("resolution-note").value.trim();
      let key = null;
      if (uploading) key = "officer.js_wait_upload";
      else if (!camera.photo) key = "officer.js_need_photo";
      else if (note.length < 5) key = "officer.js_need_note";
      if (key) {
        error.textContent = S[key];
        error.hidden = false;
        return;
      }
      finishForm.hidden = true;
      const change = {
        to: "selesai",
        expected_version: Number(finishForm.elements.expected_version.value),
        resolution_note: note,
      };
      await queue(change, [camera.photo]);
    });
  }

  // Changes queued on an earlier visit that have not gone yet: say so and try again now.
  SigapQueue.all("outbox").then((items) => {
    const waiting = items.filter((item) => item.kind === "task" && item.complaint_id === task.id && item.state !== "failed");
    if (!waiting.length) return;
    if (startForm) startForm.hidden = true;
    if (finishForm) finishForm.hidden = true;
    tell("officer.js_waiting");
    nudge();
  });
})();
