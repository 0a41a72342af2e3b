// Messenger pages: the people picker (new chat, add members); on the chat page live updates by
// polling, sending with upload progress, Enter to send, inline edit, delete after a confirmation and
// an image viewer. Without JavaScript every page still works: forms post normally (the usernames are
// typed, deleting goes through a confirmation page, images open in a new tab).
// The script holds no text of its own: every message comes translated from the page.
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // Enter submits the form of a textarea marked data-enter-submits; Shift+Enter keeps its new line.
  // An input method composing a word (Japanese, Chinese, ...) keeps its own use of Enter.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.isComposing || !target.matches || !target.matches("textarea[data-enter-submits]")) { return; }
    event.preventDefault();
    if (target.form) { target.form.requestSubmit(); }
  });

  // --- People picker ---------------------------------------------------------------------------
  // Enhances a usernames field into chips and a type-ahead list over the user search API. The
  // original field stays in the form (hidden) and always holds the chosen usernames, comma-separated,
  // so the server reads exactly what it reads without JavaScript.

  var pickerCount = 0;

  function PeoplePicker(container) {
    pickerCount += 1;
    var field = container.querySelector("input[type=text]");
    var self = this;
    this.container = container;
    this.field = field;
    this.chosen = [];
    this.options = [];
    this.active = -1;
    this.latest = 0;
    this.excluded = (container.dataset.exclude || "").split(/\s+/).filter(Boolean).concat(container.dataset.self || "");

    var box = document.createElement("div");
    box.className = "picker-box form-control";
    this.chips = document.createElement("span");
    this.chips.className = "picker-chips";
    var input = document.createElement("input");
    var listId = "people-picker-list-" + pickerCount;
    input.type = "text";
    input.id = field.id + "-search";
    input.className = "picker-input";
    input.autocomplete = "off";
    input.placeholder = container.dataset.placeholder || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    if (field.getAttribute("aria-describedby")) { input.setAttribute("aria-describedby", field.getAttribute("aria-describedby")); }
    box.appendChild(this.chips);
    box.appendChild(input);
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-list list-group shadow-sm";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var anchor = document.createElement("div");
    anchor.className = "picker-anchor";
    anchor.appendChild(box);
    anchor.appendChild(list);
    field.hidden = true;
    field.after(anchor);
    var label = document.querySelector("label[for='" + field.id + "']");
    if (label) { label.htmlFor = input.id; }
    this.input = input;
    this.list = list;

    field.value.split(/[\s,;]+/).forEach(function (name) { if (name) { self.add({ username: name.replace(/^@/, "") }); } });
    box.addEventListener("click", function (event) { if (event.target === box) { input.focus(); } });
    var pause = null;
    input.addEventListener("input", function () {
      // One search when typing pauses, not one per key; meanwhile the list keeps only what still
      // matches, so Enter never picks a person the typed text has ruled out.
      self.narrow();
      clearTimeout(pause);
      pause = setTimeout(function () { self.search(); }, 120);
    });
    input.addEventListener("keydown", function (event) { self.onKey(event); });
    input.addEventListener("blur", function () {
      // Later than a click on an option, which picks it first.
      setTimeout(function () { self.close(); }, 150);
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { self.pick(self.options[parseInt(option.dataset.index, 10)]); }
    });
    container.closest("form").addEventListener("submit", function () { self.commitTyped(); });
  }

  PeoplePicker.prototype.sync = function () {
    this.field.value = this.chosen.map(function (person) { return person.username; }).join(", ");
  };

  PeoplePicker.prototype.has = function (username) {
    var lower = username.toLowerCase();
    return this.chosen.some(function (person) { return person.username.toLowerCase() === lower; });
  };

  PeoplePicker.prototype.add = function (person) {
    if (!person.username || this.has(person.username)) { return; }
    var self = this;
    var chip = document.createElement("span");
    chip.className = "picker-chip";
    chip.dataset.username = person.username;
    if (person.avatar_url) {
      var avatar = document.createElement("img");
      avatar.src = person.avatar_url;
      avatar.alt = "";
      avatar.className = "avatar";
      chip.appendChild(avatar);
    }
    var name = document.createElement("span");
    name.textContent = person.username;
    chip.appendChild(name);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn-close picker-remove";
    remove.setAttribute("aria-label", format(this.container.dataset.removeLabel || "", { name: person.username }));
    remove.addEventListener("click", function () {
      self.chosen = self.chosen.filter(function (other) { return other.username !== person.username; });
      chip.remove();
      self.sync();
      self.input.focus();
    });
    chip.appendChild(remove);
    this.chips.appendChild(chip);
    this.chosen.push(person);
    this.sync();
  };

  PeoplePicker.prototype.pick = function (person) {
    if (!person) { return; }
    this.add(person);
    this.input.value = "";
    this.close();
    this.input.focus();
  };

  // What is typed but not picked still counts (the server names any unknown username).
  PeoplePicker.prototype.commitTyped = function () {
    var self = this;
    this.input.value.split(/[\s,;]+/).forEach(function (name) { if (name) { self.add({ username: name.replace(/^@/, "") }); } });
    this.input.value = "";
  };

  PeoplePicker.prototype.search = function () {
    var self = this;
    var query = this.input.value.trim().replace(/^@/, "");
    if (/[\s,;]/.test(this.input.value)) { this.commitTyped(); this.close(); return; }
    if (!query) { this.close(); return; }
    var ticket = ++this.latest;
    var url = this.container.dataset.searchUrl + "?search=" + encodeURIComponent(query);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || ticket !== self.latest) { return; }  // an older answer arriving late
        var excluded = self.excluded.map(function (name) { return name.toLowerCase(); });
        self.show(data.results.filter(function (person) {
          return excluded.indexOf(person.username.toLowerCase()) === -1 && !self.has(person.username);
        }).slice(0, 8));
      })
      .catch(function () { /* the typed name still goes with the form */ });
  };

  PeoplePicker.prototype.narrow = function () {
    var query = this.input.value.trim().replace(/^@/, "").toLowerCase();
    var left = this.options.filter(function (person) { return person.username.toLowerCase().indexOf(query) === 0; });
    if (this.list.hidden || left.length === this.options.length) { return; }
    if (left.length && query) { this.show(left); } else { this.close(); }
  };

  PeoplePicker.prototype.show = function (people) {
    var self = this;
    this.options = people;
    this.active = people.length ? 0 : -1;
    this.list.replaceChildren();
    if (!people.length) {
      var empty = document.createElement("li");
      empty.className = "list-group-item small text-muted picker-empty";
      empty.textContent = this.container.dataset.emptyLabel || "";
      this.list.appendChild(empty);
    }
    people.forEach(function (person, index) {
      var option = document.createElement("li");
      option.id = self.list.id + "-" + index;
      option.className = "list-group-item list-group-item-action picker-option";
      option.dataset.index = String(index);
      option.setAttribute("role", "option");
      var avatar = document.createElement("img");
      avatar.src = person.avatar_url;
      avatar.alt = "";
      avatar.className = "avatar avatar-sm";
      var names = document.createElement("span");
      names.className = "picker-names";
      var username = document.createElement("span");
      username.className = "fw-semibold picker-username";
      username.textContent = person.username;
      var fullName = document.createElement("span");
      fullName.className = "small text-muted picker-full-name";
      fullName.textContent = person.full_name || "";
      names.appendChild(username);
      names.appendChild(fullName);
      option.appendChild(avatar);
      option.appendChild(names);
      self.list.appendChild(option);
    });
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.highlight();
  };

  PeoplePicker.prototype.highlight = function () {
    var self = this;
    Array.prototype.forEach.call(this.list.querySelectorAll("[role=option]"), function (option, index) {
      option.setAttribute("aria-selected", index === self.active ? "true" : "false");
      option.classList.toggle("active", index === self.active);
    });
    if (this.active >= 0) {
      this.input.setAttribute("aria-activedescendant", this.list.id + "-" + this.active);
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  PeoplePicker.prototype.close = function () {
    this.list.hidden = true;
    this.options = [];
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  PeoplePicker.prototype.onKey = function (event) {
    var open = !this.list.hidden && this.options.length;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      this.active = (this.active + 1) % this.options.length;
      this.highlight();
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      this.active = (this.active - 1 + this.options.length) % this.options.length;
      this.highlight();
    } else if (event.key === "Enter" && (open || this.input.value.trim())) {
      // Picks the highlighted person (or takes the typed name) instead of submitting the form.
      event.preventDefault();
      if (open && this.active >= 0) { this.pick(this.options[this.active]); } else { this.commitTyped(); this.close(); }
    } else if (event.key === "Escape" && !this.list.hidden) {
      event.preventDefault();
      this.close();
    } else if (event.key === "Backspace" && !this.input.value && this.chosen.length) {
      var last = this.chips.lastElementChild;
      if (last) { last.querySelector("button").click(); }
    }
  };

  document.querySelectorAll("[data-people-picker]").forEach(function (container) { new PeoplePicker(container); });

  // --- The chat page ---------------------------------------------------------------------------

  var log = document.getElementById("chat-log");
  var list = document.getElementById("messages");
  if (!log || !list) { return; }
  var strings = JSON.parse(document.getElementById("chat-strings").textContent);
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

  // The same limits as the server's, checked before a large upload starts.
  function fileErrors(files) {
    var maxFiles = parseInt(form.dataset.maxFiles, 10) || 10;
    var maxBytes = (parseInt(form.dataset.maxMb, 10) || 16) * 1024 * 1024;
    if (files.length > maxFiles) { return [strings.tooMany]; }
    return Array.prototype.filter.call(files, function (file) { return file.size > maxBytes; }).map(function (file) {
      return files.length > 1 ? format(strings.named, { name: file.name, error: strings.tooLarge }) : strings.tooLarge;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var problems = fileErrors(form.elements.file.files);
    errors.textContent = problems.join(" ");
    if (problems.length) { return; }
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
        errors.textContent = (data.errors || [strings.failed]).join(" ");
      }
    });
    request.addEventListener("error", function () { progress.hidden = true; errors.textContent = strings.network; });
    request.send(new FormData(form));
  });

  function post(action, body) {
    errors.textContent = "";
    return fetch(action, { method: "POST", body: body, headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return [response.ok, data]; }, function () { return [false, {}]; });
      })
      .then(function (result) {
        if (result[0]) { upsert(result[1], false); } else { errors.textContent = (result[1].errors || [strings.failed]).join(" "); }
      }, function () { errors.textContent = strings.network; });
  }

  list.addEventListener("submit", function (event) {
    if (!event.target.classList.contains("edit-form")) { return; }
    event.preventDefault();
    post(event.target.action, new FormData(event.target));
  });

  // Deleting asks first, in a dialog; the link alone leads to the same question on a page of its own.
  var deleteDialog = document.getElementById("delete-dialog");
  var deleteForm = document.getElementById("delete-dialog-form");
  var deleteModal = window.bootstrap ? new window.bootstrap.Modal(deleteDialog) : null;
  var imageViewer = document.getElementById("image-viewer");
  var imageModal = window.bootstrap ? new window.bootstrap.Modal(imageViewer) : null;

  list.addEventListener("click", function (event) {
    var link = event.target.closest(".delete-link");
    if (link && deleteModal) {
      event.preventDefault();
      var text = link.closest(".chat-message").querySelector(".message-text");
      var preview = document.getElementById("delete-dialog-preview");
      preview.replaceChildren();
      if (text) { preview.appendChild(text.cloneNode(true)); }
      preview.hidden = !text;
      deleteForm.action = link.href;
      deleteModal.show();
      return;
    }
    var image = event.target.closest(".attachment-preview");
    if (image && imageModal && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      var full = document.getElementById("image-viewer-image");
      full.src = image.href;
      full.alt = image.dataset.name;
      document.getElementById("image-viewer-title").textContent = image.dataset.name;
      document.getElementById("image-viewer-download").href = image.dataset.download;
      imageModal.show();
    }
  });

  if (deleteModal) {
    deleteDialog.addEventListener("shown.bs.modal", function () { document.getElementById("delete-dialog-cancel").focus(); });
    deleteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      deleteModal.hide();
      post(deleteForm.action, new FormData(deleteForm));
    });
  }

  scrollToBottom();
  if (log.dataset.live === "1") { setTimeout(poll, parseInt(log.dataset.interval, 10) || 1500); }
})();
