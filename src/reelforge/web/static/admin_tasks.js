/* Admin task board: drag a card to another column (or another place in one) with HTML5 drag
   and drop. The move goes through the JSON API (PATCH /api/v1/admin/tasks/<id> with the
   session's CSRF token), then the board reloads so every card shows its newest log line.
   Without JS, or from the keyboard, the buttons on each card do the same through forms. */
(function () {
  "use strict";
  var board = document.querySelector("[data-task-board]");
  if (!board) return;
  var csrf = board.getAttribute("data-csrf");
  var dragged = null;

  function cardsOf(list) {
    return Array.prototype.filter.call(list.querySelectorAll("[data-task-card]"), function (c) { return c !== dragged; });
  }

  function dropIndex(list, y) {
    var cards = cardsOf(list);
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) return i;
    }
    return cards.length;
  }

  board.querySelectorAll("[data-task-card]").forEach(function (card) {
    card.addEventListener("dragstart", function (e) {
      dragged = card;
      card.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.getAttribute("data-task-id"));
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      dragged = null;
      board.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    });
  });

  board.querySelectorAll("[data-dropzone]").forEach(function (list) {
    var column = list.closest("[data-column]").getAttribute("data-column");
    list.addEventListener("dragover", function (e) {
      if (!dragged) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      list.classList.add("drop-target");
    });
    list.addEventListener("dragleave", function (e) {
      if (!list.contains(e.relatedTarget)) list.classList.remove("drop-target");
    });
    list.addEventListener("drop", function (e) {
      e.preventDefault();
      list.classList.remove("drop-target");
      if (!dragged) return;
      var id = dragged.getAttribute("data-task-id");
      var body = { status: column, position: dropIndex(list, e.clientY) };
      var before = cardsOf(list)[body.position];
      if (before) list.insertBefore(dragged, before); else list.appendChild(dragged);
      fetch("/api/v1/admin/tasks/" + encodeURIComponent(id), {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": csrf, accept: "application/json" },
        body: JSON.stringify(body)
      }).then(function (r) {
        if (r.ok) { window.location.reload(); return; }
        return r.json().then(function (p) { window.alert(p.detail || board.getAttribute("data-error")); },
          function () { window.alert(board.getAttribute("data-error")); }).then(function () { window.location.reload(); });
      }, function () {
        window.alert(board.getAttribute("data-error"));
        window.location.reload();
      });
    });
  });
})();
