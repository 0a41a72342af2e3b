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
  // Navigation badges (unread messages, cart items): the page itself never counts them; for a signed-in
  // visitor the bar asks core:nav-badges on load and every 10 s while the tab is visible. The server
  // sends each number with its spoken, translated form ("3 unread messages").
  var badgesUrl = document.body.dataset.navBadges;
  if (badgesUrl) {
    var badgeTimer = null;
    var badgesStopped = false;
    var showBadges = function (badges) {
      document.querySelectorAll("[data-nav-badge]").forEach(function (element) {
        var badge = badges[element.dataset.navBadge];
        var count = badge ? badge.count : 0;
        element.hidden = count <= 0;
        element.replaceChildren();
        if (count > 0) {
          var number = document.createElement("span");
          number.setAttribute("aria-hidden", "true");
          number.textContent = count > 99 ? "99+" : String(count);
          var label = document.createElement("span");
          label.className = "visually-hidden";
          label.textContent = badge.label;
          element.append(number, label);
          element.title = badge.label;
        }
      });
    };
    var schedule = function () {
      clearTimeout(badgeTimer);
      if (!badgesStopped && !document.hidden) { badgeTimer = setTimeout(refreshBadges, 10000); }
    };
    var refreshBadges = function () {
      fetch(badgesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          // Signed out elsewhere (or the session ended): stop asking.
          if (response.status === 401 || response.status === 403) { badgesStopped = true; return null; }
          return response.ok ? response.json() : null;
        })
        .then(function (badges) { if (badges) { showBadges(badges); } })
        .catch(function () { /* offline for a moment: the next round tries again */ })
        .finally(schedule);
    };
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { clearTimeout(badgeTimer); } else if (!badgesStopped) { refreshBadges(); }
    });
    refreshBadges();
  }
})();
