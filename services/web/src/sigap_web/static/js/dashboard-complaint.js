/* A complaint's page: the place on a map over Depok's kelurahan boundaries (served by this
   site, so the map needs no internet), with an optional tile layer when the city configures
   one; and the outcome of the last action brought into view for screen readers. */
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
  const map = L.map(element, { zoomControl: true, attributionControl: true }).setView(config.point, 16);
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
  }
  fetch(config.boundaries, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((geojson) => {
      L.geoJSON(geojson, {
        style: { color: "#0b5394", weight: 1, fillColor: "#9fc5e8", fillOpacity: 0.25 },
        onEachFeature: (feature, polygon) => polygon.bindTooltip(feature.properties.name, { sticky: true }),
      }).addTo(map);
    })
    .catch((error) => console.warn("kelurahan boundaries unavailable", error));
  L.marker(config.point, { keyboard: false, title: config.label || "" }).addTo(map);
})();
