// The live budget preview of the project form: while the author types, the form is sent (debounced)
// to the preview endpoint, which saves nothing, and its breakdown or field errors are shown.
(function () {
  "use strict";
  var form = document.getElementById("project-form");
  var panel = document.getElementById("budget-preview");
  if (!form || !panel || !form.dataset.previewUrl) {
    return;
  }
  var DELAY_MS = 300;
  var timer = null;
  // Answers can arrive out of order: only the latest request's answer is shown.
  var latest = 0;

  // The label of a field the error names; "" for errors about several fields (the team's).
  function labelOf(name) {
    var field = form.elements.namedItem(name);
    if (!field) {
      return "";
    }
    if (name === "sites") {
      return form.querySelector("#sites-label").textContent.trim();
    }
    var label = field.id ? form.querySelector('label[for="' + field.id + '"]') : null;
    return label ? label.textContent.trim() : "";
  }

  function showErrors(errors) {
    var title = document.createElement("p");
    title.className = "small text-danger mb-1";
    title.textContent = panel.dataset.errorTitle;
    var list = document.createElement("ul");
    list.className = "small text-danger mb-0 ps-3";
    list.id = "budget-preview-errors";
    Object.keys(errors).forEach(function (name) {
      errors[name].forEach(function (message) {
        var item = document.createElement("li");
        var label = labelOf(name);
        item.textContent = label ? label + ": " + message : message;
        list.appendChild(item);
      });
    });
    panel.replaceChildren(title, list);
  }

  function showFailure() {
    var text = document.createElement("p");
    text.className = "small text-muted mb-0";
    text.textContent = panel.dataset.failed;
    panel.replaceChildren(text);
  }

  function preview() {
    var data = new FormData(form);
    // The cover is not part of the budget: do not upload it on every key press.
    data.delete("cover");
    var request = ++latest;
    panel.setAttribute("aria-busy", "true");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (request !== latest) {
          return;
        }
        if (answer.ok && answer.body.errors) {
          showErrors(answer.body.errors);
        } else if (answer.ok) {
          // Our own template's HTML (numbers and translated labels), rendered by the endpoint.
          panel.innerHTML = answer.body.html;
        } else {
          showFailure();
        }
      })
      .catch(function () {
        if (request === latest) {
          showFailure();
        }
      })
      .finally(function () {
        if (request === latest) {
          panel.removeAttribute("aria-busy");
        }
      });
  }

  function schedule(event) {
    if (event.target && event.target.name === "cover") {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, DELAY_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // A form shown again with the author's values (edit, or refused on save) gets its budget at once.
  if (form.elements.namedItem("months").value) {
    preview();
  }
})();
