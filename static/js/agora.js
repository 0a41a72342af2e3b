// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // The language selector submits itself when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Resend-code cool-down: count down the seconds the server stated, then enable the button.
  var button = document.getElementById("resend-button");
  var counter = document.querySelector("[data-countdown]");
  if (button && counter) {
    var seconds = parseInt(button.dataset.cooldown, 10) || 0;
    var timer = setInterval(function () {
      seconds -= 1;
      counter.textContent = String(Math.max(seconds, 0));
      if (seconds <= 0) {
        clearInterval(timer);
        button.disabled = false;
        document.getElementById("resend-cooldown").hidden = true;
      }
    }, 1000);
  }
})();
