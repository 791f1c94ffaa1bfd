/* The queue page's live updates: notify's staff stream, relayed by this site
   (/api/dasbor/stream), says something changed; the page fetches the first page's rows again
   (server-rendered, with the filters in force) and swaps them in, marking the complaint the
   message was about. Status may learn of a new complaint a moment after notify, so a message
   about a complaint the rows do not show yet is followed by a few quick retries. */
"use strict";
(function () {
  const page = Sigap.pageData();
  const strings = page.strings || {};
  const status = document.getElementById("live-status");
  const rows = document.getElementById("queue-rows");
  if (!rows || !page.stream || !("EventSource" in window)) return;

  function say(text) {
    if (status) status.textContent = text;
  }

  async function refresh(complaintId, attempt) {
    if (!page.live) {
      say(strings["dash.js.later_page"]);
      return;
    }
    let response;
    try {
      response = await fetch(page.rows, { credentials: "same-origin", headers: { Accept: "text/html" } });
    } catch (error) {
      return;
    }
    if (!response.ok) return;
    const before = new Set(Array.from(rows.querySelectorAll("tr[data-id]"), (row) => row.dataset.id));
    rows.innerHTML = await response.text();
    let fresh = 0;
    rows.querySelectorAll("tr[data-id]").forEach((row) => {
      if (!before.has(row.dataset.id)) {
        row.classList.add("fresh");
        fresh += 1;
      }
      if (row.dataset.id === complaintId) row.classList.add("fresh");
    });
    const shown = complaintId && rows.querySelector('tr[data-id="' + complaintId + '"]');
    if (complaintId && !shown && attempt < 8) {
      setTimeout(() => refresh(complaintId, attempt + 1), 250 * (attempt + 1));
      return;
    }
    say(fresh ? Sigap.format(strings["dash.js.new_items"], { n: fresh }) : strings["dash.js.updated"]);
  }

  const source = new EventSource(page.stream, { withCredentials: true });
  source.onopen = () => say(strings["dash.js.live_on"]);
  source.onerror = () => say(strings["dash.js.live_off"]);
  source.onmessage = (event) => {
    let message = {};
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    refresh(message.complaint_id || null, 0);
  };
  window.addEventListener("pagehide", () => source.close());
})();
