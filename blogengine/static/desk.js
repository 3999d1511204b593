// The desk works without this file. With it, "Select all on this page" appears in the
// moderation queue and ticks or clears every comment's box (and follows them).
"use strict";

document.querySelectorAll("input[data-select-all]").forEach((master) => {
  const form = master.form;
  const name = master.dataset.selectAll;
  const boxes = () => Array.from(form.querySelectorAll(`input[type="checkbox"][name="${name}"]`));
  const label = master.closest("label");
  if (label) label.hidden = false;

  master.addEventListener("change", () => {
    boxes().forEach((box) => {
      box.checked = master.checked;
    });
  });
  form.addEventListener("change", (event) => {
    if (event.target === master || event.target.name !== name) return;
    const all = boxes();
    const ticked = all.filter((box) => box.checked).length;
    master.checked = ticked === all.length;
    master.indeterminate = ticked > 0 && ticked < all.length;
  });
});
