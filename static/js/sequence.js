// Sequence page: play the shots one after another, and reorder them by drag and drop or keys.
// Static file under a strict CSP: no inline script, no eval.
(function () {
  "use strict";

  // Two <video> elements take turns: while one plays, the other loads the next shot, so the
  // switch at a boundary is a swap of visible elements, not a load.
  function setUpPlayer(root) {
    var videos = root.querySelectorAll("video");
    var sources = Array.prototype.map.call(
      document.querySelectorAll("[data-playlist] [data-shot-video]"),
      function (link) { return link.getAttribute("href"); }
    );
    var status = document.querySelector("[data-now-playing]");
    var button = document.querySelector("[data-play-sequence]");
    if (videos.length < 2 || !sources.length) return;
    var index = 0;
    var active = videos[0];
    var standby = videos[1];

    function say(number) {
      if (status) status.textContent = number + " / " + sources.length;
    }

    function preload(next) {
      if (next < sources.length) {
        standby.src = sources[next];
        standby.load();
      } else {
        standby.removeAttribute("src");
      }
    }

    function onEnded(event) {
      if (event.target !== active) return;
      if (index + 1 >= sources.length) {
        root.dataset.finished = "true";
        return;
      }
      index += 1;
      var previous = active;
      active = standby;
      standby = previous;
      active.hidden = false;
      active.controls = true;
      active.muted = previous.muted;
      active.classList.add("active");
      active.play();
      previous.pause();
      previous.hidden = true;
      previous.controls = false;
      previous.classList.remove("active");
      root.dataset.playing = String(index);
      say(index + 1);
      preload(index + 1);
    }

    videos.forEach(function (video) { video.addEventListener("ended", onEnded); });
    preload(1);
    if (button) {
      button.addEventListener("click", function () {
        index = 0;
        delete root.dataset.finished;
        if (active.getAttribute("src") !== sources[0]) active.src = sources[0];
        active.currentTime = 0;
        root.dataset.playing = "0";
        say(1);
        active.play();
        preload(1);
      });
    }
  }

  function orderOf(list) {
    return Array.prototype.map.call(list.querySelectorAll("[data-shot]"), function (item) {
      return item.dataset.shot;
    });
  }

  function sendOrder(list, focusCode) {
    htmx.ajax("POST", list.dataset.orderUrl, {
      target: "#shots", swap: "outerHTML", values: { shot: orderOf(list) }
    }).then(function () {
      var moved = focusCode && document.getElementById("shot-" + focusCode);
      if (moved) moved.focus();
    });
  }

  function setUpReorder() {
    var dragged = null;
    document.addEventListener("dragstart", function (event) {
      var item = event.target.closest && event.target.closest("[data-shot][draggable]");
      if (!item) return;
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.shot);
    });
    document.addEventListener("dragover", function (event) {
      if (!dragged) return;
      var over = event.target.closest && event.target.closest("[data-shot]");
      if (!over || over === dragged || over.parentNode !== dragged.parentNode) return;
      event.preventDefault();
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
    });
    document.addEventListener("drop", function (event) {
      if (dragged) event.preventDefault();
    });
    document.addEventListener("dragend", function () {
      if (!dragged) return;
      var list = dragged.parentNode;
      dragged.classList.remove("dragging");
      var code = dragged.dataset.shot;
      dragged = null;
      if (list && list.dataset.orderUrl) sendOrder(list, code);
    });
    // Alt+↑ / Alt+↓ on a focused shot move it one place; focus follows it.
    document.addEventListener("keydown", function (event) {
      var item = event.target.closest && event.target.closest("[data-shot][draggable]");
      if (!item || item !== event.target || !event.altKey) return;
      if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
      event.preventDefault();
      var sibling = event.key === "ArrowUp" ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling || !sibling.dataset.shot) return;
      item.parentNode.insertBefore(item, event.key === "ArrowUp" ? sibling : sibling.nextSibling);
      sendOrder(item.parentNode, item.dataset.shot);
    });
    // After an arrow button's swap, keep the focus on the same button of the moved shot.
    var pending = null;
    document.addEventListener("htmx:beforeRequest", function (event) {
      var button = document.activeElement;
      var shot = button && button.closest && button.closest("[data-shot]");
      pending = shot && button.name === "to" ? { code: shot.dataset.shot, to: button.value } : null;
    });
    document.addEventListener("htmx:afterSettle", function () {
      if (!pending) return;
      var shot = document.getElementById("shot-" + pending.code);
      var button = shot && shot.querySelector('button[name="to"][value="' + pending.to + '"]');
      if (button && !button.disabled) button.focus();
      else if (shot) shot.focus();
      pending = null;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var player = document.querySelector("[data-sequence-player]");
    if (player) setUpPlayer(player);
    setUpReorder();
  });
})();
