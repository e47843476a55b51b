// The protocol page's one action: the browser's print dialog (its «Save as PDF» makes the PDF).
document.getElementById("protocol-print").addEventListener("click", () => window.print());
