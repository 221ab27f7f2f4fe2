// reelforge jobs pages: live progress (list) and live log (detail) over Server-Sent Events.
// The server sends `progress` {id,status,progress,step,error}, `log` {id,level,message,created_at}
// and `end` events (see jobs/events.py). EventSource reconnects by itself with Last-Event-ID.
(function () {
  "use strict";
  var FINAL = { completed: 1, failed: 1, cancelled: 1 };
  var PILLS = {
    pending: "pill", processing: "pill pill-accent", completed: "pill pill-ok",
    failed: "pill pill-err", cancelled: "pill pill-warn"
  };

  function label(holder, status) {
    return holder.getAttribute("data-label-" + status) || status;
  }

  function setLive(on) {
    document.querySelectorAll("[data-live-indicator]").forEach(function (el) {
      el.setAttribute("data-state", on ? "live" : "off");
      el.textContent = on ? (document.documentElement.lang === "ko" ? "실시간" : "live") : "";
    });
  }

  function paint(scope, holder, state) {
    var pct = Math.max(0, Math.min(100, state.progress | 0));
    var bar = scope.querySelector("[data-job-progress]");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(pct));
      var fill = bar.querySelector(".job-bar span");
      if (fill) fill.style.width = pct + "%";
      var track = bar.querySelector(".job-bar");
      if (track) track.className = "job-bar is-" + state.status;
      var num = bar.querySelector("[data-job-pct]");
      if (num) num.textContent = pct + "%";
    }
    var pill = scope.querySelector("[data-job-status]");
    if (pill) {
      pill.className = PILLS[state.status] || "pill";
      pill.textContent = label(holder, state.status);
    }
    var step = scope.querySelector("[data-job-step]");
    if (step) step.textContent = state.status === "processing" || scope === holder ? (state.step || "") : "";
    var err = scope.querySelector("[data-job-error]");
    if (err) {
      err.hidden = !state.error;
      err.textContent = state.error || "";
    }
    scope.setAttribute("data-status", state.status);
  }

  // ---- list page: one multiplexed stream for the active rows on the page
  var list = document.querySelector("[data-jobs-list]");
  if (list && window.EventSource) {
    var rows = {};
    var active = [];
    list.querySelectorAll("[data-job-row]").forEach(function (row) {
      var id = row.getAttribute("data-job-row");
      rows[id] = row;
      if (!FINAL[row.getAttribute("data-status")]) active.push(id);
    });
    if (active.length) {
      var url = list.getAttribute("data-events-url") + "?ids=" + encodeURIComponent(active.join(","));
      var es = new EventSource(url);
      es.onopen = function () { setLive(true); };
      es.onerror = function () { setLive(false); };
      es.addEventListener("progress", function (e) {
        var state = JSON.parse(e.data);
        if (rows[state.id]) paint(rows[state.id], list, state);
      });
      es.addEventListener("end", function (e) {
        var state = JSON.parse(e.data);
        active = active.filter(function (id) { return id !== state.id; });
        if (!active.length) { es.close(); setLive(false); }
      });
      window.addEventListener("pagehide", function () { es.close(); });
    }
  }

  // ---- detail page: progress + log lines of one job
  var detail = document.querySelector("[data-job-detail]");
  if (detail && window.EventSource && !FINAL[detail.getAttribute("data-status")]) {
    var log = detail.querySelector("[data-job-log]");
    var lastId = parseInt(detail.getAttribute("data-last-log") || "0", 10);
    var src = new EventSource(detail.getAttribute("data-events-url") + "?after=" + lastId);
    var fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    });
    src.onopen = function () { setLive(true); };
    src.onerror = function () { setLive(false); };
    src.addEventListener("progress", function (e) { paint(detail, detail, JSON.parse(e.data)); });
    src.addEventListener("log", function (e) {
      var line = JSON.parse(e.data);
      if (line.id <= lastId) return;
      lastId = line.id;
      var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      var li = document.createElement("li");
      li.className = "lv-" + line.level;
      li.setAttribute("data-log-id", String(line.id));
      var t = document.createElement("time");
      var when = new Date(line.created_at.indexOf("Z") > 0 || line.created_at.indexOf("+") > 0 ? line.created_at : line.created_at + "Z");
      t.dateTime = when.toISOString();
      t.textContent = fmt.format(when);
      li.appendChild(t);
      li.appendChild(document.createTextNode(line.text || line.message));
      log.appendChild(li);
      if (atBottom) log.scrollTop = log.scrollHeight;
    });
    src.addEventListener("end", function (e) {
      src.close();
      setLive(false);
      paint(detail, detail, JSON.parse(e.data));
      // The available actions (retry, delete) depend on the final status: show them.
      setTimeout(function () { window.location.reload(); }, 800);
    });
    window.addEventListener("pagehide", function () { src.close(); });
  }
})();
