// Tries to act as the signed-in user of the platform that shows this page; every line must fail.
function show(id, text) { document.getElementById(id).textContent = text; }
fetch("/api/users/me/", { credentials: "include" })
  .then(function (response) { return response.text().then(function (text) { show("api", "status " + response.status + " " + text); }); })
  .catch(function (error) { show("api", "blocked: " + error); });
try { show("parent", "read: " + window.parent.document.body.innerHTML.length); }
catch (error) { show("parent", "blocked: " + error.name); }
try { show("cookie", "read: [" + document.cookie + "]"); }
catch (error) { show("cookie", "blocked: " + error.name); }
