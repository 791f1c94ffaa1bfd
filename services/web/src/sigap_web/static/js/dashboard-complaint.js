/* A complaint's page: the place on a map over Depok's kelurahan boundaries (SigapMap, map.js);
   and the outcome of the last action brought into view for screen readers. */
"use strict";
(function () {
  const outcome = document.getElementById("outcome");
  if (outcome) {
    outcome.setAttribute("tabindex", "-1");
    outcome.focus();
  }
  const config = Sigap.pageData();
  const element = document.getElementById("map");
  if (!element || !config.point || !window.L) return;
  const { map } = SigapMap.kelurahanMap(element, config, { view: config.point, zoom: 16 });
  L.marker(config.point, { keyboard: false, title: config.label || "" }).addTo(map);
})();
