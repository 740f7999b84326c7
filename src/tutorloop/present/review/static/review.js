/* tutorloop review pages: keyboard shortcuts, and labels posted as JSON to /v1/labels.
   Reading works without this script; the session cookie authenticates the requests. */
(function () {
  "use strict";

  function all(selector) {
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  }

  function move(items, delta) {
    if (!items.length) { return; }
    var at = items.indexOf(document.activeElement);
    var next = at < 0 ? (delta > 0 ? 0 : items.length - 1) : at + delta;
    next = Math.max(0, Math.min(items.length - 1, next));
    items[next].focus();
    items[next].scrollIntoView({ block: "nearest" });
  }

  function focused() {
    var el = document.activeElement;
    return el && el.closest ? el.closest(".target") : null;
  }

  var session = document.getElementById("session");
  var status = document.getElementById("status");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function post(target, value) {
    var body = {
      run_id: session.dataset.run,
      item_key: session.dataset.item,
      dimension: target.dataset.dimension,
      value: value
    };
    if (target.dataset.turn !== undefined) { body.turn = Number(target.dataset.turn); }
    var note = target.querySelector("input.note");
    if (note && note.value.trim()) { body.note = note.value.trim(); }
    var saved = target.querySelector(".saved");
    if (saved) { saved.textContent = "saving…"; }
    return fetch("/v1/labels", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (reply) {
      if (!reply.ok) {
        throw new Error(reply.data && reply.data.error ? reply.data.error.message : "not saved");
      }
      target.dataset.saved = value;
      Array.prototype.forEach.call(target.querySelectorAll("button[data-value]"), function (b) {
        b.setAttribute("aria-pressed", b.dataset.value === value ? "true" : "false");
      });
      if (saved) { saved.textContent = "saved"; }
      say("Saved " + body.dimension + (body.turn !== undefined ? " on turn " + body.turn : "") +
          ": " + value + " (label " + reply.data.label_id + ")");
    }).catch(function (error) {
      if (saved) { saved.textContent = "not saved"; }
      say("Not saved: " + error.message);
    });
  }

  function current(target) {
    if (target.dataset.saved) { return target.dataset.saved; }
    var pressed = target.querySelector("button[aria-pressed=true]");
    return pressed ? pressed.dataset.value : null;
  }

  function toggleHelp() {
    var help = document.getElementById("help");
    if (help) { help.hidden = !help.hidden; }
  }

  if (session) {
    all(".target button[data-value]").forEach(function (button) {
      button.addEventListener("click", function () {
        post(button.closest(".target"), button.dataset.value);
      });
    });
    all(".target input.note").forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === "Escape") {
          event.preventDefault();
          input.closest(".target").focus();
        }
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    var key = event.key;
    if (key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (!session) {
      var rows = all("tr[data-row]");
      if (key === "j" || key === "k") { move(rows, key === "j" ? 1 : -1); event.preventDefault(); }
      else if (key === "Enter" && rows.indexOf(document.activeElement) >= 0) {
        window.location.assign(document.activeElement.dataset.href);
      }
      return;
    }
    var target = focused();
    if (key === "j" && session.dataset.next) { window.location.assign(session.dataset.next); }
    else if (key === "k" && session.dataset.prev) { window.location.assign(session.dataset.prev); }
    else if (key === "ArrowDown" || key === "ArrowUp") {
      move(all(".target"), key === "ArrowDown" ? 1 : -1);
    } else if ((key === "p" || key === "f") && target && target.dataset.kind === "check") {
      post(target, key === "p" ? "pass" : "fail");
    } else if ((key === "1" || key === "2" || key === "3") && target &&
               target.dataset.kind === "turn") {
      var values = JSON.parse(target.dataset.values);
      post(target, values[Number(key) - 1]);
    } else if (key === "n" && target) {
      var note = target.querySelector("input.note");
      if (note) { note.focus(); }
    } else if (key === "e") {
      var escalate = document.getElementById("escalate");
      post(escalate, current(escalate) === "yes" ? "no" : "yes");
    } else {
      return;
    }
    event.preventDefault();
  });
}());
