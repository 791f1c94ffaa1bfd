/* The live camera, the only way a photo enters Sigap from a page (the city's anti-hoax rule:
   no gallery picker): the citizen's report and the field officer's after-photo both use it.
   `open` starts the rear camera in a <video> and asks intake, through the web service, for a
   web-camera capture session recording the track's size; `frame` draws the current frame on a
   canvas and encodes it as JPEG, which is uploaded with that session's token. */
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

  scope.SigapCamera = { open: open, stop: stop, frame: frame, CameraError: CameraError };
})(window);
