// The live feed: new alerts pushed by the server (server-sent events) go to the top of their
// list; Severe and Extreme ones beep once the sound is armed (browsers allow sound only after
// a click). No other script runs on the page but htmx.
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  var soundButton = document.getElementById("sound");
  var armed = false;
  var audio = null;

  function beep() {
    if (!armed || !audio) return;
    [0, 0.35, 0.7].forEach(function (offset) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.25;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(audio.currentTime + offset);
      tone.stop(audio.currentTime + offset + 0.2);
    });
  }

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      armed = !armed;
      if (armed && !audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      soundButton.setAttribute("aria-pressed", armed ? "true" : "false");
      soundButton.textContent = armed ? soundButton.dataset.on : soundButton.dataset.off;
      if (armed) beep();
    });
  }

  function insert(list, html) {
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    if (!row || document.getElementById(row.id)) return null;
    row.classList.add("arrived");
    list.insertBefore(row, list.firstChild);
    if (window.htmx) window.htmx.process(row);
    return row;
  }

  if (feed && feed.dataset.stream) {
    var lane = document.getElementById("lane");
    var state = document.getElementById("live-state");
    var url = feed.dataset.stream + (feed.dataset.stream.indexOf("?") < 0 ? "?" : "&") +
      "after=" + encodeURIComponent(feed.dataset.after);
    var source = new EventSource(url);
    var unseen = 0;
    var title = document.title;
    function arrived(list, event) {
      var row = insert(list, event.data);
      if (!row) return;
      if (document.hidden) { unseen += 1; document.title = "(" + unseen + ") " + title; }
      var severity = row.dataset.severity;
      if (severity === "Extreme" || severity === "Severe") beep();
    }
    source.addEventListener("alert", function (event) { arrived(feed, event); });
    source.addEventListener("unparsed", function (event) { arrived(lane, event); });
    source.addEventListener("expired", function () { source.close(); window.location.reload(); });
    source.addEventListener("open", function () { if (state) state.classList.remove("lost"); });
    source.addEventListener("error", function () { if (state) state.classList.add("lost"); });
    window.addEventListener("pagehide", function () { source.close(); });  // see hq.js
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { unseen = 0; document.title = title; }
    });
  }
})();

// A session that ended (idle, password changed) makes htmx's requests answer 401: go to the
// login page instead of leaving a page that silently stopped refreshing.
document.addEventListener("htmx:responseError", function (event) {
  if (event.detail.xhr && event.detail.xhr.status === 401) window.location.reload();
});
