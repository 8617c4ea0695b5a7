() => {
  const EVERY = 200;  // ms between answers while a stroke is being drawn
  const setup = (canvas) => {
    if (canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    const ctx = canvas.getContext("2d");
    const strokes = [];
    let current = null, last = 0, thick = false;
    const paint = () => {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.strokeStyle = "#000";
      ctx.lineCap = ctx.lineJoin = "round";
      for (const s of strokes) {
        ctx.lineWidth = s.width;
        ctx.beginPath();
        ctx.moveTo(s.points[0][0], s.points[0][1]);
        for (const [x, y] of s.points) ctx.lineTo(x, y);
        if (s.points.length === 1) ctx.lineTo(s.points[0][0] + 0.1, s.points[0][1]);
        ctx.stroke();
      }
    };
    const send = () => {
      const box = document.querySelector("#sketch-data textarea");
      if (!box) return;
      box.value = strokes.length ? canvas.toDataURL("image/png") : "";
      box.dispatchEvent(new Event("input", {bubbles: true}));
      last = performance.now();
    };
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      current = {width: thick ? 26 : 16, points: [at(e)]};
      strokes.push(current);
      last = performance.now();  // a stroke is first answered EVERY ms in, or when it ends
      paint();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!current) return;
      e.preventDefault();
      current.points.push(at(e));
      paint();
      if (performance.now() - last > EVERY) send();
    });
    const end = () => { if (current) { current = null; send(); } };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    document.querySelector("#pad-undo").addEventListener("click", () => { strokes.pop(); paint(); send(); });
    document.querySelector("#pad-clear").addEventListener("click", () => { strokes.length = 0; paint(); send(); });
    const pen = document.querySelector("#pad-pen");
    pen.addEventListener("click", () => {
      thick = !thick;
      pen.setAttribute("aria-pressed", String(thick));
      pen.textContent = thick ? "Thin pen" : "Thick pen";
    });
    paint();
  };
  const find = () => { const canvas = document.querySelector("#pad"); if (canvas) setup(canvas); };
  new MutationObserver(find).observe(document.body, {subtree: true, childList: true});
  find();
}
