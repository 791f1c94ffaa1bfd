/* The officer's task list: asks the phone where it is and swaps in the list ordered nearest
   first (rendered by the server from that position); without a position the list stays
   oldest first and the page says why. */
"use strict";
(function () {
  const S = Sigap.pageData().strings;
  const note = document.getElementById("order-note");
  const list = document.getElementById("tasks");
  const button = document.getElementById("locate");

  async function reorder(position) {
    const query = new URLSearchParams({ lat: String(position.coords.latitude), lon: String(position.coords.longitude) });
    const response = await fetch("/tugas/daftar?" + query.toString(), {
      headers: { Accept: "text/html", "Accept-Language": Sigap.lang },
      credentials: "same-origin",
    });
    if (response.redirected && new URL(response.url).pathname === "/masuk") {
      location.assign("/masuk?next=/tugas"); // the session ended: log in again, then come back here
      return;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    // Our own server's rendering of the same template the page was built with.
    list.innerHTML = await response.text();
    note.textContent = Sigap.format(S["officer.js_nearest"], { metres: Math.round(position.coords.accuracy) });
  }

  function locate() {
    if (!navigator.geolocation) {
      note.textContent = S["officer.js_no_location"];
      return;
    }
    note.textContent = S["officer.js_locating"];
    navigator.geolocation.getCurrentPosition(
      (position) =>
        reorder(position).catch(() => {
          note.textContent = S["officer.js_reorder_failed"];
        }),
      () => {
        note.textContent = S["officer.js_no_location"];
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  button.addEventListener("click", locate);
  locate();
})();
