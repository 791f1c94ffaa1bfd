/* Finishing a task: the after-photo is taken like a citizen's report photo (the live rear
   camera, no gallery): a web-camera capture session at intake, one frame drawn on a canvas and
   uploaded at once as a JPEG with the phone's position. The photo's id goes with the form;
   status accepts the finish only when intake judged the photo live. */
"use strict";
(function () {
  const S = Sigap.pageData().strings;
  const $ = (id) => document.getElementById(id);
  const video = $("video");
  const shot = $("shot");
  const canvas = $("canvas");
  const status = $("camera-status");
  const photoField = $("after-photo-id");
  let stream = null;
  let session = null;
  let position = null;
  let uploading = false;

  function say(key, values) {
    status.textContent = Sigap.format(S[key], values || {});
  }

  function buttons(live) {
    $("camera-open").hidden = live || Boolean(photoField.value);
    $("camera-shoot").hidden = !live;
    $("camera-retake").hidden = live || !photoField.value;
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
  }

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

  async function open() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("officer.js_camera_unsupported");
      return;
    }
    say("officer.js_camera_starting");
    photoField.value = "";
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 960 } },
        audio: false,
      });
    } catch (error) {
      say("officer.js_camera_denied");
      return;
    }
    video.srcObject = stream;
    await video.play();
    if (!video.videoWidth) await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
    shot.hidden = true;
    video.hidden = false;
    locate();
    try {
      session = await Sigap.api("/api/capture-sessions", {
        method: "POST",
        json: { track: { width: video.videoWidth, height: video.videoHeight } },
      });
    } catch (error) {
      session = null;
      status.textContent = error.status ? error.message : S["officer.js_offline"];
      stop();
      buttons(false);
      return;
    }
    say("officer.js_camera_ready");
    buttons(true);
    $("camera-shoot").focus();
  }

  function frame() {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  }

  async function shoot() {
    if (!session) return;
    const blob = await frame();
    const token = session.capture_token;
    session = null; // one token, one photo
    stop();
    shot.src = URL.createObjectURL(blob);
    shot.hidden = false;
    video.hidden = true;
    buttons(false);
    $("camera-open").hidden = true;
    say("officer.js_uploading");
    const form = new FormData();
    form.append("file", blob, "kamera.jpg");
    form.append("capture_token", token);
    if (position) {
      form.append("device_lat", String(position.lat));
      form.append("device_lon", String(position.lon));
      form.append("device_accuracy_m", String(position.accuracy));
    }
    uploading = true;
    try {
      const answer = await Sigap.api("/api/photos", {
        method: "POST",
        body: form,
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      if (answer.verdict === "verified_live") {
        photoField.value = answer.id;
        $("finish-error").hidden = true;
        say("officer.js_photo_live");
      } else {
        const reasons = (answer.reasons || []).map((reason) => reason.message || reason.code || reason).join(" ");
        say("officer.js_photo_not_live", { reasons: reasons });
      }
    } catch (error) {
      status.textContent = error.status ? error.message : S["officer.js_offline"];
    } finally {
      uploading = false;
      buttons(false);
      $("camera-retake").hidden = false;
    }
  }

  $("camera-open").addEventListener("click", open);
  $("camera-shoot").addEventListener("click", shoot);
  $("camera-retake").addEventListener("click", open);

  $("finish").addEventListener("submit", (event) => {
    const error = $("finish-error");
    error.hidden = true;
    let key = null;
    if (uploading) key = "officer.js_wait_upload";
    else if (!photoField.value) key = "officer.js_need_photo";
    else if ($("resolution-note").value.trim().length < 5) key = "officer.js_need_note";
    if (key) {
      event.preventDefault();
      error.textContent = S[key];
      error.hidden = false;
    }
  });
})();
