// Start every NHS.UK frontend component on the page (skip link, header menu, error summary,
// character count, password input and the rest).
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

initAll();

// A wide table's "Scroll sideways" words (macros/tables.jinja) show only while its box scrolls:
// NHS.UK tables bleed 2px each side, so a few pixels over is not scrolling.
for (const cue of document.querySelectorAll("[data-lep-scroll-cue]")) {
  const box = document.getElementById(cue.dataset.lepScrollCue);
  if (!box) continue;
  const update = () => {
    const scrolls = box.scrollWidth - box.clientWidth > 4;
    cue.hidden = !scrolls;
    box.tabIndex = scrolls ? 0 : -1; // a keyboard user scrolls a box that scrolls, from its focus
  };
  new ResizeObserver(update).observe(box);
  update();
}

// NHS.UK frontend 10 marks a radio that reveals content `aria-expanded`, which ARIA does not
// allow on a radio (axe: aria-allowed-attr; GOV.UK Frontend 5 dropped it for that reason). The
// revealed content follows its radio, so nothing is lost without it. It sets the attribute on
// start, on each click and when a page comes back from the cache: each time, take it off.
const dropExpanded = () => {
  for (const radio of document.querySelectorAll('input[type="radio"][aria-expanded]')) {
    radio.removeAttribute("aria-expanded");
  }
};
dropExpanded();
document.addEventListener("click", () => setTimeout(dropExpanded, 0));
window.addEventListener("pageshow", () => setTimeout(dropExpanded, 0));

// Fields that do not apply to one choice of a radio group (the amount and receipt of an expense
// do not apply to mileage) are hidden while that choice is ticked. Without JavaScript they show.
for (const block of document.querySelectorAll("[data-lep-hide-when]")) {
  const radios = document.querySelectorAll(`input[type="radio"][name="${block.dataset.lepHideWhen}"]`);
  const update = () => {
    const chosen = [...radios].find((radio) => radio.checked);
    block.hidden = chosen !== undefined && chosen.value === block.dataset.lepHideValue;
  };
  for (const radio of radios) radio.addEventListener("change", update);
  update();
}
