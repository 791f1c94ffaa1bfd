/* The reports waiting on this device, shared by the page and the service worker (a classic
   script both load). IndexedDB keeps two stores: "outbox" (reports not yet accepted by intake,
   with their photos as JPEG blobs) and "reports" (accepted ones: tracking code and follow-up
   token). `flush` sends what waits, in order, each request with the same Idempotency-Key every
   time, so a report retried after a lost answer is still created once. */
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
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
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

  async function deliver(item) {
    for (const photo of item.photos) {
      if (!photo.photo_id) {
        await uploadPhoto(item, photo);
        await put("outbox", item);
      }
    }
    const complaint = Object.assign({}, item.complaint, { photos: item.photos.map((photo) => photo.photo_id) });
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

  // Sends every waiting report; `tell` hears each outcome. Stops at the first sign of no
  // network (the next `online`, page load or background sync tries again).
  async function flush(tell) {
    const items = (await all("outbox")).filter((item) => item.state !== "failed");
    items.sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const item of items) {
      try {
        const receipt = await deliver(item);
        tell({ type: "delivered", id: item.id, receipt: receipt });
      } catch (error) {
        if (error instanceof Offline) {
          tell({ type: "waiting", id: item.id });
          return false;
        }
        item.state = "failed";
        item.problem = error.message;
        item.status = error.status;
        await put("outbox", item);
        tell({ type: "failed", id: item.id, reason: error.message, status: error.status });
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

  scope.SigapQueue = {
    put: put,
    get: get,
    all: all,
    remove: remove,
    flushOnce: flushOnce,
    uploadPhoto: uploadPhoto,
    Offline: Offline,
  };
})(self);
