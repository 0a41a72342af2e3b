// Filter the mosaic by kind of work, and show a work's title large when it is clicked.
const buttons = document.querySelectorAll(".filters button");
const works = document.querySelectorAll("#gallery li");
buttons.forEach((button) => button.addEventListener("click", () => {
  buttons.forEach((other) => other.classList.toggle("active", other === button));
  works.forEach((work) => {
    work.hidden = button.dataset.filter !== "all" && work.dataset.kind !== button.dataset.filter;
  });
}));
const lightbox = document.getElementById("lightbox");
works.forEach((work) => work.addEventListener("click", () => {
  document.getElementById("lightbox-title").textContent = work.querySelector("span").textContent;
  lightbox.hidden = false;
}));
document.getElementById("lightbox-close").addEventListener("click", () => { lightbox.hidden = true; });
