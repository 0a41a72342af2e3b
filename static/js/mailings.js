// Mailings pages: the sending progress of a run, and "select all" for a mailing's clients.
(function () {
  "use strict";

  // Sending progress: ask the server every second until the run is finished, then reload for the list.
  var bar = document.getElementById("run-progress");
  if (bar && bar.dataset.finished !== "1") {
    var tick = function () {
      fetch(bar.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var inner = bar.firstElementChild;
          inner.style.width = data.percent + "%";
          inner.textContent = data.percent + "%";
          bar.setAttribute("aria-valuenow", data.percent);
          ["sent", "failed", "skipped", "unknown", "pending", "total"].forEach(function (name) {
            var cell = document.querySelector('[data-count="' + name + '"]');
            if (cell) { cell.textContent = data[name]; }
          });
          if (data.finished) { window.location.reload(); } else { setTimeout(tick, 1000); }
        })
        .catch(function () { setTimeout(tick, 2000); });
    };
    setTimeout(tick, 1000);
  }

  // The mailing form: one box ticks or clears every client.
  var clients = document.getElementById("id_clients");
  var toggle = document.getElementById("clients-all");
  if (clients && toggle) {
    var boxes = clients.querySelectorAll('input[type="checkbox"]');
    var sync = function () {
      var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      toggle.checked = checked === boxes.length && checked > 0;
      toggle.indeterminate = checked > 0 && checked < boxes.length;
    };
    clients.parentNode.insertBefore(toggle.parentElement, clients);
    toggle.parentElement.hidden = false;
    toggle.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = toggle.checked; });
    });
    clients.addEventListener("change", sync);
    sync();
  }
})();
