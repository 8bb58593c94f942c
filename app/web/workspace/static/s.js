// 解纷 · 监督工作台: the page's actions post JSON to the API with the session's CSRF token.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var MESSAGES = {
    "urge.not_due": "该案件没有即将超期或已超期的期限，无需督办。",
    "urge.own_organization": "该案件由本单位办理，不能督办本单位。",
    "urge.no_holder": "该案件暂无承办组织可督办。",
    "urge.answered": "该督办已答复。",
    "urge.report_back_past": "报告期限不能早于今天。",
    "version_mismatch": "案件已被他人更新，请刷新页面后重试。",
    "dispatch.target_out_of_scope": "不能分派给该组织（司法所只能分派给本镇及市级组织）。",
    "organization.not_mediating": "请选择一个调解组织。",
    "organization.inactive": "该组织已停用。",
    "transition_not_allowed": "案件当前状态不允许此操作，请刷新页面。",
    "action_not_permitted": "本单位无权进行此操作。",
    "case.not_found": "案件不存在或不在您的管辖范围内。",
    "csrf_failed": "页面已过期，请刷新后重试。"
  };

  function flash(text) {
    var el = document.getElementById("flash");
    if (el) { el.textContent = text; }
  }

  function messageOf(status, problem) {
    if (problem && problem.errors && problem.errors.length) {
      return problem.errors.map(function (e) {
        return MESSAGES[e.code] || (e.field === "note" || e.field === "reason" ? "请填写至少 2 个字的说明。" : "请检查填写内容。");
      }).join(" ");
    }
    if (problem && MESSAGES[problem.code]) { return MESSAGES[problem.code]; }
    if (status === 0) { return "网络不可用，请稍后重试。"; }
    return "操作未成功（" + status + "），请刷新页面后重试。";
  }

  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.value === "") { return; }
      out[el.name] = el.hasAttribute("data-int") ? parseInt(el.value, 10) : el.value;
    });
    return out;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("api-form")) { return; }
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    var err = form.querySelector("[data-err]");
    var button = form.querySelector("button[type=submit]");
    if (err) { err.textContent = ""; }
    if (button) { button.disabled = true; }
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify(body(form))
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) { throw { status: response.status, problem: data }; }
        if (form.dataset.done === "remove") {
          var row = form.closest(".queue-row");
          flash("已分派：" + (row ? row.querySelector("strong").textContent : ""));
          if (row) { row.remove(); }
        } else {
          window.location.reload();
        }
      });
    }).catch(function (failure) {
      var text = messageOf(failure.status || 0, failure.problem);
      if (err) { err.textContent = text; } else { flash(text); }
    }).then(function () {
      if (button) { button.disabled = false; }
    });
  });

  // The contact-reveal log of a case (who saw the parties' full contact data, when).
  var log = document.getElementById("contact-log");
  if (log) {
    fetch(log.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        var items = data && (data.items || data);
        log.textContent = "";
        if (!items || !items.length) {
          var p = document.createElement("p");
          p.className = "muted";
          p.textContent = data ? "没有查看记录。" : "暂无查看记录。";
          log.appendChild(p);
          return;
        }
        var ul = document.createElement("ul");
        items.forEach(function (e) {
          var li = document.createElement("li");
          var who = e.user || e.actor || "";
          var org = (e.organization && (e.organization.name || e.organization)) || "";
          var at = (e.revealed_at || e.occurred_at || e.at || "").replace("T", " ").slice(0, 16);
          li.textContent = at + " " + [who, org].filter(Boolean).join(" · ") + (e.reason ? "：" + e.reason : "");
          ul.appendChild(li);
        });
        log.appendChild(ul);
      })
      .catch(function () { log.textContent = "暂无查看记录。"; });
  }
})();
