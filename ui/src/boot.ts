// Evaluated before anything else: if the app fails to start (a module throwing while loading, an
// unhandled rejection), the window shows the error instead of staying blank.

function report(message: string) {
  const box = document.createElement("pre");
  box.className = "fatal";
  box.textContent = `Sightline hit an unexpected error:\n${message}`;
  document.body.prepend(box);
}

window.addEventListener("error", (e) => report(`${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener("unhandledrejection", (e) => report(String(e.reason?.stack ?? e.reason)));

export {};
