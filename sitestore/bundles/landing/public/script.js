// The sign-up form only thanks the visitor: a demo landing page keeps no addresses.
document.getElementById("signup").addEventListener("submit", (event) => {
  event.preventDefault();
  event.target.hidden = true;
  document.getElementById("thanks").hidden = false;
});
