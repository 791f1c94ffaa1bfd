/* The live camera, the only way a photo enters Sigap from a page (the city's anti-hoax rule:
   no gallery picker): the citizen's report and the field officer's after-photo both use it.
   `open` starts the rear camera in a <video> and asks intake, through the web service, for a
   web-camera capture session recording the track's size; `frame` draws the current frame on a
   canvas and encodes it as JPEG, which is uploaded with that session's token; `fieldset` is both
   pages' camera controls. */
"use strict";
(function (scope) {
  // Why the camera did not open: "unsupported", "denied", "offline" (no session without a
  // signal) or "refused" (the web service said why, in `message`).
  class CameraError extends Error {
    constructor(reason, message) {
      super(message || reason);
      this.reason = reason;
    }
  }

  function stop(video) {
    const stream = video.srcObject;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  }

  // Resolves to intake's capture session ({ capture_token, expires_at }) with the camera live.
  async function open(video) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new CameraError("unsupported");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 960 } },
        audio: false,
      });
    } catch (error) {
      throw new CameraError("denied");
    }
    video.srcObject = stream;
    await video.play();
    if (!video.videoWidth) await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
    try {
      // The session records that this capture comes from a web camera of this size.
      return await Sigap.api("/api/capture-sessions", {
        method: "POST",
        json: { track: { width: video.videoWidth, height: video.videoHeight } },
      });
    } catch (error) {
      stop(video);
      throw error.status ? new CameraError("refused", error.message) : new CameraError("offline");
    }
  }

  function frame(video, canvas) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  }

  // The camera fieldset both pages share (#video, #shot, #canvas, the #camera-open,
  // #camera-shoot and #camera-retake buttons, #camera-status): it opens the camera, says how
  // that went in the page's words, and takes one photo per capture session, handing it to
  // `taken(photo)`, the page's upload. The photo stays in `photo` until the page drops it.
  //   say(element, key)  the page's strings, for `keys` (starting, ready, and the
  //                      CameraError reasons unsupported, denied, offline)
  //   locate()           asks the phone where it is, as the camera opens
  //   position()         where the phone was, when it said
  function fieldset({ say, keys, locate, position, taken }) {
    const $ = (id) => document.getElementById(id);
    const video = $("video");
    const shot = $("shot");
    const status = $("camera-status");
    let session = null; // { capture_token, expires_at } from intake, for the next frame

    const camera = {
      photo: null, // { key, blob, capture_token, position, photo_id?, verdict?, reasons? }
      status: status,

      buttons(live) {
        $("camera-open").hidden = live || Boolean(camera.photo);
        $("camera-shoot").hidden = !live;
        $("camera-retake").hidden = live || !camera.photo;
      },

      async open() {
        say(status, keys.starting);
        camera.photo = null;
        locate();
        try {
          session = await open(video);
        } catch (error) {
          session = null;
          if (keys[error.reason]) say(status, keys[error.reason]);
          else status.textContent = error.message;
          camera.buttons(false);
          return;
        }
        shot.hidden = true;
        video.hidden = false;
        say(status, keys.ready);
        camera.buttons(true);
        $("camera-shoot").focus();
      },

      async shoot() {
        if (!session) return;
        const blob = await frame(video, $("canvas"));
        stop(video);
        camera.photo = { key: crypto.randomUUID(), blob: blob, capture_token: session.capture_token, position: position() };
        session = null; // one token, one photo
        shot.src = URL.createObjectURL(blob);
        shot.hidden = false;
        video.hidden = true;
        camera.buttons(false);
        await taken(camera.photo);
      },
    };
    $("camera-open").addEventListener("click", camera.open);
    $("camera-shoot").addEventListener("click", camera.shoot);
    $("camera-retake").addEventListener("click", camera.open);
    return camera;
  }

  scope.SigapCamera = { open: open, stop: stop, frame: frame, fieldset: fieldset, CameraError: CameraError };
})(window);
