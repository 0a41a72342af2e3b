// The countdown to a preview's automatic stop (the server stops it; this only shows when).
(function () {
  "use strict";
  var countdown = document.getElementById("preview-countdown");
  if (!countdown) {
    return;
  }
  var expiresAt = Date.parse(countdown.getAttribute("data-expires-at"));
  var label = countdown.getAttribute("data-label");
  var done = countdown.getAttribute("data-done");
  var wasRunning = expiresAt > Date.now();

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function tick() {
    var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    if (left === 0) {
      countdown.textContent = done;
      var frame = document.getElementById("preview-frame");
      if (frame) {
        frame.remove();
      }
      if (wasRunning) {
        // Show the stopped state once the scheduled job has had its minute.
        window.setTimeout(function () { window.location.reload(); }, 65000);
      }
      return;
    }
    countdown.textContent = label + " " + Math.floor(left / 60) + ":" + pad(left % 60);
    window.setTimeout(tick, 1000);
  }

  tick();
})();
