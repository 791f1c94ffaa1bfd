/* A map of counts per kelurahan: Depok's own kelurahan outlines (served by this site, so no
   request leaves the city unless a tile server is configured), each shaded by how many
   complaints it holds, named with its count in a tooltip. Each outline carries
   data-kelurahan/data-count, which the page's table states in words as well. */
"use strict";
(function () {
  const FILLS = ["#f2f2f2", "#9fc5e8", "#3d85c6", "#073763"];

  function level(count) {
    if (count >= 10) return 3;
    if (count >= 3) return 2;
    if (count >= 1) return 1;
    return 0;
  }

  function create(element, config, strings) {
    // Quarter zoom steps let the whole city fill a phone-wide map.
    const map = L.map(element, { zoomControl: true, attributionControl: true, zoomSnap: 0.25 }).setView(config.center, 12);
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
    }
    const counts = config.counts || {};
    return fetch(config.boundaries, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((geojson) => {
        const layer = L.geoJSON(geojson, {
          style: (feature) => {
            const count = counts[feature.properties.code] || 0;
            return { color: "#0b5394", weight: 1, fillColor: FILLS[level(count)], fillOpacity: 0.75 };
          },
          onEachFeature: (feature, polygon) => {
            const count = counts[feature.properties.code] || 0;
            const text = Sigap.format(strings.tooltip, { name: feature.properties.name, count: count });
            polygon.bindTooltip(text, { sticky: true });
            polygon.on("add", () => {
              const path = polygon.getElement();
              if (path) {
                path.setAttribute("data-kelurahan", feature.properties.code);
                path.setAttribute("data-count", String(count));
              }
            });
          },
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [4, 4], animate: false });
        element.setAttribute("data-ready", "true");
        return map;
      })
      .catch((error) => {
        console.warn("kelurahan boundaries unavailable", error);
        element.setAttribute("data-ready", "failed");
      });
  }

  window.SigapAreaMap = { create: create };
})();
