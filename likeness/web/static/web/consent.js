// Inline validation of the consent form: htmx posts the form as a person leaves a field and puts the field's
// error text in its error slot (<p class="error" data-for="NAME">). This marks the field's inputs invalid or
// valid to match, so assistive technology announces the state. The page works without it (full check on submit).
document.addEventListener("htmx:afterSwap", (event) => {
  const slot = event.detail.target;
  if (!slot || !slot.matches("p.error[data-for]")) return;
  const invalid = slot.textContent.trim() !== "";
  const form = slot.closest("form");
  if (!form) return;
  form.querySelectorAll(`[name="${slot.dataset.for}"]`).forEach((input) => {
    if (invalid) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  });
  const group = slot.closest(".field")?.querySelector("fieldset");
  if (group) group.classList.toggle("invalid", invalid);
});
