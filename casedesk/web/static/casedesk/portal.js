// The only script of the public pages: a Print button on the receipt. Everything works
// without it (the browser's own print command does the same).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
