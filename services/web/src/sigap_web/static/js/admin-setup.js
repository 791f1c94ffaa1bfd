/* The set-your-password page: a setup link carries its code in the fragment
   (/atur-sandi#kode=...), which browsers never send to a server, so no log or proxy keeps it.
   Put it in the form and take it out of the address bar and history. */
"use strict";
(function () {
  const match = /(?:^#|&)kode=([^&]+)/.exec(window.location.hash);
  if (!match) {
    return;
  }
  const field = document.getElementById("code");
  if (field && !field.value) {
    field.value = decodeURIComponent(match[1]);
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
})();
