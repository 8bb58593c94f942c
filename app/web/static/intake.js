/* 解纷 · the intake form: a draft saved as it is typed, cheap checks, errors beside their fields. */
(function () {
  "use strict";
  var J = window.Jiefen;
  var form = document.getElementById("intake");
  if (!J || !form) return;
  var $ = function (id) { return document.getElementById(id); };
  var partiesBox = $("parties");
  var tpl = $("party-tpl");
  var body = $("form-body");
  var FIELDS = ["category", "town_code", "village_code", "summary", "claim_amount", "occurred_on", "received_at", "source", "referred_by"];
  var ROLE = { applicant: "申请人", respondent: "被申请人" };
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var draft;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function withOffset(value) {
    if (!value) return null;
    var d = new Date(value);
    if (isNaN(d.getTime())) return value;
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return localInput(d) + ":00" + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }
  function blankParty(role) {
    return { role: role, kind: "person", name: "", id_number: "", phone: "", address: "", is_government: false };
  }
  function defaults() {
    return {
      town_code: $("town_code").getAttribute("data-default") || "",
      village_code: $("village_code").getAttribute("data-default") || "",
      received_at: localInput(new Date()), risk_level: "low"
    };
  }

  /* ---- draft <-> form ---- */
  function renderParties() {
    partiesBox.textContent = "";
    draft.parties.forEach(function (p, i) {
      var node = tpl.content.firstElementChild.cloneNode(true);
      node.querySelector(".p-title").textContent = "当事人 " + (i + 1) + "（" + ROLE[p.role] + "）";
      node.querySelectorAll("[data-k]").forEach(function (el) {
        var k = el.getAttribute("data-k");
        if (el.type === "radio") {
          el.name = "p" + i + "-kind";
          el.id = "p" + i + "-kind-" + el.value;
          el.checked = p.kind === el.value;
        } else {
          el.id = "p" + i + "-" + k;
          el.setAttribute("data-field", "parties." + i + "." + k);
          if (el.type === "checkbox") el.checked = !!p[k]; else el.value = p[k] || "";
          var err = node.querySelector('[data-err="' + k + '"]');
          if (err) { err.id = "err-parties-" + i + "-" + k; el.setAttribute("aria-describedby", err.id); }
        }
        el.setAttribute("data-i", i);
      });
      node.querySelectorAll("[data-for]").forEach(function (l) { l.htmlFor = "p" + i + "-" + l.getAttribute("data-for"); });
      node.querySelectorAll("[data-only]").forEach(function (el) { el.hidden = el.getAttribute("data-only") !== p.kind; });
      var rm = node.querySelector(".remove");
      rm.setAttribute("data-i", i);
      rm.setAttribute("aria-label", "删除当事人 " + (i + 1));
      partiesBox.appendChild(node);
    });
  }
  function fillForm() {
    var f = draft.fields;
    FIELDS.forEach(function (k) { if (f[k] !== undefined) $(k).value = f[k]; });
    if ((f.town_code || "") !== $("town_code").getAttribute("data-default") || $("village_code").value !== (f.village_code || "")) {
      loadVillages(f.town_code, f.village_code);
    }
    form.querySelectorAll('input[name="risk_level"]').forEach(function (r) { r.checked = r.value === (f.risk_level || "low"); });
    $("judicial_confirmation_requested").checked = !!f.judicial_confirmation_requested;
    showReferrer();
    renderParties();
  }
  function showReferrer() { $("referred-field").hidden = $("source").value !== "referred"; }
  $("source").addEventListener("change", showReferrer);
  function readForm() {
    FIELDS.forEach(function (k) { draft.fields[k] = $(k).value; });
    var risk = form.querySelector('input[name="risk_level"]:checked');
    draft.fields.risk_level = risk ? risk.value : "low";
    draft.fields.judicial_confirmation_requested = $("judicial_confirmation_requested").checked;
    partiesBox.querySelectorAll("[data-k]").forEach(function (el) {
      var p = draft.parties[+el.getAttribute("data-i")];
      var k = el.getAttribute("data-k");
      if (!p) return;
      if (el.type === "radio") { if (el.checked) p.kind = el.value; }
      else if (el.type === "checkbox") p[k] = el.checked;
      else p[k] = el.value;
    });
  }
  function save() { if (draft.state === "editing") J.put(draft); }

  /* ---- checks ---- */
  function idError(v) {
    v = v.trim();
    if (v.length !== 18) return "id_number.length";
    if (!/^\d{17}[\dXx]$/.test(v)) return "id_number.format";
    var s = 0;
    for (var i = 0; i < 17; i++) s += (+v[i]) * W[i];
    return "10X98765432"[s % 11] === v[17].toUpperCase() ? null : "id_number.checksum";
  }
  function normalPhone(v) {
    v = v.replace(/[\s-]/g, "");
    var m = /^(?:\+86|0086|86)(\d{11})$/.exec(v);
    return m ? m[1] : v;
  }
  // A mobile (+86 allowed), or a landline: area code + 7-8 digits, an optional extension (0519-87654321-123).
  function isPhone(v) {
    var compact = v.replace(/\s/g, "");
    return /^1[3-9]\d{9}$/.test(normalPhone(v)) || /^0\d{2,3}-?\d{7,8}((-|转|ext\.?)\d{1,6})?$/i.test(compact);
  }
  function check() {
    var e = {};
    var add = function (field, code) { if (!e[field]) e[field] = J.message({ field: field, code: code }); };
    var roles = draft.parties.map(function (p) { return p.role; });
    if (roles.indexOf("applicant") < 0) add("parties", "parties.applicant_missing");
    else if (roles.indexOf("respondent") < 0) add("parties", "parties.respondent_missing");
    draft.parties.forEach(function (p, i) {
      var at = "parties." + i + ".";
      if (!p.name.trim()) add(at + "name", "missing");
      if (p.kind === "person" && p.id_number.trim()) { var c = idError(p.id_number); if (c) add(at + "id_number", c); }
      if (p.phone.trim() && !isPhone(p.phone)) add(at + "phone", "phone.format");
    });
    var f = draft.fields;
    if (!f.category) add("category", "category.unknown");
    if (!f.town_code) add("town_code", "town_code.required");
    if (f.source === "referred" && !f.referred_by) add("referred_by", "referred_by.missing");
    if (!f.summary.trim()) add("summary", "missing");
    else if (f.summary.trim().length < 5) add("summary", "string_too_short");
    if (f.claim_amount && !/^\d+(\.\d{1,2})?$/.test(f.claim_amount.trim())) add("claim_amount", "decimal_parsing");
    if (f.occurred_on && f.occurred_on > localInput(new Date()).slice(0, 10)) add("occurred_on", "occurred_on.future");
    return e;
  }
  function showErrors(errors) {
    form.querySelectorAll(".err").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var first = null;
    Object.keys(errors).forEach(function (field) {
      var slot = $("err-" + field.replace(/\./g, "-")) || $("err-form");
      slot.textContent = slot.textContent ? slot.textContent + "；" + errors[field] : errors[field];
      var input = form.querySelector('[data-field="' + field + '"]') || (FIELDS.indexOf(field) >= 0 ? $(field) : null);
      if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    });
    return first;
  }
  function payload() {
    var f = draft.fields;
    var nul = function (v) { v = (v || "").trim(); return v ? v : null; };
    return {
      category: f.category, summary: f.summary.trim(), claim_amount: nul(f.claim_amount),
      occurred_on: nul(f.occurred_on), received_at: withOffset(f.received_at), risk_level: f.risk_level || "low",
      judicial_confirmation_requested: !!f.judicial_confirmation_requested,
      source: f.source || "applied", referred_by: f.source === "referred" ? nul(f.referred_by) : null,
      town_code: nul(f.town_code), village_code: nul(f.village_code),
      parties: draft.parties.map(function (p) {
        return {
          role: p.role, kind: p.kind, name: p.name.trim(),
          id_number: p.kind === "person" ? nul(p.id_number) : null, phone: nul(p.phone), address: nul(p.address),
          is_government: p.kind === "organization" && !!p.is_government
        };
      })
    };
  }

  /* ---- state shown on the page ---- */
  function showResult(r) {
    $("r-reference").textContent = r.reference;
    $("r-organization").textContent = r.organization || "待司法所分派";
    $("r-explanation").textContent = r.explanation || "—";
    $("r-due").textContent = J.formatDue(r.due, r.provisional);
    $("r-link").href = "/m/cases/" + r.id;
    $("result").hidden = false;
    $("duplicate").hidden = true;
    form.hidden = true;
    $("state").textContent = "已登记，案件编号 " + r.reference;
  }
  function showState() {
    var locked = draft.state !== "editing";
    body.disabled = locked;
    $("submit").hidden = locked;
    $("new-draft").hidden = !locked;
    var text = "";
    if (locked) {
      text = J.describe(draft) + (navigator.onLine === false ? "：没有网络，恢复后自动发送" : "：正在发送或稍后重试");
    } else if (Object.keys(draft.errors || {}).length) {
      text = "请按提示修改后再提交";
      showErrors(draft.errors);
    } else {
      text = "草稿已保存在本机";
    }
    $("state").textContent = text;
    form.setAttribute("data-state", draft.state);
  }
  function start(d) {
    draft = d;
    window.JiefenCurrentDraft = d.id;
    $("result").hidden = true;
    form.hidden = false;
    fillForm();
    showErrors({});
    showState();
    showDuplicates();
    if (history.replaceState) history.replaceState(null, "", "/m/cases/new?draft=" + encodeURIComponent(d.id));
    J.renderList(d.id);
  }
  function freshDraft() { return J.create(defaults(), [blankParty("applicant"), blankParty("respondent")]); }

  function loadVillages(town, selected) {
    var sel = $("village_code");
    if (!town) { sel.length = 1; return; }
    fetch("/api/v1/organizations?kind=village_committee&town=" + encodeURIComponent(town), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (orgs) {
        sel.length = 1;
        orgs.forEach(function (o) { sel.add(new Option(o.name.replace(/人民调解委员会$/, ""), o.code)); });
        sel.value = selected || "";
      }, function () {});
  }

  /* ---- events ---- */
  form.addEventListener("input", function () { readForm(); save(); });
  form.addEventListener("change", function (ev) {
    readForm();
    if (ev.target.id === "town_code") { draft.fields.village_code = ""; loadVillages(ev.target.value, ""); }
    if (ev.target.getAttribute("data-k") === "kind" || ev.target.getAttribute("data-k") === "role") renderParties();
    save();
  });
  partiesBox.addEventListener("click", function (ev) {
    var btn = ev.target.closest(".remove");
    if (!btn) return;
    readForm();
    draft.parties.splice(+btn.getAttribute("data-i"), 1);
    draft.errors = {};
    renderParties();
    save();
  });
  ["applicant", "respondent"].forEach(function (role) {
    $("add-" + role).addEventListener("click", function () {
      readForm();
      draft.parties.push(blankParty(role));
      renderParties();
      save();
      $("p" + (draft.parties.length - 1) + "-name").focus();
    });
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (draft.state !== "editing") return;
    readForm();
    var errors = check();
    var first = showErrors(errors);
    if (first) { $("state").textContent = "请按提示修改后再提交"; first.focus(); save(); return; }
    J.queue(draft, payload());
    lookHere($("state"));
  });
  // What happened to the submission is said where the mediator is looking (on a phone, far above the button).
  function lookHere(el) {
    el.focus();
    if (el.scrollIntoView) el.scrollIntoView({ block: "center" });
  }

  /* ---- a possible duplicate: show the open case(s) and ask 仍然登记？ ---- */
  function showDuplicates() {
    var box = $("duplicate");
    var list = $("duplicate-list");
    var dups = draft.state === "duplicate" ? draft.duplicates || [] : [];
    box.hidden = !dups.length;
    if (!dups.length) return;
    list.textContent = "";
    dups.forEach(function (d) {
      var li = document.createElement("li");
      var ref = document.createElement("strong");
      ref.className = "ref";
      ref.textContent = d.reference;
      li.appendChild(ref);
      li.appendChild(document.createTextNode("（" + (d.status_label || d.status || "") + "）"));
      list.appendChild(li);
    });
  }
  $("duplicate-confirm").addEventListener("click", function () {
    if (draft.state !== "duplicate") return;
    var body = JSON.parse(draft.body);
    body.confirm_duplicate = true;
    J.confirmDuplicate(draft, body);
  });
  $("duplicate-cancel").addEventListener("click", function () {
    if (draft.state !== "duplicate") return;
    J.backToEditing(draft);
    $("p0-name").focus();
  });
  var again = function () { start(freshDraft()); $("p0-name").focus(); };
  $("new-draft").addEventListener("click", again);
  $("r-again").addEventListener("click", again);
  document.addEventListener("jiefen:changed", function (ev) {
    if (!draft || !draft.state || (ev.detail.id && ev.detail.id !== draft.id)) return;
    var latest = J.get(draft.id);
    if (!latest) return;
    var was = draft.state;
    draft = latest;
    // Re-fill only when the outbox hands the draft back (a 422): never under the fingers of the typist.
    if (draft.state === "editing" && was !== "editing") fillForm();
    showState();
    showDuplicates();
    if (draft.state === "duplicate" && was !== "duplicate") lookHere($("duplicate"));
  });
  document.addEventListener("jiefen:sent", function (ev) {
    if (draft && ev.detail.id === draft.id) showResult(ev.detail.result);
  });

  /* ---- which draft: ?draft=ID, else the newest unsent one, else a new one ---- */
  var wanted = new URLSearchParams(location.search).get("draft");
  var d = wanted ? J.get(wanted) : null;
  if (wanted && !d && J.sent(wanted)) {
    draft = { id: wanted };
    window.JiefenCurrentDraft = wanted;
    showResult(J.sent(wanted));
    return;
  }
  if (!d || d.user !== J.user) {
    d = J.mine().filter(function (x) { return x.state === "editing"; })[0] || freshDraft();
  }
  start(d);
})();
