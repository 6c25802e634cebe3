// The plan editor: autosave (POST with If-Match and the CSRF header, JSON back), the
// conflict dialog on a 412 (what the other person changed, then "Reload" or "Keep mine"),
// the Markdown preview, and the visibility of fields that depend on another answer.
// Without this script the form still saves with its Save button.
"use strict";
(function () {
  var form = document.getElementById("plan-form");
  if (!form) { return; }
  var plan = form.getAttribute("data-plan");
  var csrf = form.getAttribute("data-csrf");
  var status = document.getElementById("save-status");
  var revision = document.getElementById("revision");
  var dialog = document.getElementById("conflict-dialog");
  var timer = null;
  var saving = false;
  var again = false;
  var conflictAt = null;

  function say(key) { if (status) { status.textContent = form.getAttribute("data-msg-" + key) || ""; } }

  function body() {
    var data = new URLSearchParams(new FormData(form));
    data.delete("action");
    return data;
  }

  function save() {
    if (saving) { again = true; return; }
    if (dialog && dialog.open) { return; }
    saving = true;
    say("saving");
    var rev = revision.value;
    // Not form.action: the row buttons named "action" shadow that property.
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrf,
        "If-Match": "\"" + plan + "-" + rev + "\""
      },
      body: body()
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, json: j }; });
    }).then(function (res) {
      saving = false;
      if (res.status === 200) {
        revision.value = String(res.json.revision);
        say("saved");
        if (again) { again = false; save(); }
      } else if (res.status === 412) {
        conflict(rev, res.json);
      } else {
        say("failed");
        if (status) { status.textContent += ": " + (res.json.error || res.status); }
      }
    }).catch(function () { saving = false; say("failed"); });
  }

  function conflict(mine, j) {
    conflictAt = j.revision;
    var list = document.getElementById("conflict-diff");
    list.textContent = "";
    fetch("/ui/plans/" + plan + "/diff?from=" + encodeURIComponent(mine) + "&to=" + encodeURIComponent(j.revision),
      { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(doc.body.childNodes, function (n) { list.appendChild(document.importNode(n, true)); });
      });
    if (dialog && typeof dialog.showModal === "function") { dialog.showModal(); }
    say("failed");
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1200);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", function (e) { visibility(); schedule(); });
  form.addEventListener("submit", function (e) {
    // Row buttons (add, remove, move) go to the server as a plain form; Save goes by fetch.
    if (e.submitter && e.submitter.name === "action") { return; }
    e.preventDefault();
    if (timer) { clearTimeout(timer); }
    save();
  });
  var saveButtons = document.querySelectorAll("button[form=plan-form]");
  Array.prototype.forEach.call(saveButtons, function (b) {
    b.addEventListener("click", function (e) { e.preventDefault(); if (timer) { clearTimeout(timer); } save(); });
  });

  if (dialog) {
    document.getElementById("conflict-reload").addEventListener("click", function () {
      window.location.assign(window.location.pathname);
    });
    document.getElementById("conflict-keep").addEventListener("click", function () {
      if (conflictAt !== null) { revision.value = String(conflictAt); }
      dialog.close();
      save();
    });
  }

  // Fields shown only when another answer has a value (the template's conditions).
  function value(name) {
    var el = form.elements["f." + name];
    return el ? String(el.value || "").trim().toLowerCase() : "";
  }
  function holds(expected, actual) {
    var one = function (e) {
      e = String(e);
      if (e === "*") { return actual !== ""; }
      if (e.charAt(0) === "!") { return actual !== "" && actual !== e.slice(1).trim().toLowerCase(); }
      return actual === e.trim().toLowerCase();
    };
    return Array.isArray(expected) ? expected.some(one) : one(expected);
  }
  var placeholders = ["none", "n/a", "-", "null"];
  function visibility() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-when]"), function (el) {
      var conds;
      try { conds = JSON.parse(el.getAttribute("data-when")); } catch (e) { return; }
      var shown = Object.keys(conds).every(function (k) {
        var v = value(k);
        if (placeholders.indexOf(v) >= 0) { v = ""; }
        return holds(conds[k], v);
      });
      el.hidden = !shown;
    });
  }

  // The Markdown preview of an answer, rendered by the server.
  Array.prototype.forEach.call(form.querySelectorAll("textarea[data-preview]"), function (ta) {
    var out = document.getElementById(ta.getAttribute("data-preview"));
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = form.getAttribute("data-msg-preview");
    b.setAttribute("aria-controls", out.id);
    b.addEventListener("click", function () {
      fetch("/ui/preview", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
        body: new URLSearchParams({ text: ta.value })
      }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        out.textContent = "";
        Array.prototype.forEach.call(doc.body.childNodes, function (n) { out.appendChild(document.importNode(n, true)); });
        out.hidden = false;
      });
    });
    ta.insertAdjacentElement("afterend", b);
  });
})();
