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

  function amountOf(text) {
    return (R && R.parse(String(text).trim(), 100000000)) || 0;
  }

  // which form an item was sent from, by the end of its path (the English ones: kept before
  // the paths became Indonesian)
  var FORMS = {
    "sumbangan/baru": "in", "sumbangan/kelas": "classes", "penyaluran/baru": "out",
    "contributions/new": "in", "contributions/classes": "classes", "disbursements/new": "out",
  };

  /* What an item is, in one line: "Setoran kelas · Rp85.000 (3 kelas) · 5 Des 2026". */
  function describe(item) {
    var kind = item.url.match(/[a-z]+\/[a-z]+$/);
    var sum = 0, rows = [], day = "";
    item.fields.forEach(function (field) {
      if (field[0] === "occurred_on") day = field[1];
      if (field[0] === "class_label" && field[1]) rows.push(field[1]);
      if ((field[0] === "amount" || /^class_\d+$/.test(field[0])) && String(field[1]).trim()) {
        sum += amountOf(field[1]);
        // the class's name where this page has the class form, else only how many
        var label = document.querySelector("label[for='" + field[0] + "']");
        if (field[0] !== "amount") rows.push(label ? label.textContent.trim() : "");
      }
    });
    var parts = [texts[FORMS[kind && kind[0]] || "in"]];
    if (rows.length) {
      parts[0] += " " + (rows.every(Boolean) ? rows.join(", ") : fill(texts.rows, { n: rows.length }));
    }
    parts.push(R ? R.format(sum) : String(sum));
    if (/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      parts.push(new Date(day + "T12:00:00").toLocaleDateString(document.documentElement.lang,
        { day: "numeric", month: "short", year: "numeric" }));
    }
    return parts.join(" · ");
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
      li.appendChild(element("p", "error", fill(texts.refused, { why: (item.problems || []).join(" ") })));
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
      sendButton.hidden = !waiting || !navigator.onLine;
      sendButton.disabled = false;
      sendButton.textContent = texts.send;
      pendingHints(mine);
      box.querySelector("details").open = refused > 0 || box.querySelector("details").open;
      box.hidden = !items.length && !box.querySelector(".saved-here, .sent, .still");
      return waiting;
    });
  }

  /* On the class-collection form, each class that has money waiting in the outbox for the
     day in the form says so, as "Sudah tercatat" says it for money in the book: the child
     does not record it a second time. */
  function pendingHints(items) {
    var form = document.querySelector("form[data-offline]");
    var day = form && form.querySelector("input[name=occurred_on]");
    if (!day) return;
    [].forEach.call(form.querySelectorAll(".waiting-hint"), function (hint) { hint.remove(); });
    var waiting = {};
    items.forEach(function (item) {
      if (item.url.replace(/^https?:\/\/[^/]+/, "") !== form.getAttribute("action")) return;
      var itemDay = item.fields.filter(function (f) { return f[0] === "occurred_on"; })[0];
      if (!itemDay || itemDay[1] !== day.value) return;
      item.fields.forEach(function (field) {
        if (/^class_\d+$/.test(field[0]) && String(field[1]).trim()) {
          waiting[field[0]] = (waiting[field[0]] || 0) + amountOf(field[1]);
        }
      });
    });
    Object.keys(waiting).forEach(function (name) {
      var input = form.querySelector("input[name='" + name + "']");
      if (!input) return;
      var hint = element("small", "hint waiting-hint",
        fill(texts.rowWaiting, { amount: R ? R.format(waiting[name]) : waiting[name] }));
      input.closest(".row").appendChild(hint);
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

  sendButton.addEventListener("click", function () {
    sendButton.dataset.tapped = "1";  // a tap that finds no signal is told so
    send();
  });
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "fresh") redrawHints(event.data.path);
    if (!event.data || event.data.type !== "outbox") return;
    var tapped = sendButton.dataset.tapped;
    delete sendButton.dataset.tapped;
    if (event.data.sent) {
      var old = box.querySelector(".saved-here");
      if (old) old.remove();
      note("sent", fill(texts.sent, { n: event.data.sent }));
      // a page without a form shows figures from before: drawn again, the note kept
      if (!document.querySelector("form[data-offline]")) {
        try { sessionStorage.setItem("sas-sent", String(event.data.sent)); } catch (e) {}
        location.reload();
        return;
      }
    }
    show().then(function (waiting) {
      if (tapped && waiting && !event.data.sent) note("still", texts.still);
    });
  });
  window.addEventListener("online", function () { show().then(function (n) { if (n) send(); }); });

  try {  // sent just before this page was drawn again
    var sentBefore = sessionStorage.getItem("sas-sent");
    sessionStorage.removeItem("sas-sent");
    if (sentBefore) note("sent", fill(texts.sent, { n: Number(sentBefore) }));
  } catch (e) {}
  // while something waits, try again now and then (Background Sync waits minutes after a fail)
  setInterval(function () {
    if (mine.some(function (item) { return item.state === "waiting"; }) && navigator.onLine
      && !sendButton.disabled) send();
  }, 30000);
  window.addEventListener("offline", function () { sendButton.hidden = true; });

  // the "no signal" page offers only the forms this phone holds, and says nothing if none
  [].forEach.call(document.querySelectorAll("[data-kept-only]"), function (offer) {
    var links = [].slice.call(offer.querySelectorAll("a"));
    Promise.all(links.map(function (link) {
      return caches.match(link.getAttribute("href"), { cacheName: "sas-pages" })
        .then(function (kept) { link.closest("li").hidden = !kept; return !!kept; });
    })).then(function (kept) { offer.hidden = kept.indexOf(true) < 0; });
  });

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
    tellWorker({ type: "keep", pages: pages });
  }

  /* "Buka dan perbaiki": the kept form (?ponsel=<id>) filled with what the item holds, its
     one-time key included (sent again, it still records once), and the server's messages. */
  function reopen(waiting) {
    var form = document.querySelector("form[data-offline]");
    var id = Number(new URLSearchParams(location.search).get("ponsel"));
    if (!form || !Number.isInteger(id) || id <= 0) return waiting;
    return Outbox.get(id).then(function (item) {
      if (!item || item.user !== user) return waiting;
      [].forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) {
        box.checked = false;  // a box that was not ticked is not among the fields
      });
      item.fields.forEach(function (field) {
        var name = field[0], data = field[1];
        if (name === "csrf_token") return;  // the page's own: this session's
        [].forEach.call(form.querySelectorAll("[name='" + name + "']"), function (control) {
          if (control.type === "radio") control.checked = control.value === data;
          else if (control.type === "checkbox") control.checked = true;
          else if (control.type === "file") {
            if (data instanceof Blob && data.size && window.DataTransfer) {
              var files = new DataTransfer();  // the photos chosen before, and this one
              [].forEach.call(control.files, function (file) { files.items.add(file); });
              files.items.add(data);
              control.files = files.files;
            }
          } else control.value = data;
          control.dispatchEvent(new Event(control.type === "radio" ? "change" : "input",
            { bubbles: true }));
        });
      });
      var box = element("div", "error-summary");
      box.setAttribute("role", "alert");
      box.appendChild(element("h2", null, texts.fix));
      var list = box.appendChild(element("ul"));
      (item.problems || []).forEach(function (problem) {
        list.appendChild(element("li", null, problem));
      });
      form.insertAdjacentElement("afterbegin", box);
      return waiting;
    });
  }

  /* The network's answer to a form shown from the phone's copy (sw.js says so): its hints
     ("Sudah tercatat") and the balance are drawn again; what was typed stays. Hints for
     another day than the one in the form are dropped. */
  function redrawHints(path) {
    var form = document.querySelector("form[data-offline]");
    if (!form || location.pathname !== path) return;
    caches.match(path).then(function (kept) { return kept && kept.text(); }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var day = form.querySelector("input[name=occurred_on]");
      var freshDay = fresh.querySelector("input[name=occurred_on]");
      var sameDay = day && freshDay && day.value === freshDay.value;
      [].forEach.call(form.querySelectorAll("input[data-row]"), function (input) {
        var old = document.getElementById(input.id + "-hint");
        var now = sameDay && fresh.getElementById(input.id + "-hint");
        if (old) old.remove();
        if (now) input.closest(".row").appendChild(document.importNode(now, true));
      });
      var available = document.getElementById("available");
      var freshAvailable = fresh.getElementById("available");
      var after = document.querySelector("[data-balance-after]");
      var freshAfter = fresh.querySelector("[data-balance-after]");
      if (available && freshAvailable) available.textContent = freshAvailable.textContent;
      if (after && freshAfter) {
        after.dataset.available = freshAfter.dataset.available;
        var amount = document.getElementById(after.dataset.for);
        if (amount) amount.dispatchEvent(new Event("input", { bubbles: true }));
      }
      var note = form.querySelector(".kept");
      if (note) note.remove();
    }).catch(function () {});
  }
  function tellWorker(message) {
    navigator.serviceWorker.ready.then(function (registration) {
      registration.active.postMessage(message);
    });
  }
  Outbox.user().then(function (last) {
    var next = Promise.resolve();
    if (!user || last !== user) {  // nobody (a session ended), or someone else
      tellWorker({ type: "forget" });
      next = caches.delete("sas-pages");
      try {  // the class-collection drafts of this tab (app.js) belonged to that session
        Object.keys(sessionStorage).forEach(function (key) {
          if (key.indexOf("sas-draft:") === 0) sessionStorage.removeItem(key);
        });
      } catch (e) {}
    }
    if (user && last !== user) next = next.then(function () { return Outbox.setUser(user); });
    return next;
  }).then(show).then(reopen).then(function (waiting) {
    if (waiting && navigator.onLine) send();
    if (user) keepPages();  // (deferred scripts run once the page is drawn)
  }).catch(function () { /* storage off (private mode): forms are sent as always */ });

  /* Logging out with entries not yet sent asks first: they would go with the user's data. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!/\/keluar$/.test(form.getAttribute("action") || "") || !mine.length
      || form.dataset.warned) return;
    event.preventDefault();
    form.dataset.warned = "1";
    var warning = element("p", "flash flash-error", fill(texts.logout, { n: mine.length }));
    warning.setAttribute("role", "alert");
    form.insertAdjacentElement("beforebegin", warning);
    form.querySelector("button").textContent = texts.logoutAnyway;
  }, true);  // before app.js marks the form as being sent
})();
