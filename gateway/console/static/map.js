// The map: villages as coloured points with their names, a scale, and no tiles at all unless
// the console serves an offline tile file. Never an online tile server.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) return;
  var colours = { Extreme: "#b00020", Severe: "#e0590b", Moderate: "#c9a100", Minor: "#4b8b3b",
    Unknown: "#6a5acd" };
  var map = L.map(element, { attributionControl: false, zoomSnap: 0.5 });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 18 }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  fetch(element.dataset.villages, { credentials: "same-origin" })
    .then(function (answer) { return answer.json(); })
    .then(function (villages) {
      if (!villages.length) {
        map.setView([0, 0], 2);
        var note = document.createElement("p");
        note.className = "hint";
        note.textContent = element.dataset.none;
        element.parentNode.insertBefore(note, element);
        return;
      }
      var bounds = [];
      villages.forEach(function (v) {
        var colour = colours[v.severity] || "#ffffff";
        var marker = L.circleMarker([v.lat, v.lon], {  // silent: a dashed red ring
          radius: v.severity ? 10 : 7, color: v.silent ? "#b00020" : "#222",
          weight: v.silent ? 3 : 1, dashArray: v.silent ? "4 3" : null, fillColor: colour,
          fillOpacity: 0.9
        }).addTo(map);
        var count = v.incidents || v.alerts;  // open incidents at a base, alerts at HQ
        marker.bindTooltip(v.name + (count ? " (" + count + ")" : ""),
          { permanent: true, direction: "right", className: "village-label" });
        marker.on("click", function () { window.location.href = v.href; });
        bounds.push([v.lat, v.lon]);
      });
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13 });
    });
})();
