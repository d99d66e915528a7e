// Review player: step frames, play them at the plate's frame rate, move the wipe and switch to the difference
// view without reloading the page. The page works without this file (links and a form reload it); this swaps
// the <img> sources, keeps the URL in step (so a frame can be shared or reloaded) and adds the keys.
//
// Playback shows frame n only once every image of it has loaded (the frames are decoded on the server, from any
// codec), preloading the next few: it keeps the plate's rate while frames arrive in time, and waits, saying so,
// when they do not, rather than skip a frame a reviewer should have seen.
(() => {
  "use strict";

  const AHEAD = 8; // frames requested ahead of the one shown while playing

  function init(root) {
    const last = Number(root.dataset.last);
    const offset = Number(root.dataset.offset);
    const fps = Number(root.dataset.fps) || 24;
    const url = (template, n) => template.replace("{n}", String(n));
    const number = root.querySelector("#frame-number");
    const wipe = root.querySelector("#wipe");
    const stack = root.querySelector(".wipe-stack");
    const status = root.querySelector("#review-status");
    const play = root.querySelector("#play");
    const loop = root.querySelector("#loop");
    const cache = new Map(); // url -> Promise resolved when that image has loaded (or failed)
    let frame = Number(root.dataset.frame);
    let playing = false;
    let timer = null;

    document.documentElement.classList.add("js");

    function sources(n) {
      if (root.dataset.mode === "difference") return [url(root.dataset.differenceTemplate, n)];
      return [url(root.dataset.plateTemplate, n), url(root.dataset.outputTemplate, n)];
    }

    function load(src) {
      if (!cache.has(src)) {
        cache.set(src, new Promise((resolve) => {
          const img = new Image();
          img.onload = () => resolve(true);
          img.onerror = () => resolve(false);
          img.src = src;
        }));
        if (cache.size > 400) cache.delete(cache.keys().next().value);
      }
      return cache.get(src);
    }

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
      const diff = root.querySelector("#difference");
      diff.src = url(root.dataset.differenceTemplate, frame);
      diff.alt = `Difference between plate and output, frame ${frame}`;
      root.querySelectorAll(".plate-index").forEach((el) => { el.textContent = String(frame + offset); });
      root.querySelectorAll(".output-index").forEach((el) => { el.textContent = String(frame); });
      root.querySelector("#prev-frame").setAttribute("aria-disabled", String(frame === 0));
      root.querySelector("#next-frame").setAttribute("aria-disabled", String(frame === last));
      // While playing, the address is updated once playback stops: browsers throttle (Safari: refuse) more than
      // about a hundred history updates in a few seconds.
      if (!playing) {
        status.textContent = `Frame ${frame} (0–${last}).`;
        remember();
      }
    }

    function stop(reason) {
      playing = false;
      if (timer) clearTimeout(timer);
      timer = null;
      root.classList.remove("buffering");
      play.textContent = "▶ Play";
      play.setAttribute("aria-pressed", "false");
      status.textContent = reason || `Paused at frame ${frame} (0–${last}).`;
      remember();
    }

    async function tick() {
      if (!playing) return;
      let next = frame + 1;
      if (next > last) {
        if (!loop.checked) { stop(`Played to the end (frame ${last}).`); return; }
        next = 0;
      }
      for (let k = 1; k <= AHEAD; k++) if (next + k <= last) sources(next + k).forEach(load);
      const due = performance.now() + 1000 / fps;
      const ready = Promise.all(sources(next).map(load));
      let late = false;
      const slow = setTimeout(() => {
        late = true;
        root.classList.add("buffering");
        status.textContent = `Waiting for frame ${next}: frames arrive slower than ${fps} per second.`;
      }, 1000 / fps);
      const loaded = await ready;
      clearTimeout(slow);
      if (!playing) return;
      if (loaded.includes(false)) { stop(`Frame ${next} could not be read; paused.`); return; }
      root.classList.remove("buffering");
      show(next);
      status.textContent = `Playing at ${fps} frames per second: frame ${frame} (0–${last})${late ? " (waited for this frame)" : ""}.`;
      timer = setTimeout(tick, Math.max(0, due - performance.now()));
    }

    function start() {
      if (frame >= last && !loop.checked) show(0);
      playing = true;
      play.textContent = "❚❚ Pause";
      play.setAttribute("aria-pressed", "true");
      for (let k = 1; k <= AHEAD; k++) if (frame + k <= last) sources(frame + k).forEach(load);
      timer = setTimeout(tick, 1000 / fps);
    }

    function setMode(mode) {
      root.dataset.mode = mode;
      root.querySelector("#viewer-side").hidden = mode !== "side";
      root.querySelector("#viewer-wipe").hidden = mode !== "wipe";
      root.querySelector("#viewer-difference").hidden = mode !== "difference";
      remember();
    }

    function setWipe() {
      stack.style.setProperty("--wipe", `${wipe.value}%`);
      wipe.setAttribute("aria-valuetext", `plate shown on the left ${wipe.value}%`);
      remember();
    }

    const step = (n) => { if (playing) stop(); show(n); };
    play.addEventListener("click", () => (playing ? stop() : start()));
    root.querySelector("#prev-frame").addEventListener("click", (e) => { e.preventDefault(); step(frame - 1); });
    root.querySelector("#next-frame").addEventListener("click", (e) => { e.preventDefault(); step(frame + 1); });
    number.addEventListener("change", () => step(Number(number.value)));
    root.querySelector("#review-controls").addEventListener("submit", (e) => { e.preventDefault(); step(Number(number.value)); });
    root.querySelectorAll("input[name=mode]").forEach((radio) => {
      radio.addEventListener("change", () => { if (radio.checked) setMode(radio.value); });
    });
    wipe.addEventListener("input", setWipe);

    // Arrow keys and Space work anywhere on the page, except where they already mean something: the wipe
    // slider, the frame number, text fields, buttons and the mode radios keep their own keys.
    document.addEventListener("keydown", (e) => {
      const t = e.target;
      if (t instanceof HTMLElement && (t.closest("input, select, textarea, button") || t.isContentEditable)) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const by = e.shiftKey ? 10 : 1;
      if (e.key === " ") playing ? stop() : start();
      else if (e.key === "ArrowRight") step(frame + by);
      else if (e.key === "ArrowLeft") step(frame - by);
      else if (e.key === "Home") step(0);
      else if (e.key === "End") step(last);
      else return;
      e.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("review");
    if (root) init(root);
  });
})();
