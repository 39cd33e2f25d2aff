// OpenPESEL: a little progressive enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Focus the first field reported as wrong, so keyboard and screen-reader users land on it.
  const wrong = document.querySelector("[aria-invalid='true']");
  if (wrong) { wrong.focus(); }

  // The examiner's zoom: the buttons scale every view of the evidence together.
  document.querySelectorAll(".zoom-tools").forEach((tools) => {
    const views = document.getElementById(tools.querySelector("[aria-controls]").getAttribute("aria-controls"));
    let zoom = 1;
    const apply = () => views.querySelectorAll(".zoomable").forEach((z) => z.style.setProperty("--zoom", zoom));
    tools.hidden = false;
    tools.addEventListener("click", (event) => {
      const how = event.target.getAttribute("data-zoom");
      if (how === "in") { zoom = Math.min(zoom * 1.5, 8); }
      if (how === "out") { zoom = Math.max(zoom / 1.5, 1); }
      if (how === "reset") { zoom = 1; }
      apply();
    });
  });
});
