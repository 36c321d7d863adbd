/* Zoom and pan for the process maps (templates/processes/_map.html).
 *
 * The map is an SVG drawn at its natural size (where its text is readable) inside a box that
 * scrolls, so it works without this script. The script adds zoom — the buttons, the + - 0 keys,
 * Ctrl + wheel or a pinch — by resizing the SVG around a fixed point, panning by dragging, and
 * brings the focus process of a focused map into view. It wires up every [data-process-map] on
 * load and after htmx swaps content in.
 */
(function () {
  "use strict";

  if (window.qmsProcessMap) {
    return; // loaded again by a swapped-in map
  }

  const STEP = 1.25;
  const MAX_SCALE = 4;
  const DRAG_THRESHOLD = 4; // px a press must move before it pans instead of clicking

  function setUp(frame) {
    const viewport = frame.querySelector("[data-map-viewport]");
    const svg = viewport && viewport.querySelector("svg");
    if (frame.dataset.mapReady || !svg) {
      return;
    }
    frame.dataset.mapReady = "true";
    const natural = { width: svg.width.baseVal.value, height: svg.height.baseVal.value };
    const buttons = {};
    frame.querySelectorAll("[data-map-zoom]").forEach(function (button) {
      buttons[button.dataset.mapZoom] = button;
    });
    let scale = 1;

    // The scale at which the whole map fits the box, never above the natural size.
    function fitScale() {
      const height = parseFloat(getComputedStyle(viewport).maxHeight) || viewport.clientHeight;
      return Math.min(1, viewport.clientWidth / natural.width, height / natural.height);
    }

    // Zoom to `next`, keeping the map point under (clientX, clientY) — by default the middle of
    // the box — where it is.
    function zoomTo(next, clientX, clientY) {
      const box = viewport.getBoundingClientRect();
      const x = clientX === undefined ? box.left + viewport.clientWidth / 2 : clientX;
      const y = clientY === undefined ? box.top + viewport.clientHeight / 2 : clientY;
      const before = svg.getBoundingClientRect();
      const pointX = (x - before.left) / scale;
      const pointY = (y - before.top) / scale;
      scale = Math.min(MAX_SCALE, Math.max(Math.min(1, fitScale()), next));
      svg.setAttribute("width", String(natural.width * scale));
      svg.setAttribute("height", String(natural.height * scale));
      const after = svg.getBoundingClientRect();
      viewport.scrollLeft += after.left + pointX * scale - x;
      viewport.scrollTop += after.top + pointY * scale - y;
      show();
    }

    const hint = frame.querySelector("[data-map-hint]");
    function show() {
      hint.hidden = viewport.scrollWidth <= viewport.clientWidth && viewport.scrollHeight <= viewport.clientHeight;
      buttons.actual.textContent = Math.round(scale * 100) + "%";
      buttons.in.disabled = scale >= MAX_SCALE;
      buttons.out.disabled = scale <= Math.min(1, fitScale()) + 1e-6;
    }

    const actions = {
      in: function () { zoomTo(scale * STEP); },
      out: function () { zoomTo(scale / STEP); },
      fit: function () { zoomTo(fitScale()); },
      actual: function () { zoomTo(1); },
    };
    Object.keys(buttons).forEach(function (name) {
      buttons[name].addEventListener("click", actions[name]);
    });

    viewport.addEventListener("keydown", function (event) {
      const action = { "+": "in", "=": "in", "-": "out", "0": "actual" }[event.key];
      if (action && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        actions[action]();
      }
    });

    // Ctrl + wheel (and a trackpad pinch, which arrives as one) zooms; a plain wheel scrolls.
    viewport.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) {
        return;
      }
      event.preventDefault();
      const lines = event.deltaMode === 1 ? 33 : 1;
      zoomTo(scale * Math.exp(-event.deltaY * lines * 0.002), event.clientX, event.clientY);
    }, { passive: false });

    // Dragging with the mouse pans; a press that does not move stays a click on a process.
    let drag = null;
    viewport.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse" && event.button === 0) {
        drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop, moved: false };
      }
    });
    viewport.addEventListener("pointermove", function (event) {
      if (!drag) {
        return;
      }
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) {
        return;
      }
      if (!drag.moved) {
        drag.moved = true;
        viewport.setPointerCapture(event.pointerId);
        viewport.classList.add("is-dragging");
      }
      viewport.scrollLeft = drag.left - dx;
      viewport.scrollTop = drag.top - dy;
    });
    function endDrag() {
      const ended = drag;
      viewport.classList.remove("is-dragging");
      setTimeout(function () { // after the click this release may cause
        if (drag === ended) {
          drag = null;
        }
      }, 0);
    }
    viewport.addEventListener("pointerup", endDrag);
    viewport.addEventListener("pointercancel", endDrag);
    viewport.addEventListener("click", function (event) {
      if (drag && drag.moved) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);
    viewport.addEventListener("dragstart", function (event) {
      event.preventDefault(); // links in the SVG would otherwise be dragged away
    });

    // Start with the focus process in the middle of the box, or a large map at its top centre,
    // where Graphviz puts the processes the work starts with.
    const focus = frame.dataset.mapFocus && svg.getElementById(frame.dataset.mapFocus);
    if (focus) {
      const box = viewport.getBoundingClientRect();
      const node = focus.getBoundingClientRect();
      viewport.scrollLeft += node.left + node.width / 2 - (box.left + viewport.clientWidth / 2);
      viewport.scrollTop += node.top + node.height / 2 - (box.top + viewport.clientHeight / 2);
    } else {
      viewport.scrollLeft = (viewport.scrollWidth - viewport.clientWidth) / 2;
    }
    frame.querySelector("[data-map-tools]").hidden = false;
    window.addEventListener("resize", show);
    show();
  }

  function setUpWithin(root) {
    if (root.matches && root.matches("[data-process-map]")) {
      setUp(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("[data-process-map]").forEach(setUp);
    }
  }

  window.qmsProcessMap = { setUp: setUp };
  document.addEventListener("htmx:load", function (event) {
    setUpWithin(event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpWithin(document); });
  } else {
    setUpWithin(document);
  }
})();
