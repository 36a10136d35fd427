// ccsync pages' small behaviours (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";
  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }
  function ready() {
    var zone = browserZone();
    // Sign-in: the browser's zone pre-fills the profile's time zone (used while it is UTC).
    var hidden = document.getElementById("login-timezone");
    if (hidden) { hidden.value = zone; }
    // Profile: suggest the browser's zone while the profile still has the server default.
    var hint = document.getElementById("tz-browser");
    var input = document.getElementById("timezone");
    if (hint && input && zone) {
      hint.textContent = "Your browser says: " + zone;
      if (input.value === "UTC") { input.value = zone; }
    }
    // "Copy" buttons: data-copy names the element whose text goes to the clipboard.
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (source && navigator.clipboard) {
          navigator.clipboard.writeText(source.textContent).then(function () {
            button.textContent = "Copied";
          });
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
