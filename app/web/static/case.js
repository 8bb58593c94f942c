/* 解纷 · the case page's actions (受理, 退回, 上交, 记录调解结果, 撤回, 回访结案, 申请司法确认) and 查看联系方式.
 *
 * Each form is sent with the version the page was rendered with (If-Match), an Idempotency-Key kept for that
 * form until it succeeds (a resend after a lost answer reuses it, so a double tap or a retry makes one
 * transition), and the page's CSRF token. A failure says why in Chinese and keeps what was typed.
 */
(function () {
  "use strict";
  var root = document.getElementById("case");
  if (!root) return;
  var caseId = root.getAttribute("data-id");
  var version = root.getAttribute("data-version");
  var STATUSES = JSON.parse(root.getAttribute("data-statuses") || "{}");
  var PATHS = { request_confirmation: "confirmation-request" };
  var BOOLEAN = { performed: true, agreement_performed: true };
  var MESSAGES = {
    "string_too_short": "内容太短，请至少写 2 个字",
    "string_too_long": "内容太长",
    "missing": "此项必填",
    "decimal_parsing": "请填写数字",
    "greater_than_equal": "不能小于 0",
    "decimal_max_places": "最多两位小数",
    "decimal_max_digits": "金额太大",
    "decimal_whole_digits": "金额太大",
    "date_from_datetime_parsing": "日期格式不对",
    "date_parsing": "日期格式不对",
    "enum": "请选择",
    "literal_error": "请选择",
    "outcome.not_allowed_here": "本组织不能记录这种结果",
    "agreement_effective_on.too_late": "生效日期最多只能晚于今天 3 天",
    "agreement_effective_on.before_received": "生效日期不能早于受理日期",
    "visited_on.future": "回访日期不能晚于今天",
    "extension.days": "延长天数超出允许范围",
    "extension.already_extended": "调解期限已延期过一次",
    "extension.after_due": "调解期限已过，不能再延期"
  };
  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  };
  function newKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }
  // The key lives as long as the form's request is unanswered: across a reload too (same version).
  function keyFor(action) {
    var name = "jiefen.act." + caseId + "." + version + "." + action;
    var key = null;
    try { key = sessionStorage.getItem(name); } catch (e) { /* private mode */ }
    if (!key) {
      key = newKey();
      try { sessionStorage.setItem(name, key); } catch (e) { /* kept in memory only */ }
    }
    return { name: name, value: key };
  }
  function forget(name) { try { sessionStorage.removeItem(name); } catch (e) { /* nothing kept */ } }

  function errBox(form, field) { return form.querySelector('[data-err="' + field + '"]'); }
  function clearErrors(form) {
    form.querySelectorAll("[data-err]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }
  function showError(form, field, text) {
    var box = errBox(form, field) || errBox(form, "form");
    box.textContent = text;
    var input = form.querySelector('[name="' + field + '"]');
    if (input) input.setAttribute("aria-invalid", "true");
    return input || box;
  }
  function message(err) {
    return MESSAGES[err.code] || (/[\u4e00-\u9fff]/.test(err.message || "") ? err.message : "填写有误");
  }

  function body(form) {
    var out = { };
    var outcome = form.querySelector('[name="outcome"]');
    var settled = !outcome || outcome.value === "settled";
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "reason_choice" || el.name === "reason_text") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (!settled && el.closest("[data-when-outcome]")) return;
      var v = el.value.trim();
      if (v === "") return;
      out[el.name] = BOOLEAN[el.name] ? v === "true" : el.type === "number" ? Number(v) : v;
    });
    if (form.getAttribute("data-action") === "decline") {
      var picked = form.querySelector('[name="reason_choice"]:checked');
      var text = form.querySelector('[name="reason_text"]').value.trim();
      var choice = picked ? picked.value : "";
      out.reason = choice && text ? choice + "；" + text : choice || text;
    }
    return out;
  }
  function check(form, data) {
    var action = form.getAttribute("data-action");
    var first = null;
    var need = function (field, text) { if (!data[field]) first = first || showError(form, field, text); };
    if (action === "decline") need("reason", "请选择或填写退回理由");
    if (action === "escalate" || action === "withdraw" || action === "extend") need("reason", "请填写理由");
    if (action === "extend" && !(data.days >= 1)) first = first || showError(form, "days", "请填写延长天数");
    if (action === "outcome") need("outcome", "请选择调解结果");
    if (action === "close") need("follow_up_note", "请填写回访情况");
    if (data.agreed_amount && !/^[0-9]+(\.[0-9]{1,2})?$/.test(data.agreed_amount)) {
      first = first || showError(form, "agreed_amount", "请填写金额，如 2500 或 2500.50");
    }
    return first;
  }

  function say(text) {
    var state = document.getElementById("action-state");
    state.textContent = text;
  }
  function showConflict(problem) {
    var box = document.getElementById("conflict");
    var line = document.getElementById("conflict-state");
    box.hidden = false;
    line.textContent = "正在读取案件当前状态…";
    fetch("/api/v1/cases/" + caseId, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        var status = c ? c.status : problem && problem.current_status;
        var holder = c && c.current_organization ? "，承办：" + c.current_organization.name : "";
        line.textContent = status ? "当前状态：" + (STATUSES[status] || status) + holder : "";
        // The facts below say the same, not what the page was rendered with.
        if (status) document.getElementById("case-status").textContent = STATUSES[status] || status;
        if (c) document.getElementById("holder").textContent = c.current_organization
          ? c.current_organization.name : (c.status === "pending_dispatch" ? "待分派" : "—");
      }, function () { line.textContent = ""; });
    box.focus();
    box.scrollIntoView({ block: "center" });
  }

  function send(form) {
    var action = form.getAttribute("data-action");
    var button = form.querySelector('button[type="submit"]');
    if (form.getAttribute("aria-busy") === "true") return;  // a second tap while the first is on its way
    clearErrors(form);
    var data = body(form);
    var invalid = check(form, data);
    if (invalid) { invalid.focus(); return; }
    var key = keyFor(action);
    var label = button.textContent;
    form.setAttribute("aria-busy", "true");
    button.disabled = true;
    button.textContent = "提交中…";
    say("正在提交“" + label + "”…");
    var done = function () {
      form.removeAttribute("aria-busy");
      button.disabled = false;
      button.textContent = label;
    };
    fetch("/api/v1/cases/" + caseId + "/" + (PATHS[action] || action), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": "zh-CN,zh",
        "If-Match": '"' + version + '"',
        "Idempotency-Key": key.value,
        "X-CSRF-Token": meta("csrf-token")
      },
      body: JSON.stringify(data)
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (problem) {
        if (resp.ok) {
          forget(key.name);
          say("已提交，正在刷新…");
          location.replace("/m/cases/" + caseId + "?done=" + encodeURIComponent(action));
          return;
        }
        done();
        var code = problem && problem.code;
        if (resp.status === 409 && code !== "transition_not_allowed" && code !== "version_mismatch") {
          // Refused for a reason of its own (延期 only once, …): said on the form.
          forget(key.name);
          showError(form, "form", MESSAGES[code] || (problem && problem.detail) || "现在不能进行此操作");
          say("");
        } else if (resp.status === 412 || resp.status === 409) {
          // Someone else changed the case first: this key's request changed nothing.
          forget(key.name);
          say("");
          showConflict(problem);
        } else if (resp.status === 422 || resp.status === 400) {
          forget(key.name);
          var first = null;
          (problem && problem.errors || []).forEach(function (e) {
            var field = String(e.field || "form").split(".").pop();
            first = first || showError(form, field, message(e));
          });
          if (!first) first = showError(form, "form", (problem && problem.detail) || "提交被拒绝，请检查后再提交");
          say("请按提示修改后再提交");
          first.focus();
        } else if (resp.status === 401) {
          showError(form, "form", "登录已过期，请重新登录后再提交（已填写的内容仍在本页）");
          say("");
        } else if (resp.status === 403 && code === "csrf_failed") {
          showError(form, "form", "页面已过期，请刷新后再提交");
          say("");
        } else if (resp.status === 403 || resp.status === 404) {
          forget(key.name);
          showError(form, "form", "您的组织现在不能进行此操作");
          say("");
        } else if (resp.status === 429) {
          showError(form, "form", "操作太频繁，请稍后再试");
          say("");
        } else {
          showError(form, "form", "服务器暂时无法处理，已填写的内容保留，请稍后再点一次");
          say("");
        }
      });
    }, function () {
      done();
      // The answer may be lost on the way back: the same key makes a resend safe.
      showError(form, "form", "网络不通，未能确认是否提交成功。已填写的内容保留，有信号时请再点一次。");
      say("");
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target.closest && ev.target.closest("form.act");
    if (!form) return;
    ev.preventDefault();
    send(form);
  });
  // A message about a field goes once the field is being corrected.
  document.addEventListener("input", function (ev) {
    var form = ev.target.form;
    if (!form || !form.classList.contains("act")) return;
    var field = ev.target.name === "reason_choice" || ev.target.name === "reason_text" ? "reason" : ev.target.name;
    var box = errBox(form, field);
    if (box) box.textContent = "";
    ev.target.removeAttribute("aria-invalid");
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.name !== "outcome") return;
    var form = ev.target.form;
    form.querySelectorAll("[data-when-outcome]").forEach(function (box) {
      box.hidden = box.getAttribute("data-when-outcome") !== ev.target.value;
    });
  });
  // Opening one action's form closes the others: one thing at a time on a small screen.
  document.querySelectorAll("details.act-box").forEach(function (box) {
    box.addEventListener("toggle", function () {
      if (!box.open) return;
      document.querySelectorAll("details.act-box").forEach(function (other) { if (other !== box) other.open = false; });
      var first = box.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  });
  var state = document.getElementById("action-state");
  if (state && state.textContent.trim()) state.focus();

  /* ---- 查看联系方式 (full phones and addresses, logged on the server) ---- */
  var reveal = document.getElementById("reveal");
  if (reveal) {
    reveal.addEventListener("click", function () {
      if (reveal.disabled) return;
      reveal.disabled = true;
      var err = document.getElementById("reveal-err");
      err.textContent = "";
      fetch("/api/v1/cases/" + caseId + "/contact-reveal", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "Accept-Language": "zh-CN,zh", "X-CSRF-Token": meta("csrf-token") }
      }).then(function (r) {
        return r.json().catch(function () { return null; }).then(function (data) {
          reveal.disabled = false;
          if (!r.ok) {
            err.textContent = r.status === 429 ? "查看次数过多，请稍后再试" : (data && data.detail) || "无法查看联系方式";
            return;
          }
          var list = document.getElementById("revealed");
          list.textContent = "";
          (data.parties || []).forEach(function (p) {
            var li = document.createElement("li");
            var role = document.createElement("span");
            role.className = "role";
            role.textContent = p.role === "respondent" ? "被申请人" : "申请人";
            li.appendChild(role);
            li.appendChild(document.createTextNode(" " + p.name));
            if (p.phone) {
              var a = document.createElement("a");
              a.href = "tel:" + p.phone.replace(/[^0-9+]/g, "");
              a.className = "tel";
              a.textContent = "电话 " + p.phone;
              li.appendChild(a);
            }
            var addr = document.createElement("span");
            addr.className = "address";
            addr.textContent = "住址 " + (p.address || "未登记");
            li.appendChild(addr);
            list.appendChild(li);
          });
          if (data.notice) {
            var note = document.createElement("li");
            note.className = "hint";
            note.textContent = data.notice;
            list.appendChild(note);
          }
          list.hidden = false;
          reveal.hidden = true;
        });
      }, function () { reveal.disabled = false; err.textContent = "网络不通，请稍后再试"; });
    });
  }

  /* ---- the contact-access log, for supervisors ---- */
  var log = document.getElementById("contact-log");
  if (log) {
    fetch(log.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (page) {
        var rows = page.items || [];
        log.textContent = "";
        if (!rows.length) { log.innerHTML = '<p class="hint">尚无查看记录。</p>'; return; }
        var ul = document.createElement("ul");
        ul.className = "log";
        rows.forEach(function (row) {
          var li = document.createElement("li");
          var when = new Date(row.revealed_at);
          li.textContent = when.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) + " · " +
            (row.user || "") + (row.organization ? "（" + row.organization.name + "）" : "") +
            " · " + (row.fields || []).map(function (f) { return { phone: "电话", address: "住址" }[f] || f; }).join("、");
          ul.appendChild(li);
        });
        log.appendChild(ul);
      }, function () { log.innerHTML = '<p class="err">无法读取查看记录。</p>'; });
  }
})();
