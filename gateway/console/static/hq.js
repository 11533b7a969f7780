// Headquarters' live pages: one event stream per page says "changed" when the collector has
// stored something, and each live panel fetches itself again (htmx). No data comes this way.
(function () {
  "use strict";
  if (!document.querySelector(".live-panel") || !window.EventSource) return;
  var source = new EventSource("/hq/stream");
  source.addEventListener("changed", function () {
    document.querySelectorAll(".live-panel").forEach(function (panel) {
      if (window.htmx) window.htmx.trigger(panel, "changed");
    });
  });
  source.addEventListener("expired", function () { source.close(); window.location.reload(); });
  // a page left must let its stream go: Chrome keeps it open otherwise, and six such streams
  // take every connection it allows to the console
  window.addEventListener("pagehide", function () { source.close(); });
})();
