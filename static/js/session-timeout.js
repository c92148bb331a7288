/* Idle-session warning (templates/base.html). The server ends a session SESSION_COOKIE_AGE seconds after
   its last request; this page knows when it made its own and shows the banner warn-seconds before the end.
   "Stay signed in" posts to /accounts/keepalive/, which renews the session, and the countdown restarts.
   No inline script anywhere: the site's Content Security Policy allows none. */
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-session-idle-seconds"), 10);
  var warn = parseInt(body.getAttribute("data-session-warn-seconds"), 10);
  var banner = document.getElementById("session-timeout");
  if (!banner || !(idle > 0)) { return; }
  var warning = banner.querySelector(".session-timeout-warning");
  var ended = banner.querySelector(".session-timeout-ended");
  var form = banner.querySelector("form");
  var lead = Math.min(warn > 0 ? warn : 120, idle / 2);  // a short session warns at half time
  var timers = [];

  function schedule() {
    timers.forEach(clearTimeout);
    timers = [
      setTimeout(showWarning, Math.max(0, idle - lead) * 1000),
      setTimeout(showEnded, idle * 1000),
    ];
  }
  function showWarning() {
    banner.hidden = false;
    banner.classList.remove("ended");
    warning.hidden = false;
    ended.hidden = true;
  }
  function showEnded() {
    banner.hidden = false;
    banner.classList.add("ended");
    warning.hidden = true;
    ended.hidden = false;
  }
  function hide() {
    banner.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status === 204) { hide(); schedule(); } else { showEnded(); }
      })
      .catch(showEnded);
  });
  schedule();
})();
