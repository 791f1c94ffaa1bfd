/* The report page's map: Depok's own kelurahan boundaries as the base layer (served by this
   site, so the map works with no internet), an optional tile layer when the city configures
   one, and one pin that a tap or the phone's location places. */
"use strict";
(function () {
  function create(element, config, onPick) {
    const map = L.map(element, { zoomControl: true, attributionControl: true }).setView(config.center, 12);
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
    }
    fetch(config.boundaries, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((geojson) => {
        const layer = L.geoJSON(geojson, {
          style: { color: "#0b5394", weight: 1, fillColor: "#9fc5e8", fillOpacity: 0.25 },
          onEachFeature: (feature, polygon) => polygon.bindTooltip(feature.properties.name, { sticky: true }),
        }).addTo(map);
        map.fitBounds(layer.getBounds());
      })
      .catch((error) => console.warn("kelurahan boundaries unavailable", error));
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

  window.SigapMap = { create: create };
})();
