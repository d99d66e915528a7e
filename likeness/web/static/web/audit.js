// Long uploads (a video to verify) show that work is under way, and the button cannot be pressed twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.classList || !form.classList.contains("busy-on-submit")) return;
  const busy = form.querySelector(".busy");
  if (busy) busy.hidden = false;
  form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
});
