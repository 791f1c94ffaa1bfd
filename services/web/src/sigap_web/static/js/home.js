/* The start page lists the reports sent from this device (and those still waiting), newest
   first, each linking to its tracking page. */
"use strict";
(async function () {
  const list = document.getElementById("mine");
  const S = Sigap.pageData().strings;
  const [sent, waiting] = await Promise.all([SigapQueue.all("reports"), SigapQueue.all("outbox")]);
  sent.sort((a, b) => b.sent_at.localeCompare(a.sent_at));
  for (const item of waiting) {
    const li = document.createElement("li");
    li.textContent = item.complaint.description.slice(0, 80) + " — " + (item.state === "failed"
      ? Sigap.format(S["js.mine_failed"], { reason: item.problem })
      : S["js.mine_waiting"]);
    list.appendChild(li);
  }
  for (const report of sent) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = "/lacak?code=" + encodeURIComponent(report.tracking_code);
    link.textContent = report.tracking_code;
    li.appendChild(link);
    const date = new Date(report.sent_at).toLocaleDateString(Sigap.lang === "en" ? "en-GB" : "id-ID");
    li.appendChild(document.createTextNode(" — " + report.summary + " (" + Sigap.format(S["js.mine_sent"], { date: date }) + ")"));
    list.appendChild(li);
  }
  document.getElementById("mine-empty").hidden = sent.length + waiting.length > 0;
})();
