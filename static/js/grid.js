// My grid (_availability.html) and the heatmap (_group_view.html); both work without this
// file. CSP allows no inline script or style: state lives in data attributes.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var CODES = { yes: "y", maybe: "m", clear: "n" };
  var PAINTABLE = { y: 1, m: 1, n: 1, b: 1 };
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  // gettext: Django's JavaScript catalog (static/jsi18n/), or app.js's English fallback.
  var WORDS = { y: gettext("yes"), m: gettext("if need be"), n: gettext("no"), x: gettext("does not exist (the clocks change)") };
  var NONE = gettext("no slot");

  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (all, key) { return key in values ? values[key] : all; });
  }

  // Times show in the zone of the `tz` cookie. Set once only: the server ignores unknown zones.
  function setUpZone() {
    var line = document.getElementById("tz-line");
    if (!line || /(?:^|;\s*)tz=/.test(document.cookie)) return;
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
    if (!zone) return;
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
    // Not while the personal link shows: it is shown once.
    if (zone !== line.dataset.viewerTz && !document.getElementById("personal-link")) location.reload();
  }

  function isRtl(node) { return getComputedStyle(node).direction === "rtl"; }

  // An ARIA grid with a roving tabindex; withHeaders: the heading buttons are cells too.
  function Roving(table, withHeaders, onFocus) {
    var self = this;
    var rows = withHeaders ? [table.tHead.rows[0]] : [];
    each(table.tBodies[0].rows, function (tr) { rows.push(tr); });
    this.table = table;
    this.onFocus = onFocus;
    this.offset = withHeaders ? 1 : 0;
    this.matrix = rows.map(function (tr) { return [].slice.call(tr.cells, withHeaders ? 0 : 1); });
    table.setAttribute("role", "grid");
    this.matrix.forEach(function (row, r) {
      row.forEach(function (cell, c) {
        cell._pos = { r: r, c: c };
        if (cell.tagName === "TD" && r >= self.offset && c >= self.offset) cell.setAttribute("role", "gridcell");
        var target = self.target(cell);
        target._pos = cell._pos;
        target.tabIndex = -1;
      });
    });
    this.pos = { r: this.offset, c: this.offset };
    this.target(this.cell(this.pos)).tabIndex = 0;
  }
  Roving.prototype.cell = function (pos) { return (this.matrix[pos.r] || [])[pos.c]; };
  Roving.prototype.target = function (cell) { return cell.querySelector("button") || cell; };
  Roving.prototype.isBody = function (pos) { return pos.r >= this.offset && pos.c >= this.offset; };
  Roving.prototype.focus = function (pos, options) {
    var cell = this.cell(pos);
    if (!cell) return;
    this.target(this.cell(this.pos)).tabIndex = -1;
    this.pos = { r: pos.r, c: pos.c };
    this.target(cell).tabIndex = 0;
    if (this.onFocus) this.onFocus(cell);
    this.target(cell).focus(options || {});
  };
  Roving.prototype.next = function (e) {
    var r = this.pos.r, c = this.pos.c, last = this.matrix.length - 1, width = this.matrix[0].length - 1;
    // Right to left the columns run leftwards: ArrowLeft goes on to the next day.
    var ahead = isRtl(this.table) ? -1 : 1;
    var moves = {
      ArrowUp: [r - 1, c], ArrowDown: [r + 1, c], ArrowLeft: [r, c - ahead], ArrowRight: [r, c + ahead],
      PageUp: [r - 8, c], PageDown: [r + 8, c], Home: [e.ctrlKey ? 0 : r, 0], End: [e.ctrlKey ? last : r, width],
    };
    var to = moves[e.key];
    return to ? { r: Math.max(0, Math.min(last, to[0])), c: Math.max(0, Math.min(width, to[1])) } : null;
  };
  // Focus moved by pointer or a live update: the tab stop follows.
  Roving.prototype.syncTo = function (node) {
    var cell = node && node.closest && node.closest("td, th");
    if (!cell || !cell._pos || !this.table.contains(cell)) return;
    this.target(this.cell(this.pos)).tabIndex = -1;
    this.pos = cell._pos;
    this.target(cell).tabIndex = 0;
  };

  // ---- My availability
  function MyGrid(form) {
    var self = this;
    var table = form.querySelector("#my-grid");
    this.form = form;
    this.table = table;
    this.status = document.getElementById("save-status");
    this.scroller = table.closest(".grid-scroll");
    this.slots = +form.dataset.slots || 0;
    this.selected = [];
    this.grid = new Roving(table, true, null);
    var columns = this.grid.matrix[0].map(function (th) { return th.dataset.label || ""; });
    var whole = table.classList.contains("whole-days");
    this.cells = [];
    this.grid.matrix.slice(1).forEach(function (row) {
      row.slice(1).forEach(function (cell, c) {
        cell._when = columns[c + 1] + (whole ? "" : ", " + row[0].dataset.label);
        if (cell.dataset.s && !cell.dataset.st) cell.dataset.st = "n"; // the page leaves "no" unwritten
        cell._saved = cell.dataset.st; // what the server holds, to go back to when a save is refused
        self.label(cell);
        self.cells.push(cell);
      });
    });
    table.setAttribute("aria-multiselectable", "true");
    form.classList.add("grid-js");
    each(form.querySelectorAll("[data-js-only]"), function (node) { node.hidden = false; });
    if (form.querySelector(".paint-tools[disabled]")) return;

    var toggle = form.querySelector("[data-paint-toggle]");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var on = toggle.getAttribute("aria-pressed") !== "true";
      toggle.setAttribute("aria-pressed", String(on));
      table.classList.toggle("painting", on);
    });
    table.addEventListener("pointerdown", function (e) { self.down(e); });
    document.addEventListener("pointermove", function (e) { self.move(e); });
    document.addEventListener("pointerup", function (e) { self.up(e, false); });
    document.addEventListener("pointercancel", function (e) { self.up(e, true); });
    table.addEventListener("keydown", function (e) { self.key(e); });
    table.addEventListener("focusin", function (e) { self.grid.syncTo(e.target); });
    form.addEventListener("click", function (e) { self.click(e); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.dirty = true;
      self.save();
    });
    // Unsent marks go out on leaving, and again on return if that failed.
    window.addEventListener("pagehide", function () { self.flush(); });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) self.flush();
      else if (self.dirty) self.save();
    });
  }
  var G = MyGrid.prototype;

  G.mark = function () {
    var checked = this.form.querySelector("input[name=mark]:checked");
    return CODES[checked ? checked.value : "yes"];
  };
  G.word = function (code) { return WORDS[code] || NONE; };
  G.label = function (cell) { cell.setAttribute("aria-label", cell._when + ", " + this.word(cell.dataset.st)); };
  G.set = function (cell, code) {
    if (this.locked || !PAINTABLE[cell.dataset.st] || cell.dataset.st === code) return false;
    cell.dataset.st = code;
    this.label(cell);
    return true;
  };
  G.cellOf = function (node) {
    var cell = node && node.closest ? node.closest("td") : null;
    return cell && cell._pos && this.table.contains(cell) ? cell : null;
  };
  G.paintable = function (cells) { return cells.filter(function (c) { return PAINTABLE[c.dataset.st]; }); };
  G.rect = function (a, b) {
    var cells = [];
    for (var r = Math.max(1, Math.min(a.r, b.r)); r <= Math.max(a.r, b.r); r++) {
      for (var c = Math.max(1, Math.min(a.c, b.c)); c <= Math.max(a.c, b.c); c++) cells.push(this.grid.matrix[r][c]);
    }
    return this.paintable(cells);
  };
  // Marking cells that all carry the mark already takes it off.
  G.effective = function (cells) {
    var mark = this.mark();
    var all = cells.length && cells.every(function (c) { return c.dataset.st === mark; });
    return all && mark !== "n" ? "n" : mark;
  };
  G.apply = function (cells, code) {
    var self = this;
    var changed = cells.filter(function (c) { return self.set(c, code); }).length;
    if (changed) this.done(cells.length, code);
  };
  G.done = function (count, code) {
    var live = document.getElementById("grid-announce");
    if (live) live.textContent = format(ngettext("%(count)s slot marked “%(mark)s”.", "%(count)s slots marked “%(mark)s”.", count), { count: count, mark: this.word(code) });
    this.changed();
  };
  G.select = function (cells) {
    each(this.selected, function (c) { c.classList.remove("sel"); c.removeAttribute("aria-selected"); });
    each(cells, function (c) { c.classList.add("sel"); c.setAttribute("aria-selected", "true"); });
    this.selected = cells;
  };

  // A finger paints only in paint mode; otherwise it scrolls, and a tap marks one cell.
  G.down = function (e) {
    var cell = this.cellOf(e.target);
    if (!cell || (e.pointerType === "mouse" && e.button !== 0)) return;
    if (e.pointerType !== "mouse" && !this.table.classList.contains("painting")) {
      this.tap = { id: e.pointerId, cell: cell, x: e.clientX, y: e.clientY };
      return;
    }
    e.preventDefault();
    this.grid.focus(cell._pos, { preventScroll: true });
    var base = new Map();
    this.paintable(this.cells).forEach(function (c) { base.set(c, c.dataset.st); });
    this.drag = { id: e.pointerId, anchor: cell._pos, base: base, code: this.effective(this.paintable([cell])), cells: [] };
    this.paintTo(cell);
  };
  G.paintTo = function (cell) {
    var drag = this.drag, self = this;
    if (drag.last === cell) return;
    drag.last = cell;
    var next = this.rect(drag.anchor, cell._pos), inNext = new Set(next);
    drag.cells.forEach(function (c) { if (!inNext.has(c)) self.set(c, drag.base.get(c)); });
    next.forEach(function (c) { self.set(c, drag.code); });
    drag.cells = next;
    this.select(next);
  };
  G.move = function (e) {
    var tap = this.tap;
    if (tap && e.pointerId === tap.id && Math.abs(e.clientX - tap.x) + Math.abs(e.clientY - tap.y) > 12) this.tap = null;
    if (!this.drag || e.pointerId !== this.drag.id) return;
    e.preventDefault();
    var box = this.scroller.getBoundingClientRect();
    // Near an edge the grid scrolls on; the sticky times column (on the right, right to left)
    // widens the edge on its side.
    var rtl = isRtl(this.table), left = rtl ? 28 : 84, right = rtl ? 84 : 28;
    var dy = e.clientY > box.bottom - 28 ? 12 : e.clientY < box.top + 56 ? -12 : 0;
    var dx = e.clientX > box.right - right ? 12 : e.clientX < box.left + left ? -12 : 0;
    this.scroller.scrollTop += dy;
    this.scroller.scrollLeft += dx;
    var cell = this.cellOf(document.elementFromPoint(e.clientX, e.clientY));
    if (cell) this.paintTo(cell);
  };
  G.up = function (e, cancelled) {
    var tap = this.tap, drag = this.drag;
    if (tap && e.pointerId === tap.id) {
      this.tap = null;
      if (cancelled) return;
      this.grid.focus(tap.cell._pos, { preventScroll: true });
      var cells = this.paintable([tap.cell]);
      this.apply(cells, this.effective(cells));
      return;
    }
    if (!drag || e.pointerId !== drag.id) return;
    this.drag = null;
    this.select([]);
    if (drag.cells.some(function (c) { return drag.base.get(c) !== c.dataset.st; })) this.done(drag.cells.length, drag.code);
  };

  // Shift+arrows extend a rectangle from where it started.
  G.key = function (e) {
    var grid = this.grid, next = grid.next(e);
    if (next) {
      e.preventDefault();
      if (e.shiftKey && grid.isBody(next)) {
        if (!this.anchor || !grid.isBody(grid.pos)) this.anchor = grid.isBody(grid.pos) ? grid.pos : next;
        grid.focus(next);
        this.select(this.rect(this.anchor, next));
      } else {
        this.anchor = null;
        this.select([]);
        grid.focus(next);
      }
    } else if (e.key === "Escape") {
      this.anchor = null;
      this.select([]);
    } else if ((e.key === " " || e.key === "Enter") && grid.isBody(grid.pos)) {
      e.preventDefault(); // a heading's button keeps its own Space/Enter
      var cells = this.anchor ? this.rect(this.anchor, grid.pos) : this.paintable([grid.cell(grid.pos)]);
      if (cells.length) this.apply(cells, this.effective(cells));
    }
  };

  // Quick actions: submit buttons without JavaScript, instant here.
  G.click = function (e) {
    var button = e.target.closest("button[name=fill]");
    if (!button) {
      if (e.target.closest("[data-save]")) {
        e.preventDefault();
        this.dirty = true;
        this.save();
      }
      return;
    }
    e.preventDefault();
    var parts = button.value.split(":"), index = +parts[1] + 1, rows = this.grid.matrix.slice(1);
    if (button.value === "clear-all") return this.apply(this.paintable(this.cells), "n");
    var cells = parts[0] === "col" ? rows.map(function (row) { return row[index]; }) : (this.grid.matrix[index] || [0]).slice(1);
    this.apply(this.paintable(cells), this.mark());
  };

  // Autosave: two bitmaps, debounced, one request in flight.
  G.changed = function () {
    var self = this;
    this.dirty = true;
    this.show(gettext("Unsaved changes…"), "");
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.save(); }, 700);
  };
  G.show = function (text, kind) {
    this.status.textContent = text || "";
    this.status.className = "save-status" + (kind ? " save-" + kind : "");
  };
  G.request = function (keepalive) {
    var bytes = Math.ceil(this.slots / 8), yes = new Uint8Array(bytes), maybe = new Uint8Array(bytes);
    this.cells.forEach(function (cell) {
      var st = cell.dataset.st, slot = +cell.dataset.s;
      if (st === "y" || st === "m") (st === "y" ? yes : maybe)[slot >> 3] |= 0x80 >> (slot & 7);
    });
    var hex = function (a) { return [].map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join(""); };
    var data = new URLSearchParams();
    each(this.form.querySelectorAll("input[type=hidden]"), function (input) { data.set(input.name, input.value); });
    data.set("yes", hex(yes));
    data.set("maybe", hex(maybe));
    return fetch(this.form.action, {
      method: "POST", body: data, credentials: "same-origin", keepalive: !!keepalive,
      headers: { "HX-Request": "true", "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
    });
  };
  G.save = function () {
    var self = this;
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    if (this.inFlight) return (this.again = true);
    if (!this.dirty) return;
    this.dirty = false;
    this.inFlight = true;
    this.show(gettext("Saving…"), "");
    var sent = this.cells.map(function (cell) { return cell.dataset.st; });
    this.request(false)
      .then(function (response) {
        return response.text().then(function (html) {
          var found = new DOMParser().parseFromString(html, "text/html").getElementById("save-status");
          if (response.status === 409) return self.lock(found ? found.textContent : "");
          if (response.ok) {
            self.cells.forEach(function (cell, i) { cell._saved = sent[i]; });
            self.show(found ? found.textContent : gettext("Saved."), self.dirty ? "" : "ok");
            document.dispatchEvent(new CustomEvent("live:poll"));
            return;
          }
          // Nothing was stored: the marks stay unsaved.
          self.dirty = true;
          if (found && response.status < 500) self.show(found.textContent, "error");
          else self.offline();
        });
      })
      .catch(function () {
        self.dirty = true;
        self.offline();
      })
      .then(function () {
        self.inFlight = false;
        if (self.again) {
          self.again = false;
          self.save();
        }
      });
  };
  // Answers closed (settled, locked, past the deadline) or the grid changed: nothing more can
  // be saved here, so the cells go back to what is stored and stop taking paint.
  G.lock = function (message) {
    var self = this;
    if (this.locked) return;
    this.locked = true;
    this.dirty = false;
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    this.select([]);
    this.cells.forEach(function (cell) {
      if (cell._saved && cell.dataset.st !== cell._saved) {
        cell.dataset.st = cell._saved;
        self.label(cell);
      }
    });
    each(this.form.querySelectorAll(".paint-tools, [data-save]"), function (node) { node.disabled = true; });
    this.table.classList.add("locked");
    this.table.setAttribute("aria-readonly", "true");
    this.show(message, "error");
  };
  G.offline = function () {
    var self = this;
    this.show(gettext("Not saved: the connection failed. Your marks are still here; we will try again, or press Save."), "error");
    clearTimeout(this.retry);
    this.retry = setTimeout(function () { self.save(); }, 5000);
  };
  G.flush = function () {
    var self = this;
    if (!this.dirty || this.inFlight) return;
    clearTimeout(this.timer);
    this.dirty = false;
    var failed = function () { self.dirty = true; };
    try {
      this.request(true).then(function (response) { if (!response.ok) failed(); }, failed);
    } catch (error) {
      failed();
    }
  };

  // ---- The heatmap
  var shownSlot = null;

  // "3+1": 3 can come, 1 if need be.
  function heatWords(cell) {
    if (cell.classList.contains("h-x")) return WORDS.x;
    if (cell.classList.contains("h-none")) return NONE;
    var parts = cell.textContent.trim().split("+");
    var yes = Number(parts[0] || 0), maybe = Number(parts[1] || 0);
    return format(gettext("%(can_come)s, %(if_need_be)s"), {
      can_come: format(ngettext("%(count)s can come", "%(count)s can come", yes), { count: yes }),
      if_need_be: format(ngettext("%(count)s if need be", "%(count)s if need be", maybe), { count: maybe })
    });
  }

  function Heatmap(table) {
    var self = this;
    var columns = [].map.call(table.tHead.rows[0].cells, function (th) { return th.dataset.label || ""; });
    this.table = table;
    this.whoUrl = table.dataset.whoUrl;
    this.grid = new Roving(table, false, function (cell) { self.show(cell); });
    this.grid.matrix.forEach(function (row, r) {
      var time = table.tBodies[0].rows[r].cells[0].dataset.label;
      row.forEach(function (cell, c) {
        cell._when = columns[c + 1] + ", " + time;
        cell.setAttribute("aria-label", cell._when + ": " + heatWords(cell));
      });
    });
    table.addEventListener("keydown", function (e) {
      var next = self.grid.next(e);
      if (next) {
        e.preventDefault();
        self.grid.focus(next);
      }
    });
    var showCell = function (e) {
      var cell = e.target.closest("td");
      if (cell && cell._pos) self.show(cell);
      return cell;
    };
    table.addEventListener("focusin", function (e) { self.grid.syncTo(e.target); showCell(e); });
    table.addEventListener("mouseover", showCell);
    table.addEventListener("click", function (e) {
      var cell = showCell(e);
      if (cell && cell._pos) self.grid.focus(cell._pos, { preventScroll: true });
    });
    var again = shownSlot && this.grid.cell(shownSlot);
    if (again) this.show(again);
  }
  // The page holds counts only: who can come is fetched once the pointer settles.
  Heatmap.prototype.show = function (cell) {
    var panel = document.getElementById("slot-details"), self = this;
    if (!panel || !cell._pos || cell.classList.contains("h-none") || panel._cell === cell) return;
    panel._cell = cell;
    shownSlot = cell._pos;
    each(this.table.querySelectorAll("td.active"), function (c) { c.classList.remove("active"); });
    cell.classList.add("active");
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.fetch(panel, cell); }, 120);
  };
  Heatmap.prototype.fetch = function (panel, cell) {
    var url = this.whoUrl + (this.whoUrl.indexOf("?") < 0 ? "?" : "&") + "day=" + cell._pos.c + "&time=" + cell._pos.r;
    panel.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        if (panel._cell !== cell) return;
        var found = new DOMParser().parseFromString(html, "text/html").body;
        panel.textContent = "";
        while (found.firstChild) panel.appendChild(found.firstChild);
      })
      .catch(function () { if (panel._cell === cell) panel.textContent = gettext("Could not load who can come. Point at the slot again to retry."); })
      .then(function () { panel.removeAttribute("aria-busy"); });
  };

  function setUpHeatmap() {
    var table = document.getElementById("heatmap");
    if (!table || table._heatmap) return;
    table._heatmap = new Heatmap(table);
    table._heatmap.grid.syncTo(document.activeElement);
  }

  // The calendar panel's script is loaded with the panel, not with every lobby page (few open
  // it, and htmx runs no scripts it swaps in).
  function loadPanelScript() {
    var panel = document.querySelector("[data-script]");
    if (!panel || document.querySelector('script[src="' + panel.dataset.script + '"]')) return;
    var script = document.createElement("script");
    script.src = panel.dataset.script;
    document.head.appendChild(script);
  }

  function start() {
    setUpZone();
    var form = document.getElementById("my-grid-form");
    if (form && form.querySelector("#my-grid")) form._grid = new MyGrid(form);
    setUpHeatmap();
    // Live updates and the filter (htmx) render the heatmap anew; one may say answers closed.
    document.addEventListener("live:updated", setUpHeatmap);
    document.addEventListener("live:updated", function () {
      var closed = document.querySelector("#grid-notice [data-closed]");
      if (closed && form && form._grid) form._grid.lock(closed.textContent.trim());
    });
    document.addEventListener("htmx:load", setUpHeatmap);
    document.addEventListener("htmx:afterSettle", loadPanelScript);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
