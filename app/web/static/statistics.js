/* 解纷 · the 统计 page: copy the annual report's paragraph. */
(function () {
  "use strict";
  var button = document.getElementById("copy-paragraph");
  if (!button) return;
  var status = document.getElementById("copy-status");
  button.addEventListener("click", function () {
    var text = document.getElementById(button.getAttribute("data-target")).textContent;
    var done = function () { status.textContent = "已复制"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { status.textContent = "复制失败，请手动选择文字"; });
    } else {
      var range = document.createRange();
      range.selectNodeContents(document.getElementById(button.getAttribute("data-target")));
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      status.textContent = document.execCommand("copy") ? "已复制" : "请按 Ctrl+C 复制";
    }
  });
})();
