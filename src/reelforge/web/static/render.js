// Render pages: live progress and scene images while a video is made; small form helpers.
(function () {
  "use strict";

  function setupForm(form) {
    var music = form.querySelector('select[name="music"]');
    var track = form.querySelector("[data-music-track]");
    var type = form.querySelector('select[name="type"]');
    var orientation = form.querySelector("[data-orientation]");
    var price = form.querySelector("[data-price]");
    var pricesEl = form.querySelector("[data-prices]");
    var prices = pricesEl ? JSON.parse(pricesEl.getAttribute("data-prices")) : {};
    function sync() {
      if (music && track) track.hidden = music.value !== "library";
      if (type && orientation) orientation.hidden = type.value !== "sora2";
      if (type && price && prices[type.value] !== undefined) price.textContent = prices[type.value];
    }
    [music, type].forEach(function (el) { if (el) el.addEventListener("change", sync); });
    form.querySelectorAll("[data-volume]").forEach(function (el) {
      var out = form.querySelector("[data-volume-out]");
      el.addEventListener("input", function () { if (out) out.textContent = Math.round(el.value * 100) + "%"; });
    });
    form.querySelectorAll("[data-speed]").forEach(function (el) {
      var out = form.querySelector("[data-speed-out]");
      el.addEventListener("input", function () { if (out) out.textContent = Number(el.value).toFixed(2) + "×"; });
    });
    sync();
  }

  function watchJob(root) {
    var id = root.getAttribute("data-render-job");
    var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
    var bar = root.querySelector("[data-progress]");
    var percent = root.querySelector("[data-percent]");
    var statusLabel = root.querySelector("[data-status-label]");
    var stepLabel = root.querySelector("[data-step-label]");
    var scenes = root.querySelector("[data-scenes]");
    var shown = {};
    scenes.querySelectorAll("img").forEach(function (img) { shown[img.getAttribute("src")] = true; });
    var delay = 1500;

    function tick() {
      fetch("/api/v1/renders/" + encodeURIComponent(id), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (job) {
          bar.value = job.progress;
          bar.textContent = job.progress + "%";
          percent.textContent = job.progress + "%";
          statusLabel.textContent = (labels.status || {})[job.status] || job.status;
          stepLabel.textContent = (labels.step || {})[job.step] || "";
          job.scene_images.forEach(function (url, i) {
            if (shown[url]) return;
            shown[url] = true;
            var empty = scenes.querySelector("[data-scenes-empty]");
            if (empty) empty.remove();
            var img = document.createElement("img");
            img.src = url;
            img.alt = "Scene " + (i + 1);
            scenes.appendChild(img);
          });
          if (job.status === "pending" || job.status === "processing") {
            delay = 1500;
            setTimeout(tick, delay);
          } else {
            window.location.reload();  // show the player, the downloads and "render again"
          }
        })
        .catch(function () { delay = Math.min(delay * 2, 15000); setTimeout(tick, delay); });
    }
    var status = root.getAttribute("data-status");
    if (status === "pending" || status === "processing") setTimeout(tick, 800);
  }

  document.querySelectorAll("[data-render-form]").forEach(setupForm);
  document.querySelectorAll("[data-render-job]").forEach(watchJob);
})();
