/* signalkb: copy buttons for the "Cite this signal" block. Without JavaScript the texts stay visible and selectable. */
(function () {
  "use strict";
  var block = document.querySelector("[data-cite]");
  if (!block) return;
  var relative = block.getAttribute("data-relative");
  if (relative && /^https?:$/.test(location.protocol)) {
    /* Built without base_url: the page's own address is the link to cite. */
    var here = location.href.split("#")[0].split("?")[0];
    block.querySelectorAll("[data-copy]").forEach(function (code) {
      code.textContent = code.textContent.split(relative).join(here);
    });
  }
  function copied(button) {
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = "Copy"; }, 1500);
  }
  function fallback(code, button) {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      if (document.execCommand("copy")) copied(button);
    } catch (e) { /* the text stays selected: Ctrl-C copies it */ }
  }
  block.querySelectorAll("[data-copy]").forEach(function (code) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy: " + code.textContent);
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(function () { copied(button); }, function () { fallback(code, button); });
      } else {
        fallback(code, button);
      }
    });
    code.insertAdjacentElement("afterend", button);
  });
})();
