// reelforge scripts pages: topic counter, live generation view (SSE), scene editor, prompt preview.
(function () {
  "use strict";

  // ---------------------------------------------------------------- helpers
  // Same estimate as reelforge.scripts.schema.estimate_narration_seconds.
  function estimateSeconds(text, language) {
    if (language === "ko") {
      var n = 0;
      for (var i = 0; i < text.length; i++) {
        var c = text.charCodeAt(i);
        if ((c >= 0xac00 && c <= 0xd7a3) || /[0-9A-Za-z]/.test(text[i])) n++;
      }
      return Math.round((n / 7) * 10) / 10;
    }
    var words = text.trim().split(/\s+/).filter(Boolean).length;
    return Math.round((words / 2.7) * 10) / 10;
  }

  // ---------------------------------------------------------------- topic counter
  document.querySelectorAll("[data-count-for]").forEach(function (counter) {
    var input = document.getElementById(counter.getAttribute("data-count-for"));
    var max = parseInt(counter.getAttribute("data-max"), 10);
    if (!input) return;
    function update() {
      var n = input.value.trim().length;
      counter.textContent = n + "/" + max;
      counter.classList.toggle("over", n > max);
    }
    input.addEventListener("input", update);
    update();
  });

  // ---------------------------------------------------------------- live generation view
  var live = document.querySelector("[data-script-live]");
  if (live && window.EventSource) {
    var status = live.getAttribute("data-status");
    var logList = live.querySelector("[data-log]");
    var bar = live.querySelector("[data-bar]");
    var pill = live.querySelector("[data-status-pill]");
    var stepEl = live.querySelector("[data-step]");
    var errEl = live.querySelector("[data-error]");
    if (status === "pending" || status === "processing") {
      var url = live.getAttribute("data-events-url") + "?after=" + (live.getAttribute("data-last-log") || "0");
      var source = new EventSource(url);
      source.addEventListener("log", function (e) {
        var line = JSON.parse(e.data);
        if (logList.querySelector('[data-log-id="' + line.id + '"]')) return;
        var li = document.createElement("li");
        li.className = "lv-" + line.level + (line.message.indexOf("✎") === 0 ? " pen" : "");
        li.setAttribute("data-log-id", line.id);
        li.textContent = line.text || line.message;
        logList.appendChild(li);
        logList.scrollTop = logList.scrollHeight;
      });
      source.addEventListener("progress", function (e) {
        var s = JSON.parse(e.data);
        bar.firstElementChild.style.width = s.progress + "%";
        bar.setAttribute("aria-valuenow", s.progress);
        bar.className = "sc-bar is-" + s.status;
        if (stepEl) stepEl.textContent = s.step || "";
        if (pill) pill.textContent = live.getAttribute("data-label-" + s.status) || s.status;
        if (s.error && errEl) { errEl.textContent = s.error; errEl.hidden = false; }
      });
      source.addEventListener("end", function (e) {
        source.close();
        var s = JSON.parse(e.data);
        // A finished script opens in the editor; a failed one shows its error after a reload.
        setTimeout(function () { window.location.reload(); }, s.status === "completed" ? 600 : 1200);
      });
    }
  }

  // ---------------------------------------------------------------- scene editor
  var editor = document.querySelector("[data-script-editor]");
  if (editor) {
    var language = editor.getAttribute("data-language");
    var unit = editor.getAttribute("data-unit") || "s";
    var list = editor.querySelector("[data-scenes]");
    var tpl = editor.querySelector("[data-scene-template]");
    var min = parseInt(editor.getAttribute("data-min"), 10);
    var max = parseInt(editor.getAttribute("data-max"), 10);
    var errorEl = editor.querySelector("[data-scene-error]");
    var totalEl = editor.querySelector("[data-total]");
    var countEl = editor.querySelector("[data-scene-count]");
    var dirty = false;

    function scenes() { return Array.prototype.slice.call(list.querySelectorAll("[data-scene]")); }

    function refresh() {
      var total = 0;
      var all = scenes();
      all.forEach(function (card, i) {
        card.querySelector("[data-scene-num]").textContent = i + 1;
        var secs = estimateSeconds(card.querySelector("[data-narration]").value, language);
        total += secs;
        card.querySelector("[data-scene-secs]").textContent = "~" + secs.toFixed(1) + unit;
        card.querySelector("[data-move='-1']").disabled = i === 0;
        card.querySelector("[data-move='1']").disabled = i === all.length - 1;
        card.querySelector("[data-remove]").disabled = all.length <= min;
      });
      totalEl.textContent = Math.round(total) + unit;
      countEl.textContent = all.length;
      editor.querySelector("[data-add-scene]").disabled = all.length >= max;
      var msg = "";
      if (all.length < min) msg = editor.getAttribute("data-msg-min");
      if (all.length > max) msg = editor.getAttribute("data-msg-max");
      errorEl.textContent = msg;
      errorEl.hidden = !msg;
    }

    list.addEventListener("input", function (e) {
      dirty = true;
      if (e.target.hasAttribute("data-narration")) refresh();
    });
    editor.addEventListener("input", function () { dirty = true; });
    list.addEventListener("click", function (e) {
      var btn = e.target.closest("button");
      if (!btn) return;
      var card = btn.closest("[data-scene]");
      if (btn.hasAttribute("data-remove")) {
        card.remove();
      } else if (btn.hasAttribute("data-move")) {
        if (btn.getAttribute("data-move") === "-1" && card.previousElementSibling) {
          list.insertBefore(card, card.previousElementSibling);
        } else if (btn.getAttribute("data-move") === "1" && card.nextElementSibling) {
          list.insertBefore(card.nextElementSibling, card);
        }
        btn.focus();
      } else {
        return;
      }
      dirty = true;
      refresh();
    });
    editor.querySelector("[data-add-scene]").addEventListener("click", function () {
      var node = tpl.content.firstElementChild.cloneNode(true);
      list.appendChild(node);
      dirty = true;
      refresh();
      node.querySelector("[data-narration]").focus();
    });
    editor.addEventListener("submit", function (e) {
      var n = scenes().length;
      if (n < min || n > max) { e.preventDefault(); refresh(); return; }
      dirty = false;
    });
    window.addEventListener("beforeunload", function (e) {
      if (dirty) { e.preventDefault(); e.returnValue = ""; }
    });
    refresh();
  }

  // ---------------------------------------------------------------- prompt preview
  var promptForm = document.querySelector("[data-prompt-editor]");
  if (promptForm) {
    var previewBtn = promptForm.querySelector("[data-preview]");
    var topicInput = document.querySelector("[data-preview-topic]");
    var errBox = document.querySelector("[data-preview-error]");
    var timer = null;
    function preview() {
      var body = { topic: topicInput ? topicInput.value : null };
      promptForm.querySelectorAll("[data-template]").forEach(function (t) { body[t.name] = t.value; });
      fetch(promptForm.getAttribute("data-preview-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": promptForm.getAttribute("data-csrf") },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        if (!res.ok) {
          errBox.textContent = res.data.detail || "error";
          errBox.hidden = false;
          return;
        }
        errBox.hidden = true;
        document.querySelector("[data-preview-system]").textContent = res.data.system;
        document.querySelector("[data-preview-user]").textContent = res.data.user;
        document.querySelector("[data-preview-image]").textContent = res.data.image_prompt;
      });
    }
    previewBtn.addEventListener("click", preview);
    function later() { clearTimeout(timer); timer = setTimeout(preview, 500); }
    promptForm.addEventListener("input", later);
    if (topicInput) topicInput.addEventListener("input", later);
  }
})();
