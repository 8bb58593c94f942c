/* 解纷 · the inbox: "加载更多" appends the next page in place (without JS the link opens it). */
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var more = ev.target.closest && ev.target.closest("#more");
    if (!more || !window.fetch || !window.DOMParser) return;
    ev.preventDefault();
    if (more.getAttribute("aria-busy") === "true") return;
    more.setAttribute("aria-busy", "true");
    more.textContent = "加载中…";
    fetch(more.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var list = document.getElementById("case-list");
        var first = null;
        doc.querySelectorAll("#case-list > li").forEach(function (li) {
          var node = document.importNode(li, true);
          list.appendChild(node);
          first = first || node;
        });
        var next = doc.getElementById("more");
        if (next) { more.href = next.getAttribute("href"); more.textContent = "加载更多"; more.removeAttribute("aria-busy"); }
        else more.parentNode.removeChild(more);
        if (first) first.querySelector("a").focus();
      }, function () {
        more.textContent = "加载失败，点此重试";
        more.removeAttribute("aria-busy");
      });
  });
})();
