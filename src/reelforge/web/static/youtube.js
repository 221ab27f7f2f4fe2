/* reelforge YouTube pages: the browser's time zone for scheduled uploads, "scheduled means private",
   and live status of uploads in progress (polls the JSON API while something is queued or uploading). */
(function () {
  "use strict";

  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz = ""; }
  document.querySelectorAll("[data-browser-timezone]").forEach(function (el) { el.value = tz; });

  var form = document.querySelector("[data-upload-form]");
  if (form) {
    var when = form.querySelector("[data-publish-at]");
    var radios = form.querySelectorAll("[data-privacy]");
    var sync = function () {
      var scheduled = when && when.value;
      radios.forEach(function (r) {
        if (r.value !== "private") { r.disabled = !!scheduled; }
        if (scheduled && r.value === "private") { r.checked = true; }
      });
    };
    if (when) { when.addEventListener("input", sync); sync(); }
  }

  var table = document.querySelector("[data-uploads]");
  if (!table || !window.fetch) { return; }
  var active = function () { return table.querySelectorAll("tr[data-active='1']").length > 0; };
  if (!active()) { return; }
  var labels = {};
  table.querySelectorAll("[data-upload-status]").forEach(function (el) {
    labels[el.getAttribute("data-upload-status")] = el.textContent;
  });
  var timer = null;
  var poll = function () {
    fetch("/api/v1/youtube/uploads?limit=100", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        var reload = false;
        items.forEach(function (u) {
          var row = table.querySelector("tr[data-upload-id='" + u.id + "']");
          if (!row) { return; }
          var pill = row.querySelector("[data-upload-status]");
          if (pill && pill.getAttribute("data-upload-status") !== u.status) { reload = true; }
          var prog = row.querySelector("[data-upload-progress]");
          if (prog && u.size_bytes) { prog.textContent = Math.round(100 * u.bytes_sent / u.size_bytes) + "%"; }
        });
        if (reload) { window.location.reload(); return; }
        timer = window.setTimeout(poll, 3000);
      })
      .catch(function () { timer = window.setTimeout(poll, 10000); });
  };
  timer = window.setTimeout(poll, 3000);
  window.addEventListener("pagehide", function () { if (timer) { window.clearTimeout(timer); } });
})();
