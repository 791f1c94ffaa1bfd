/* The public transparency page: the map of public complaints per kelurahan. The list and the
   performance table are plain HTML and work without this script. */
"use strict";
(function () {
  const page = Sigap.pageData();
  const element = document.getElementById("area-map");
  if (element) {
    SigapAreaMap.create(element, page.map, { tooltip: page.strings["transparency.js.tooltip"] });
  }
})();
