// Behaviour the admin's own pages declare in data- attributes, so no page needs an inline
// event handler (the Content-Security-Policy allows none):
//   <input type="submit" data-confirm="Send now?">  asks before submitting;
//   <select data-submit-on-change>                  submits its form when changed.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
