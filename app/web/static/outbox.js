/* 解纷 · drafts and the outbox, kept on the phone (localStorage).
 *
 * A draft gets its Idempotency-Key when it is created. Submitting freezes the request body and queues it;
 * the outbox sends it now if it can, otherwise on the `online` event and on a timer with backoff, always
 * with the SAME key, so a response lost on the way back resolves to the same case, never a second one.
 * Only a 201 (first answer or replay) removes the draft; a 422 puts it back to editing with the errors.
 */
(function () {
  "use strict";
  var STORE = "jiefen.drafts.v1";
  var SENT = "jiefen.sent.v1";
  var MAX_DELAY = 60000;
  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  };
  var user = meta("jiefen-user");
  var timer = null;
  var flushing = false;
  var authLost = false;

  var MESSAGES = {
    "id_number.checksum": "身份证号校验位不对，请核对",
    "id_number.length": "身份证号应为18位",
    "id_number.format": "身份证号应为17位数字加1位数字或X",
    "id_number.birth_date": "身份证号中的出生日期无效",
    "id_number.future_birth_date": "身份证号中的出生日期晚于今天",
    "phone.format": "请填写11位手机号码，或带区号的固定电话（如 0519-87654321）",
    "parties.respondent_missing": "至少要有一名被申请人",
    "parties.applicant_missing": "至少要有一名申请人",
    "too_short": "至少要有申请人和被申请人各一名",
    "category.unknown": "请选择纠纷类型",
    "risk_level.unknown": "请选择风险等级",
    "referred_by.missing": "委托移送的案件请选择移送单位",
    "referred_by.not_referred": "只有委托移送的案件填写移送单位",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "missing": "此项必填",
    "required": "此项必填",
    "town_code.unknown": "没有这个镇（街道）",
    "town_code.required": "请选择镇（街道）",
    "village_code.unknown": "没有这个村（社区）",
    "village_code.not_in_town": "该村（社区）不属于所选镇（街道）",
    "received_at.future": "受理时间不能晚于现在",
    "occurred_on.future": "发生日期不能晚于今天",
    "datetime.offset_required": "时间格式不对",
    "date_from_datetime_parsing": "日期格式不对",
    "date_parsing": "日期格式不对",
    "datetime_parsing": "时间格式不对",
    "decimal_parsing": "请填写数字",
    "greater_than_equal": "不能小于0",
    "decimal_max_places": "最多两位小数",
    "decimal_max_digits": "金额太大",
    "decimal_whole_digits": "金额太大",
    "idempotency_key.reused": "这份草稿已用其他内容提交过，请再提交一次",
    "summary.string_too_short": "请至少写5个字",
    "name.string_too_short": "请填写姓名或名称"
  };

  function message(err) {
    var last = String(err.field || "").split(".").pop();
    return MESSAGES[last + "." + err.code] || MESSAGES[err.code] || err.message || "填写有误";
  }

  function newKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }
  function all() { return read(STORE); }
  function mine() {
    var drafts = all();
    return Object.keys(drafts).map(function (k) { return drafts[k]; })
      .filter(function (d) { return d && d.user === user; })
      .sort(function (a, b) { return (b.updated_at || 0) - (a.updated_at || 0); });
  }
  function get(id) { return all()[id] || null; }
  function put(draft) {
    var drafts = all();
    draft.updated_at = Date.now();
    drafts[draft.id] = draft;
    return write(STORE, drafts);
  }
  function remove(id) {
    var drafts = all();
    delete drafts[id];
    write(STORE, drafts);
  }
  function create(fields, parties) {
    var draft = {
      id: newKey(), key: newKey(), user: user, state: "editing", created_at: Date.now(),
      fields: fields || {}, parties: parties || [], errors: {}, attempts: 0, next_at: 0
    };
    put(draft);
    return draft;
  }
  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  /* Queue a draft whose request body is final. The key stays bound to exactly this body. */
  function queue(draft, body) {
    draft.state = "queued";
    draft.body = JSON.stringify(body);
    draft.errors = {};
    draft.attempts = 0;
    draft.next_at = 0;
    draft.last_error = "";
    put(draft);
    emit("jiefen:changed", { id: draft.id });
    flush();
  }

  /* 仍然登记: the same case, now with confirm_duplicate. Another body, so another key. */
  function confirmDuplicate(draft, body) {
    draft.key = newKey();
    delete draft.duplicates;
    queue(draft, body);
  }
  function backToEditing(draft) {
    draft.key = newKey();
    draft.state = "editing";
    delete draft.duplicates;
    delete draft.body;
    put(draft);
    emit("jiefen:changed", { id: draft.id });
  }

  function backoff(draft, why) {
    draft.attempts = (draft.attempts || 0) + 1;
    var delay = Math.min(MAX_DELAY, 2000 * Math.pow(2, draft.attempts - 1));
    draft.next_at = Date.now() + delay * (0.8 + Math.random() * 0.4);
    draft.state = "queued";
    draft.last_error = why;
    put(draft);
  }

  function toEditing(draft, problem) {
    var errors = {};
    (problem && problem.errors || []).forEach(function (e) {
      var field = e.field === "Idempotency-Key" || e.field === "body" ? "form" : e.field;
      errors[field] = errors[field] || message(e);
    });
    if (!Object.keys(errors).length) {
      errors.form = (problem && problem.detail) || "提交被拒绝，请检查后再提交";
    }
    // This key's request created nothing: the corrected draft gets a fresh key.
    draft.key = newKey();
    draft.state = "editing";
    draft.errors = errors;
    delete draft.body;
    put(draft);
  }

  function remember(draft, kase) {
    var sent = read(SENT);
    var routing = kase.routing || {};
    // Only what the result panel shows: no party names, ID numbers or phones stay on the phone.
    sent[draft.id] = {
      at: Date.now(), id: kase.id, reference: kase.reference,
      organization: routing.organization ? routing.organization.name : (kase.current_organization ? kase.current_organization.name : ""),
      explanation: routing.explanation || "", due: kase.dispatch_due_at || "",
      provisional: !!kase.dispatch_due_provisional
    };
    Object.keys(sent).sort(function (a, b) { return sent[b].at - sent[a].at; }).slice(10)
      .forEach(function (k) { delete sent[k]; });
    write(SENT, sent);
    return sent[draft.id];
  }

  function sendOne(draft) {
    draft.state = "sending";
    put(draft);
    emit("jiefen:changed", { id: draft.id });
    return fetch("/api/v1/cases", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": meta("csrf-token"),
        "Idempotency-Key": draft.key
      },
      body: draft.body
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) {
        var current = get(draft.id);
        if (!current || current.key !== draft.key) return;
        if (resp.status === 201 || resp.status === 200) {
          var result = remember(current, data || {});
          remove(current.id);
          emit("jiefen:sent", { id: current.id, result: result });
        } else if (resp.status === 409 && data && data.code === "case.possible_duplicate") {
          // Parked, not sent again: the mediator decides (仍然登记？) on the form.
          current.state = "duplicate";
          current.duplicates = (data.duplicates || []).map(function (d) {
            return { reference: d.reference, status: d.status, status_label: d.status_label };
          });
          put(current);
        } else if (resp.status === 422 || resp.status === 400) {
          toEditing(current, data);
        } else if (resp.status === 401 || (resp.status === 403 && data && data.code === "csrf_failed")) {
          authLost = true;
          backoff(current, resp.status === 401 ? "login" : "reload");
        } else if (resp.status === 403 || resp.status === 404) {
          toEditing(current, { detail: "您的账号不能登记案件" });
        } else {
          backoff(current, "server");
        }
        emit("jiefen:changed", { id: current.id });
      });
    }, function () {
      var current = get(draft.id);
      if (current && current.key === draft.key) {
        backoff(current, "network");
        emit("jiefen:changed", { id: current.id });
      }
    });
  }

  function flush(force) {
    if (flushing || authLost) return schedule();
    if (navigator.onLine === false) return schedule();
    var now = Date.now();
    var due = mine().filter(function (d) {
      return (d.state === "queued" || d.state === "sending") && (force || !d.next_at || d.next_at <= now);
    });
    if (!due.length) return schedule();
    flushing = true;
    var run = function () {
      return due.reduce(function (p, d) { return p.then(function () { return sendOne(d); }); }, Promise.resolve());
    };
    // One tab sends at a time; the server's idempotency makes a race harmless, the lock makes it rare.
    var locked = navigator.locks && navigator.locks.request
      ? navigator.locks.request("jiefen-outbox", run) : run();
    Promise.resolve(locked).catch(function () {}).then(function () { flushing = false; schedule(); });
  }

  function schedule() {
    clearTimeout(timer);
    var waiting = mine().filter(function (d) { return d.state === "queued" || d.state === "sending"; });
    if (!waiting.length || authLost) return;
    var next = Math.min.apply(null, waiting.map(function (d) { return d.next_at || 0; }));
    timer = setTimeout(flush, Math.max(1000, Math.min(MAX_DELAY, next - Date.now())));
  }

  function formatDue(iso, provisional) {
    if (!iso) return "—";
    var parts = {};
    var fmt = new Intl.DateTimeFormat("zh-CN", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
    var d = new Date(iso);
    fmt.formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    if (parts.hour === "00" && parts.minute === "00") {
      // End of a working day is midnight: written as 24:00 of that day.
      fmt.formatToParts(new Date(d.getTime() - 60000)).forEach(function (p) { parts[p.type] = p.value; });
      parts.hour = "24"; parts.minute = "00";
    }
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute +
      (provisional ? "（暂定）" : "");
  }

  var STATE_LABELS = { queued: "待发送", sending: "正在发送", editing: "草稿", duplicate: "可能重复，待确认" };

  function describe(d) {
    if (d.state === "editing" && Object.keys(d.errors || {}).length) return "需修改";
    if (d.state !== "editing" && d.last_error === "login") return "待发送（请重新登录）";
    if (d.state !== "editing" && d.last_error === "reload") return "待发送（请刷新页面）";
    return STATE_LABELS[d.state] || d.state;
  }

  function hasContent(d) {
    return (d.parties || []).some(function (p) { return p.name; }) || !!(d.fields || {}).summary;
  }

  function renderList(exceptId) {
    var section = document.getElementById("outbox");
    var list = document.getElementById("outbox-list");
    if (!section || !list) return;
    var drafts = mine().filter(function (d) { return d.id !== exceptId && (d.state !== "editing" || hasContent(d)); });
    list.textContent = "";
    drafts.forEach(function (d) {
      var li = document.createElement("li");
      li.className = "draft state-" + d.state;
      var a = document.createElement("a");
      a.href = "/m/cases/new?draft=" + encodeURIComponent(d.id);
      var names = (d.parties || []).map(function (p) { return p.name; }).filter(Boolean).join("、") || "（未填当事人）";
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = describe(d);
      var text = document.createElement("span");
      text.className = "names";
      text.textContent = names;
      a.appendChild(badge);
      a.appendChild(text);
      li.appendChild(a);
      list.appendChild(li);
    });
    section.hidden = drafts.length === 0;
  }

  window.addEventListener("online", function () { flush(true); });
  window.addEventListener("offline", function () { emit("jiefen:changed", {}); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flush(); });
  window.addEventListener("storage", function (e) { if (e.key === STORE) emit("jiefen:changed", {}); });
  setInterval(flush, 30000); // a safety net in case a timer was throttled in the background
  document.addEventListener("jiefen:changed", function () { renderList(window.JiefenCurrentDraft); });
  document.addEventListener("DOMContentLoaded", function () { renderList(window.JiefenCurrentDraft); flush(true); });

  window.Jiefen = {
    user: user, message: message, newKey: newKey, mine: mine, get: get, put: put, remove: remove,
    create: create, queue: queue, flush: flush, confirmDuplicate: confirmDuplicate, backToEditing: backToEditing, formatDue: formatDue, describe: describe,
    sent: function (id) { return read(SENT)[id] || null; }, renderList: renderList
  };
})();
