/* SAS Ledger with a weak signal, the page's side (the service worker is sw.js): registers the
   worker, keeps the committee's entry forms on the phone, shows the outbox ("Menunggu sinyal:
   2 catatan") on every page, and asks before logging out with entries not yet sent. Without a
   service worker (an old browser, scripts off) none of this exists and forms are sent as
   always. Texts come from the outbox section's data attributes (the page's language). */
(function () {
  "use strict";
  var Outbox = window.SASOutbox;
  var box = document.getElementById("outbox");
  if (!("serviceWorker" in navigator) || !window.caches || !Outbox || !box) return;
  var R = window.SASRupiah;
  var user = document.body.dataset.user || null;
  var texts = box.dataset;
  var list = box.querySelector("ol");
  var sendButton = box.querySelector("button[data-send]");
  var mine = [];  // this user's items: the logout question counts them

  navigator.serviceWorker.register("/sw.js").catch(function () {});

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }
  function count(n) { return fill(n === 1 ? texts.one : texts.many, { n: n }); }
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /* What an item is, in one line: "Setoran kelas · Rp85.000 (3 kelas) · 5 Des 2026". */
  function describe(item) {
    var kind = item.url.match(/(contributions\/new|contributions\/classes|disbursements\/new)$/);
    var sum = 0, rows = 0, day = "";
    item.fields.forEach(function (field) {
      if (field[0] === "occurred_on") day = field[1];
      if ((field[0] === "amount" || /^class_\d+$/.test(field[0])) && String(field[1]).trim()) {
        var amount = R ? R.parse(String(field[1]).trim(), 100000000) : null;
        sum += amount || 0;
        rows += 1;
      }
    });
    var parts = [texts[{ "contributions/new": "in", "contributions/classes": "classes",
      "disbursements/new": "out" }[kind && kind[1]] || "in"]];
    parts.push((R ? R.format(sum) : sum) + (kind && kind[1] === "contributions/classes"
      ? " " + fill(texts.rows, { n: rows }) : ""));
    if (/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      parts.push(new Date(day + "T12:00:00").toLocaleDateString(document.documentElement.lang,
        { day: "numeric", month: "short", year: "numeric" }));
    }
    return parts.join(" · ");
  }

  /* The server's own words from a refused form: its error summary, else the errors or the
     notice it shows, else its heading. */
  function refusal(page) {
    var doc = new DOMParser().parseFromString(page || "", "text/html");
    var found = [".error-summary li", "main p.error", "main .flash-error", "main h1"]
      .map(function (selector) { return doc.querySelectorAll(selector); })
      .filter(function (nodes) { return nodes.length; })[0] || [];
    return [].map.call(found, function (node) { return node.textContent.trim(); }).join(" ");
  }

  function discardButton(item) {
    var button = element("button", "link", texts.discard);
    button.type = "button";
    button.addEventListener("click", function () {
      if (!button.dataset.sure) {  // a second tap, so that one slip loses nothing
        button.dataset.sure = "1";
        button.textContent = texts.sure;
        return;
      }
      Outbox.remove(item.id).then(show);
    });
    return button;
  }

  function line(item) {
    var li = element("li", item.state);
    li.appendChild(element("span", null, describe(item)));
    if (item.state === "refused") {
      li.appendChild(element("p", "error", fill(texts.refused, { why: refusal(item.page) })));
      var open = element("a", "button", texts.open);
      open.href = item.url + "?ponsel=" + item.id;
      li.appendChild(open);
    } else if (item.problem) {
      li.appendChild(element("small", null, texts[item.problem]));
    }
    li.appendChild(discardButton(item));
    return li;
  }

  /* The outbox section, drawn again whenever the worker says the outbox changed. */
  function show() {
    return Outbox.all().then(function (items) {
      mine = items.filter(function (item) { return user && item.user === user; });
      var waiting = mine.filter(function (item) { return item.state === "waiting"; }).length;
      var refused = mine.length - waiting;
      var others = items.length - mine.length;
      var summary = [];
      if (waiting) summary.push(count(waiting));
      if (refused) summary.push(fill(texts.refusedCount, { n: refused }));
      if (others) summary.push(fill(user ? texts.others : texts.signIn, { n: others }));
      box.querySelector("summary").textContent = summary.join(" · ");
      list.textContent = "";
      mine.forEach(function (item) { list.appendChild(line(item)); });
      sendButton.hidden = !waiting;
      sendButton.disabled = false;
      sendButton.textContent = texts.send;
      box.querySelector("details").open = refused > 0 || box.querySelector("details").open;
      box.hidden = !items.length && !box.querySelector(".saved-here, .sent");
      return waiting;
    });
  }

  function send() {
    sendButton.disabled = true;
    sendButton.textContent = texts.sending;
    navigator.serviceWorker.ready.then(function (registration) {
      registration.active.postMessage({ type: "send" });
    });
  }

  function note(className, text) {
    var old = box.querySelector("." + className);
    if (old) old.remove();
    box.insertBefore(element("p", className, text), box.firstChild);
    box.hidden = false;
  }

  sendButton.addEventListener("click", send);
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (!event.data || event.data.type !== "outbox") return;
    if (event.data.sent) note("sent", fill(texts.sent, { n: event.data.sent }));
    show();
  });
  window.addEventListener("online", function () { show().then(function (n) { if (n) send(); }); });

  /* A form just kept on the phone (the worker sent the browser here with ?disimpan=<id>). */
  var params = new URLSearchParams(location.search);
  if (params.has("disimpan")) {
    note("saved-here", texts.kept);
    params.delete("disimpan");
    history.replaceState(history.state, "", location.pathname + (params.toString() ? "?" + params : ""));
  }

  /* The entry forms, kept for this user by the worker so that they open without a signal;
     the pages kept for someone else, or for a session that has ended (the login page), go
     first. */
  function keepPages() {
    var pages = (document.body.dataset.offlinePages || "").split(" ").filter(Boolean);
    navigator.serviceWorker.ready.then(function (registration) {
      registration.active.postMessage({ type: "keep", pages: pages });
    });
  }
  Outbox.user().then(function (last) {
    var next = Promise.resolve();
    if (!user || last !== user) next = caches.delete("sas-pages");
    if (user && last !== user) next = next.then(function () { return Outbox.setUser(user); });
    return next;
  }).then(show).then(function (waiting) {
    if (waiting && navigator.onLine) send();
    if (user) setTimeout(keepPages, 1500);  // after the page's own requests
  }).catch(function () { /* storage off (private mode): forms are sent as always */ });

  /* Logging out with entries not yet sent asks first: they would go with the user's data. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!/\/logout$/.test(form.getAttribute("action") || "") || !mine.length
      || form.dataset.warned) return;
    event.preventDefault();
    form.dataset.warned = "1";
    var warning = element("p", "flash flash-error", fill(texts.logout, { n: mine.length }));
    warning.setAttribute("role", "alert");
    form.insertAdjacentElement("beforebegin", warning);
    form.querySelector("button").textContent = texts.logoutAnyway;
  }, true);  // before app.js marks the form as being sent
})();
