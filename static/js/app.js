// Small progressive enhancements shared by every page. Everything works without this file.
// Without a catalog (English), translated strings are their English source.
window.gettext = window.gettext || function (text) { return text; };
window.ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };

(function () {
  "use strict";

  // Copy buttons: <button data-copy="#input-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var status = document.querySelector(".copy-status");
    var done = function () {
      if (status) status.textContent = gettext("Copied.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done, function () {
        source.select();
      });
    } else {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  // Lobby form: default the time zone to the browser's, and hide the times for whole days.
  function setUpLobbyForm(form) {
    var zone = form.querySelector("select[name=timezone]");
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && !form.hasAttribute("data-bound") && zone.value === "UTC" && browserZone) {
      var option = zone.querySelector('option[value="' + browserZone + '"]');
      if (option) zone.value = browserZone;
    }
    var whole = form.querySelector("input[name=whole_days]");
    var times = form.querySelectorAll("[data-times], select[name=slot_minutes], select[name=meeting_minutes]");
    function sync() {
      times.forEach(function (el) {
        var box = el.closest(".field") || el;
        box.hidden = whole.checked;
      });
    }
    if (whole) {
      whole.addEventListener("change", sync);
      sync();
    }
  }
  document.querySelectorAll("form[data-lobby-form]").forEach(setUpLobbyForm);

  // Weekly settle form: the first date follows the chosen time's weekday (the form lists the
  // next date of each column), and typing a last date or a count picks that way to end.
  function setUpWeeklySettle(form) {
    var dates = form.getAttribute("data-first-dates").split(" ");
    var perDay = parseInt(form.getAttribute("data-slots-per-day"), 10);
    var first = form.querySelector("input[name=first_date]");
    var other = form.querySelector("select[name=other_start]");
    function chosenSlot() {
      var radio = form.querySelector("input[name=window]:checked");
      var value = radio ? radio.value : "";
      if (value === "other") value = other ? other.value : "";
      return value === "" ? NaN : parseInt(value, 10);
    }
    function follow() {
      var slot = chosenSlot();
      var day = isNaN(slot) ? undefined : dates[Math.floor(slot / perDay)];
      if (day) first.value = day;
    }
    function pickEnd(value) {
      var radio = form.querySelector('input[name=ends][value="' + value + '"]');
      if (radio) radio.checked = true;
    }
    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "other_start") {
        var otherRadio = form.querySelector('input[name=window][value="other"]');
        if (otherRadio && other.value) otherRadio.checked = true;
      }
      if (name === "window" || name === "other_start") follow();
    });
    form.addEventListener("input", function (event) {
      var name = event.target.name;
      if (name === "until_date" && event.target.value) pickEnd("until");
      if (name === "count" && event.target.value) pickEnd("count");
    });
    if (!first.value) follow();
  }
  document.querySelectorAll("form[data-first-dates]").forEach(setUpWeeklySettle);

  // The join form sends the browser's zone, so the lobby shows the joiner's own times at once.
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    try {
      input.value = input.value || Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) { /* no Intl: the organizer's zone it is */ }
  });

  // A message region marked data-cleared-by="<section>" holds what the last change there said;
  // it goes when the next change there starts (a vote's answer is empty, so cannot clear it).
  document.addEventListener("htmx:beforeRequest", function (event) {
    document.querySelectorAll("[data-cleared-by]").forEach(function (region) {
      if (event.target.closest(region.getAttribute("data-cleared-by"))) region.textContent = "";
    });
  });
})();
