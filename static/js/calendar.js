// My calendar beside the grid (lobbies/calendar.html, opened inside the lobby page by htmx):
// outline the busy slots on my grid, and paint the suggestion a button offers onto it, which
// then saves itself like any change (grid.js). Without this file the button's form posts the
// whole grid.
(function () {
  "use strict";
  function bits(hex) {
    var set = {};
    for (var i = 0; i < hex.length; i += 2) {
      var byte = parseInt(hex.substr(i, 2), 16);
      for (var k = 0; k < 8; k++) if (byte & (0x80 >> k)) set[i * 4 + k] = 1;
    }
    return set;
  }
  var BUSY = window.gettext ? window.gettext("busy in your calendar") : "busy in your calendar";
  function outline(cell, busy) {
    cell.toggleAttribute("data-busy", busy);
    var label = (cell.getAttribute("aria-label") || "").split(" · ")[0];
    if (label) cell.setAttribute("aria-label", busy ? label + " · " + BUSY : label);
  }
  function myGrid() {
    var form = document.getElementById("my-grid-form");
    return form && form._grid && form._grid.cells ? form._grid : null;
  }
  function showBusy() {
    var found = document.querySelector("#calendar-result [data-busy]"), grid = myGrid();
    if (!found || !grid) return;
    var busy = bits(found.getAttribute("data-busy") || "");
    grid.cells.forEach(function (cell) { outline(cell, !!busy[cell.dataset.s]); });
  }
  document.addEventListener("htmx:afterSettle", showBusy);
  // This file loads after the panel opens: a quick answer may already be on the page.
  showBusy();
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-calendar-apply]"), grid = myGrid();
    if (!button || !grid || !grid.set) return;
    e.preventDefault();
    var yes = bits(button.form.elements.yes.value), maybe = bits(button.form.elements.maybe.value);
    grid.cells.forEach(function (cell) {
      var slot = cell.dataset.s;
      grid.set(cell, yes[slot] ? "y" : maybe[slot] ? "m" : "n");
      outline(cell, cell.hasAttribute("data-busy"));
    });
    grid.changed();
  });
})();
