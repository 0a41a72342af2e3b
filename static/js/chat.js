// Messenger page: live updates by polling, sending with upload progress, inline edit and delete.
// Without JavaScript the page still works: forms post normally and the page reloads.
(function () {
  "use strict";

  var log = document.getElementById("chat-log");
  var list = document.getElementById("messages");
  if (!log || !list) { return; }
  var after = parseInt(log.dataset.after, 10) || 0;
  var since = log.dataset.since;

  function scrollToBottom() { log.scrollTop = log.scrollHeight; }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function upsert(item, appendIfMissing) {
    var existing = document.getElementById("message-" + item.id);
    var node = fragment(item.html);
    if (existing) {
      // Polls bring back messages this page already shows (its own sends and edits): keep an
      // unchanged node, so an edit box the user has just opened is not closed under them.
      if (existing.dataset.changed !== node.dataset.changed) { existing.replaceWith(node); }
    } else if (appendIfMissing) {
      var empty = document.getElementById("no-messages");
      if (empty) { empty.remove(); }
      list.appendChild(node);
    }
    if (item.id > after && appendIfMissing) { after = item.id; }
  }

  function poll() {
    var url = log.dataset.pollUrl + "?after=" + after + "&since=" + encodeURIComponent(since);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
        data.messages.forEach(function (item) { upsert(item, true); });
        data.changed.forEach(function (item) { upsert(item, false); });
        since = data.since;
        if (data.messages.length && nearBottom) { scrollToBottom(); }
      })
      .catch(function () { /* a missed poll is retried at the next tick */ })
      .finally(function () { setTimeout(poll, parseInt(log.dataset.interval, 10) || 1500); });
  }

  var form = document.getElementById("send-form");
  var progress = document.getElementById("upload-progress");
  var errors = document.getElementById("send-errors");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.elements.file.files[0];
    var maxBytes = (parseInt(form.dataset.maxMb, 10) || 16) * 1024 * 1024;
    errors.textContent = "";
    if (file && file.size > maxBytes) {
      errors.textContent = form.dataset.maxMb + " MB max";
      return;
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (progressEvent) {
      if (!progressEvent.lengthComputable) { return; }
      var percent = Math.round(progressEvent.loaded * 100 / progressEvent.total);
      progress.hidden = false;
      progress.firstElementChild.style.width = percent + "%";
      progress.firstElementChild.textContent = percent + "%";
    });
    request.addEventListener("load", function () {
      progress.hidden = true;
      var data = {};
      try { data = JSON.parse(request.responseText); } catch (error) { data = {}; }
      if (request.status === 201) {
        upsert(data, true);
        form.reset();
        scrollToBottom();
      } else {
        errors.textContent = (data.errors || [request.statusText]).join(" ");
      }
    });
    request.addEventListener("error", function () { progress.hidden = true; errors.textContent = "Network error"; });
    request.send(new FormData(form));
  });

  list.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.classList.contains("edit-form") && !target.classList.contains("delete-form")) { return; }
    event.preventDefault();
    fetch(target.action, {
      method: "POST",
      body: new FormData(target),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        if (result[0]) { upsert(result[1], false); } else { errors.textContent = (result[1].errors || []).join(" "); }
      });
  });

  scrollToBottom();
  if (log.dataset.live === "1") { setTimeout(poll, parseInt(log.dataset.interval, 10) || 1500); }
})();
