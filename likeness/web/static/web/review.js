// Review player: step frames and move the wipe without reloading the page. The page works without this file
// (links and a form reload it); this swaps the <img> sources, keeps the URL in step (so a frame can be shared
// or reloaded) and adds the arrow keys.
(() => {
  "use strict";

  function init(root) {
    const last = Number(root.dataset.last);
    const offset = Number(root.dataset.offset);
    const url = (template, n) => template.replace("{n}", String(n));
    const number = root.querySelector("#frame-number");
    const wipe = root.querySelector("#wipe");
    const stack = root.querySelector(".wipe-stack");
    const status = root.querySelector("#review-status");
    let frame = Number(root.dataset.frame);

    document.documentElement.classList.add("js");

    function remember() {
      const params = new URLSearchParams(window.location.search);
      params.set("frame", String(frame));
      params.set("mode", root.dataset.mode);
      params.set("wipe", wipe.value);
      window.history.replaceState(null, "", "?" + params.toString());
    }

    function show(n) {
      frame = Math.max(0, Math.min(last, Number.isFinite(n) ? Math.trunc(n) : 0));
      root.dataset.frame = String(frame);
      number.value = String(frame);
      const plateSrc = url(root.dataset.plateTemplate, frame);
      const outputSrc = url(root.dataset.outputTemplate, frame);
      for (const img of root.querySelectorAll("#side-plate, #wipe-plate")) {
        img.src = plateSrc;
        img.alt = `Plate frame ${frame + offset}`;
      }
      for (const img of root.querySelectorAll("#side-output, #wipe-output")) {
        img.src = outputSrc;
        img.alt = `Output frame ${frame}`;
      }
      root.querySelectorAll(".plate-index").forEach((el) => { el.textContent = String(frame + offset); });
      root.querySelectorAll(".output-index").forEach((el) => { el.textContent = String(frame); });
      root.querySelector("#prev-frame").setAttribute("aria-disabled", String(frame === 0));
      root.querySelector("#next-frame").setAttribute("aria-disabled", String(frame === last));
      status.textContent = `Frame ${frame} (0–${last}).`;
      remember();
    }

    function setMode(mode) {
      root.dataset.mode = mode;
      root.querySelector("#viewer-side").hidden = mode !== "side";
      root.querySelector("#viewer-wipe").hidden = mode !== "wipe";
      remember();
    }

    function setWipe() {
      stack.style.setProperty("--wipe", `${wipe.value}%`);
      wipe.setAttribute("aria-valuetext", `plate shown on the left ${wipe.value}%`);
      remember();
    }

    root.querySelector("#prev-frame").addEventListener("click", (e) => { e.preventDefault(); show(frame - 1); });
    root.querySelector("#next-frame").addEventListener("click", (e) => { e.preventDefault(); show(frame + 1); });
    number.addEventListener("change", () => show(Number(number.value)));
    root.querySelector("#review-controls").addEventListener("submit", (e) => { e.preventDefault(); show(Number(number.value)); });
    root.querySelectorAll("input[name=mode]").forEach((radio) => {
      radio.addEventListener("change", () => { if (radio.checked) setMode(radio.value); });
    });
    wipe.addEventListener("input", setWipe);

    // Arrow keys step frames anywhere on the page, except where they already mean something: the wipe slider,
    // the frame number, text fields and the mode radios keep their own keys.
    document.addEventListener("keydown", (e) => {
      const t = e.target;
      if (t instanceof HTMLElement && (t.closest("input, select, textarea") || t.isContentEditable)) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const step = e.shiftKey ? 10 : 1;
      if (e.key === "ArrowRight") show(frame + step);
      else if (e.key === "ArrowLeft") show(frame - step);
      else if (e.key === "Home") show(0);
      else if (e.key === "End") show(last);
      else return;
      e.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("review");
    if (root) init(root);
  });
})();
