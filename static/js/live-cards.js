// Live cards: one request per interval for every card still in progress on the page.
// Cards in progress carry data-poll (their code), data-poll-url and data-age (seconds since they
// were made, as of when they were drawn). The answer (studio.generations.views_live) redraws each
// card out of band; finished cards come back without data-poll, so polling stops by itself.
(function () {
  "use strict";

  var timer = null;

  // Back off as the youngest card in progress ages: most finish within a couple of minutes.
  function delayFor(ageSeconds) {
    if (ageSeconds < 60) return 2000;
    if (ageSeconds < 300) return 5000;
    if (ageSeconds < 900) return 10000;
    return 30000;
  }

  function pendingCards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-poll]"));
  }

  function schedule() {
    if (timer !== null) return;
    var cards = pendingCards();
    if (!cards.length) return;
    var youngest = Math.min.apply(null, cards.map(function (card) {
      return Number(card.getAttribute("data-age")) || 0;
    }));
    timer = window.setTimeout(poll, delayFor(youngest));
  }

  function poll() {
    timer = null;
    var cards = pendingCards();
    if (!cards.length || !window.htmx) return;
    var query = cards.map(function (card) {
      return "code=" + encodeURIComponent(card.getAttribute("data-poll"));
    }).join("&");
    var url = cards[0].getAttribute("data-poll-url") + "?" + query;
    window.htmx.ajax("GET", url, { swap: "none" }).then(schedule, schedule);
  }

  // New cards (after Generate, a retry, the next gallery page) start the schedule if it stopped.
  document.addEventListener("htmx:load", schedule);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", schedule);
  } else {
    schedule();
  }
})();
