/* Sigap's maps over Depok's own kelurahan boundaries (served by this site, so a map works with
   no internet), with an optional tile layer when the city configures one.
   `SigapMap.kelurahanMap` draws that base for every page with a map; `SigapMap.create` is the
   report page's map, with one pin that a tap or the phone's location places. */
"use strict";
(function () {
  const OUTLINE = { color: "#0b5394", weight: 1, fillColor: "#9fc5e8", fillOpacity: 0.25 };

  function nameTooltip(feature, polygon) {
    polygon.bindTooltip(feature.properties.name, { sticky: true });
  }

  /* The map at `view` (default: the config's centre at zoom 12) and `outlines`, a promise of
     the kelurahan layer drawn with `style`/`onEachFeature` (default: plain outlines named in a
     tooltip), or of null when the boundaries could not be loaded. */
  function kelurahanMap(element, config, options) {
    const opts = options || {};
    const map = L.map(element, Object.assign({ zoomControl: true, attributionControl: true }, opts.map));
    map.setView(opts.view || config.center, opts.zoom || 12);
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
    }
    const outlines = fetch(config.boundaries, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((geojson) =>
        L.geoJSON(geojson, { style: opts.style || OUTLINE, onEachFeature: opts.onEachFeature || nameTooltip }).addTo(map)
      )
      .catch((error) => {
        console.warn("kelurahan boundaries unavailable", error);
        return null;
      });
    return { map: map, outlines: outlines };
  }

  function create(element, config, onPick) {
    const { map, outlines } = kelurahanMap(element, config);
    outlines.then((layer) => layer && map.fitBounds(layer.getBounds()));
    let marker = null;
    function place(lat, lon, zoom) {
      if (!marker) {
        marker = L.marker([lat, lon], { keyboard: true, title: "📍" }).addTo(map);
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (zoom) map.setView([lat, lon], Math.max(map.getZoom(), 15));
    }
    map.on("click", (event) => {
      place(event.latlng.lat, event.latlng.lng, false);
      onPick(event.latlng.lat, event.latlng.lng);
    });
    return { place: place };
  }

  window.SigapMap = { create: create, kelurahanMap: kelurahanMap };
})();
