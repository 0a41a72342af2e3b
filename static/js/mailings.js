// Sending progress: ask the server every second until the run is finished, then reload for the list.
(function () {
  "use strict";
  var bar = document.getElementById("run-progress");
  if (!bar || bar.dataset.finished === "1") { return; }
  function tick() {
    fetch(bar.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var inner = bar.firstElementChild;
        inner.style.width = data.percent + "%";
        inner.textContent = data.percent + "%";
        bar.setAttribute("aria-valuenow", data.percent);
        ["sent", "failed", "skipped", "total"].forEach(function (name) {
          var cell = document.querySelector('[data-count="' + name + '"]');
          if (cell) { cell.textContent = data[name]; }
        });
        if (data.finished) { window.location.reload(); } else { setTimeout(tick, 1000); }
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 1000);
})();
