// Live updates (LIVE_FRAGMENTS in lobbies/page/lobby.py): GET <poll url>?rev=N while the tab
// shows; 204 = nothing new, else out-of-band fragments, keeping focus, scroll and <details>.
// "live:poll" asks now; "live:updated" follows each update.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !root.getAttribute("data-live-url") || !window.fetch || !window.htmx) return;

  var url = root.getAttribute("data-live-url");
  var rev = root.getAttribute("data-live-rev") || "0";
  var interval = parseInt(root.getAttribute("data-live-interval"), 10) || 4000;
  var delay = interval;
  var timer = null;
  var busy = false;
  var stopped = false;
  var soon = false;

  // Forms marked data-live-params (filters) travel with each poll.
  function query() {
    var params = new URLSearchParams();
    document.querySelectorAll("form[data-live-params]").forEach(function (form) {
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string") params.append(name, value);
      });
    });
    params.set("rev", rev);
    return (url.indexOf("?") < 0 ? "?" : "&") + params.toString();
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(poll, ms === undefined ? delay : ms);
  }

  function remember() {
    var kept = { scroll: [], open: [], focus: null };
    document.querySelectorAll("[data-keep-scroll][id]").forEach(function (el) {
      kept.scroll.push([el.id, el.scrollTop, el.scrollLeft]);
    });
    document.querySelectorAll("details[id]").forEach(function (el) {
      kept.open.push([el.id, el.open]);
    });
    var cell = document.activeElement && document.activeElement.closest("td");
    var table = cell && cell.closest("table[id]");
    if (table) kept.focus = [table.id, cell.parentElement.rowIndex, cell.cellIndex];
    // Buttons without an id (place cards' votes) are found again by what they send.
    var button = document.activeElement;
    if (button && !button.id && button.matches("button[hx-post][value]")) {
      kept.button = [button.getAttribute("hx-post"), button.value];
    }
    return kept;
  }

  function restore(kept) {
    kept.open.forEach(function (entry) {
      var el = document.getElementById(entry[0]);
      if (el) el.open = entry[1];
    });
    kept.scroll.forEach(function (entry) {
      var el = document.getElementById(entry[0]);
      if (el) {
        el.scrollTop = entry[1];
        el.scrollLeft = entry[2];
      }
    });
    var lost = document.activeElement === document.body || !document.activeElement;
    if (kept.button && lost) {
      document.querySelectorAll("button[hx-post][value]").forEach(function (button) {
        if (button.getAttribute("hx-post") === kept.button[0] && button.value === kept.button[1]) {
          button.focus({ preventScroll: true });
        }
      });
    }
    if (kept.focus && lost) {
      var table = document.getElementById(kept.focus[0]);
      var row = table && table.rows[kept.focus[1]];
      var target = row && row.cells[kept.focus[2]];
      if (target) {
        target.tabIndex = 0;
        target.focus({ preventScroll: true });
      }
    }
  }

  function apply(html) {
    var kept = remember();
    window.htmx.swap(document.body, html, { swapStyle: "none" });
    restore(kept);
    document.dispatchEvent(new CustomEvent("live:updated"));
  }

  function poll() {
    if (busy || stopped) return;
    if (document.hidden) return; // visibilitychange starts again
    busy = true;
    fetch(url + query(), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "HX-Request": "true" },
    })
      .then(function (response) {
        if (response.status === 404) {
          // Removed, or the lobby is gone: the page will say which.
          stopped = true;
          location.reload();
          return;
        }
        if (response.status !== 200 && response.status !== 204) throw new Error(response.status);
        var next = response.headers.get("X-Lobby-Rev");
        delay = interval;
        if (response.status === 204) {
          if (next) rev = next;
          return;
        }
        return response.text().then(function (html) {
          apply(html);
          if (next) rev = next;
        });
      })
      .catch(function () {
        delay = Math.min(delay * 2, 60000); // back off while the server or network is down
      })
      .then(function () {
        busy = false;
        schedule(soon ? 0 : undefined);
        soon = false;
      });
  }

  // The same care for htmx swaps (the heatmap filter).
  var pending = null;
  document.addEventListener("htmx:beforeSwap", function () { pending = remember(); });
  document.addEventListener("htmx:afterSwap", function () {
    if (pending) restore(pending);
    pending = null;
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) clearTimeout(timer);
    else schedule(0);
  });
  document.addEventListener("live:poll", function () {
    if (busy) {
      soon = true; // the answer on its way may predate the change
    } else {
      clearTimeout(timer);
      poll();
    }
  });
  schedule();
})();
