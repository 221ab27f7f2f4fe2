/* Credits pages: the usage chart (inline SVG from /api/v1/credits/usage, no libraries),
   quick top-up amounts, one-click submit buttons and confirmations. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceMax(v) {
    if (v <= 0) return 10;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function drawChart(box, data, labels, locale) {
    var target = box.querySelector("[data-chart]");
    var total = box.querySelector("[data-chart-total]");
    var fmt = new Intl.NumberFormat(locale);
    var points = data.points || [];
    var used = points.reduce(function (s, p) { return s + Math.max(0, p.used); }, 0);
    total.innerHTML = "";
    var strong = document.createElement("strong");
    strong.textContent = fmt.format(used);
    total.append(labels.total + ": ", strong);
    target.innerHTML = "";
    var W = 640, H = 240, L = 44, R = 8, T = 10, B = 28;
    // The scale follows usage; top-ups (often far larger) are marked along the top instead.
    var max = niceMax(Math.max.apply(null, points.map(function (p) { return p.used; }).concat([0])));
    var T2 = T + 14;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "presentation" }, target);
    var grid = el("g", { "class": "grid" }, svg);
    var axis = el("g", { "class": "axis" }, svg);
    var y = function (v) { return T2 + (H - T2 - B) * (1 - v / max); };
    for (var i = 0; i <= 4; i++) {
      var v = (max / 4) * i;
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v) }, grid);
      var t = el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, axis);
      t.textContent = fmt.format(v);
    }
    var n = Math.max(points.length, 1);
    var slot = (W - L - R) / n;
    var bw = Math.max(2, slot * 0.68);
    var dateFmt = new Intl.DateTimeFormat(locale, { month: "numeric", day: "numeric", timeZone: "UTC" });
    var every = Math.ceil(n / 8);
    var tip = box.querySelector(".chart-tip");
    if (!tip) { tip = document.createElement("div"); tip.className = "chart-tip"; tip.hidden = true; box.appendChild(tip); }
    points.forEach(function (p, idx) {
      var x = L + slot * idx + (slot - bw) / 2;
      var h = Math.max(0, p.used);
      var day = new Date(p.start + "T00:00:00Z");
      var label = dateFmt.format(day) + (data.bucket === "week" ? " ~" : "");
      var text = label + " · " + labels.used + " " + fmt.format(p.used) +
        (p.refunded ? " (" + labels.refunded + " " + fmt.format(p.refunded) + ")" : "") +
        " · " + labels.added + " " + fmt.format(p.added);
      var bar = el("rect", {
        "class": "bar-used", x: x, width: bw, y: y(h), height: Math.max(h > 0 ? 1.5 : 0, y(0) - y(h)),
        rx: Math.min(3, bw / 3), tabindex: "0", "data-used": p.used, "aria-label": text
      }, svg);
      el("title", {}, bar).textContent = text;
      var show = function () {
        var r = bar.getBoundingClientRect(), b = box.getBoundingClientRect();
        tip.textContent = text; tip.hidden = false;
        tip.style.left = (r.left - b.left + r.width / 2) + "px"; tip.style.top = (r.top - b.top) + "px";
      };
      bar.addEventListener("mouseenter", show); bar.addEventListener("focus", show);
      bar.addEventListener("mouseleave", function () { tip.hidden = true; });
      bar.addEventListener("blur", function () { tip.hidden = true; });
      if (p.added > 0) {
        var mark = el("circle", { "class": "dot-added", cx: L + slot * idx + slot / 2, cy: T + 4, r: 4 }, svg);
        el("title", {}, mark).textContent = label + " · " + labels.added + " " + fmt.format(p.added);
      }
      if (idx % every === 0) {
        var lt = el("text", { x: L + slot * idx + slot / 2, y: H - 8, "text-anchor": "middle" }, axis);
        lt.textContent = label;
      }
    });
    if (!points.some(function (p) { return p.used !== 0 || p.added !== 0; })) {
      var empty = el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "axis" }, svg);
      empty.textContent = labels.empty;
    }
  }

  function initChart(box) {
    var labels = {
      used: box.dataset.labelUsed, added: box.dataset.labelAdded, refunded: box.dataset.labelRefunded,
      empty: box.dataset.labelEmpty, error: box.dataset.labelError, total: box.dataset.labelTotal
    };
    var locale = box.dataset.locale || document.documentElement.lang || "ko";
    var buttons = box.querySelectorAll("[data-bucket]");
    function load(bucket) {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.bucket === bucket)); });
      fetch(box.dataset.url + "?bucket=" + encodeURIComponent(bucket), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { drawChart(box, data, labels, locale); box.dataset.loaded = bucket; })
        .catch(function () { box.querySelector("[data-chart]").textContent = labels.error; });
    }
    buttons.forEach(function (b) { b.addEventListener("click", function () { load(b.dataset.bucket); }); });
    load("day");
  }

  document.querySelectorAll("[data-usage-chart]").forEach(initChart);

  document.querySelectorAll("[data-topup-form] [data-amount]").forEach(function (b) {
    b.addEventListener("click", function () {
      var input = b.closest("form").querySelector("input[name=amount]");
      input.value = b.dataset.amount; input.focus();
    });
  });

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { ev.preventDefault(); return; }
      var btn = ev.submitter;
      if (btn && btn.hasAttribute("data-submit-once")) {
        // Keep the clicked button's name/formaction, then block a second click.
        setTimeout(function () { form.querySelectorAll("[data-submit-once]").forEach(function (b) { b.disabled = true; }); }, 0);
      }
    });
  });
})();
