/* A map of counts per kelurahan: Depok's own kelurahan outlines (SigapMap, map.js: no request
   leaves the city unless a tile server is configured), each shaded by how many
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
    const counts = config.counts || {};
    // Quarter zoom steps let the whole city fill a phone-wide map.
    const { map, outlines } = SigapMap.kelurahanMap(element, config, {
      map: { zoomSnap: 0.25 },
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
    });
    return outlines.then((layer) => {
      if (!layer) {
        element.setAttribute("data-ready", "failed");
        return undefined;
      }
      map.fitBounds(layer.getBounds(), { padding: [4, 4], animate: false });
      element.setAttribute("data-ready", "true");
      return map;
    });
  }

  window.SigapAreaMap = { create: create };
})();
