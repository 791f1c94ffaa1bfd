/* The tracking page fills in the follow-up token this device keeps for the code typed in, and
   shows the report at once when it came from a link on this device. */
"use strict";
(function () {
  const code = document.getElementById("code");
  const token = document.getElementById("token");
  const form = document.getElementById("track-form");

  async function fill() {
    const report = await SigapQueue.get("reports", code.value.trim().toUpperCase());
    if (report && !token.value) token.value = report.follow_up_token;
    return report;
  }

  code.addEventListener("change", fill);
  if (code.value && !document.getElementById("view-title")) {
    fill().then((report) => {
      if (report) form.submit();
    });
  }
})();
