// The printable question list: its button opens the browser's print dialog.
document.getElementById("print")?.addEventListener("click", () => window.print());
