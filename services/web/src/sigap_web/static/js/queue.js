/* What waits on this device for a signal, shared by the pages and the service worker (a
   classic script both load). IndexedDB keeps two stores: "outbox" (what the web service has
   not accepted yet, with photos as JPEG blobs) and "reports" (a citizen's accepted reports:
   tracking code and follow-up token). An outbox item is of a `kind`: a citizen's "report"
   (the default) or a field officer's "task" change (start work, or finish with a note and a
   live after-photo). `flush` sends what waits, in order, each request with the same
   Idempotency-Key every time, so a change retried after a lost answer still happens once. */
"use strict";
(function (scope) {
  const DB_NAME = "sigap";
  const VERSION = 1;

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "id" });
        if (!db.objectStoreNames.contains("reports")) db.createObjectStore("reports", { keyPath: "tracking_code" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(storeName, mode, work) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const result = work(tx.objectStore(storeName));
        tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
  const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
  const get = (store, key) => run(store, "readonly", (s) => s.get(key));
  const all = (store) => run(store, "readonly", (s) => s.getAll());

  class Offline extends Error {}

  class Refused extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.title || "HTTP " + status);
      this.status = status;
      this.problem = problem;
    }
  }

  async function freshCsrf() {
    const response = await fetch("/api/csrf", { credentials: "same-origin" });
    return (await response.json()).csrf_token;
  }

  // One request; a refused CSRF token (the cookie changed) is renewed once.
  async function send(item, path, init) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const headers = Object.assign({}, init.headers, {
        "X-CSRF-Token": item.csrf,
        "Accept-Language": item.lang || "id",
        Accept: "application/json",
      });
      if (item.device) headers["X-Device-Id"] = item.device;
      let response;
      try {
        response = await fetch(path, Object.assign({}, init, { headers: headers, credentials: "same-origin" }));
      } catch (error) {
        throw new Offline(String(error));
      }
      const body = await response.json().catch(() => ({}));
      if (response.ok) return body;
      if (response.status === 403 && attempt === 0) {
        item.csrf = await freshCsrf();
        if (item.id) await put("outbox", item);
        continue;
      }
      // 401: a staff session ended while the change waited; it is sent after the next login.
      if (response.status >= 500 || response.status === 429 || response.status === 408 || response.status === 401) {
        throw new Offline("HTTP " + response.status);
      }
      throw new Refused(response.status, body);
    }
    throw new Refused(403, {});
  }

  async function uploadPhoto(item, photo) {
    const form = new FormData();
    form.append("file", photo.blob, "kamera.jpg");
    form.append("capture_token", photo.capture_token);
    if (photo.position) {
      form.append("device_lat", String(photo.position.lat));
      form.append("device_lon", String(photo.position.lon));
      form.append("device_accuracy_m", String(photo.position.accuracy));
    }
    const answer = await send(item, "/api/photos", {
      method: "POST",
      body: form,
      headers: { "Idempotency-Key": photo.key },
    });
    photo.photo_id = answer.id;
    photo.verdict = answer.verdict;
    photo.reasons = (answer.reasons || []).map((reason) => reason.message);
    delete photo.blob; // sent: the device keeps no copy of the picture
    return answer;
  }

  async function uploadPhotos(item) {
    for (const photo of item.photos || []) {
      if (!photo.photo_id) {
        await uploadPhoto(item, photo);
        await put("outbox", item);
      }
    }
    return (item.photos || []).map((photo) => photo.photo_id);
  }

  async function deliverReport(item) {
    const complaint = Object.assign({}, item.complaint, { photos: await uploadPhotos(item) });
    const receipt = await send(item, "/api/complaints", {
      method: "POST",
      body: JSON.stringify(complaint),
      headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
    });
    await put("reports", {
      tracking_code: receipt.tracking_code,
      follow_up_token: receipt.follow_up_token,
      complaint_id: receipt.id,
      sent_at: new Date().toISOString(),
      summary: item.complaint.description.slice(0, 80),
      photo_verdict: receipt.photo_verdict || null,
    });
    await remove("outbox", item.id);
    return receipt;
  }

  async function deliverTaskChange(item) {
    const photoIds = await uploadPhotos(item);
    const change = Object.assign({}, item.change, photoIds.length ? { after_photo_ids: photoIds } : {});
    const answer = await send(item, "/api/tugas/" + encodeURIComponent(item.complaint_id) + "/transitions", {
      method: "POST",
      body: JSON.stringify(change),
      headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
    });
    await remove("outbox", item.id);
    return answer;
  }

  const DELIVER = { report: deliverReport, task: deliverTaskChange };
  const deliver = (item) => DELIVER[item.kind || "report"](item);

  // Sends everything waiting; `tell` hears each outcome. Stops at the first sign of no
  // network (the next `online`, page load or background sync tries again).
  async function flush(tell) {
    const items = (await all("outbox")).filter((item) => item.state !== "failed");
    items.sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const item of items) {
      const kind = item.kind || "report";
      try {
        const receipt = await deliver(item);
        tell({ type: "delivered", id: item.id, kind: kind, receipt: receipt });
      } catch (error) {
        if (error instanceof Offline) {
          tell({ type: "waiting", id: item.id, kind: kind });
          return false;
        }
        item.state = "failed";
        item.problem = error.message;
        item.status = error.status;
        await put("outbox", item);
        tell({ type: "failed", id: item.id, kind: kind, reason: error.message, status: error.status });
      }
    }
    return true;
  }

  let running = null;
  let again = false;
  // One flush at a time in this context; a call during a flush runs one more afterwards.
  function flushOnce(tell) {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let done;
      do {
        again = false;
        done = await flush(tell);
      } while (again && done);
      return done;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  // On a page: `hear` gets every outcome (from the service worker, or from this page when
  // there is none); the returned function asks for a flush now. The page asks again whenever
  // the browser says the network is back, and, while something waits though the browser
  // believes it is online (a signal too weak to answer, an answer lost on the way), again
  // after a pause that doubles each time up to a minute.
  function watch(hear) {
    let pause = 5000;
    let timer = null;
    async function nudge() {
      clearTimeout(timer);
      timer = null;
      const registration = await scope.Sigap.serviceWorker;
      if (registration && registration.active) {
        registration.active.postMessage({ type: "flush" });
        if (registration.sync) registration.sync.register("sigap-reports").catch(() => {});
      } else {
        await flushOnce(heard); // no service worker: the page sends it itself
      }
    }
    function heard(message) {
      if (message && message.type === "waiting" && navigator.onLine && timer === null) {
        timer = setTimeout(nudge, pause);
        pause = Math.min(pause * 2, 60000);
      } else if (message && message.type === "delivered") {
        pause = 5000;
      }
      hear(message);
    }
    if ("serviceWorker" in navigator) navigator.serviceWorker.addEventListener("message", (event) => heard(event.data));
    scope.addEventListener("online", nudge);
    return nudge;
  }

  scope.SigapQueue = { watch, put, get, all, remove, flushOnce, uploadPhoto, Offline };
})(self);
