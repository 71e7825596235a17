/* SAS Ledger: small helps for a phone. Every task works without this file: the server checks
   everything again, and each help only reads or fills what the page already has. Loaded with
   `defer` under a strict CSP (no inline code); the texts it shows come from data attributes,
   so they are in the page's language. Amounts are read by rupiah.js (window.SASRupiah). */
(function () {
  "use strict";
  var R = window.SASRupiah;

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }
  function fill(template, value) { return template.replace("{amount}", value); }

  /* A form being sent says so, and a second impatient tap does not send it again (the form's
     one-time key would make that harmless; this saves the child the wait). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    if (/\/keluar$/.test(form.getAttribute("action"))) {  // a shared phone keeps no draft
      try { sessionStorage.clear(); } catch (e) {}
    }
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (button && button.dataset.sending) {
      button.dataset.label = button.textContent;
      button.textContent = button.dataset.sending;
    }
    setTimeout(function () { if (button) button.disabled = true; }, 0);  // after its value is sent
  });
  /* Back to a page kept by the browser (a send lost on a weak signal): it can be sent again,
     with the same one-time key, so a send that did arrive is not recorded twice. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    // With the worker (sw.js) a send never fails unseen: it was answered or kept in the
    // outbox. A form shown again by Back is then a new entry, with a key of its own.
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      each("form[data-offline]", function (form) { newKey(form); });
    }
    each("form[data-sending]", function (form) { delete form.dataset.sending; });
    each("button[data-sending][disabled]", function (button) {
      button.disabled = false;
      button.textContent = button.dataset.label || button.textContent;
    });
  });

  /* An amount read back as the user types: "Rp25.000 · dua puluh lima ribu rupiah". */
  function readBack(input) {
    var out = document.createElement("small");
    out.className = "words";
    out.id = input.id + "-words";
    out.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", out);
    function show() {
      var text = input.value.trim();
      var amount = text ? R.parse(text, Number(input.dataset.max || 100000000)) : null;
      out.textContent = !text ? "" : amount === null ? input.dataset.amount
        : R.format(amount) + " · " + R.words(amount);
      out.classList.toggle("unread", !!text && amount === null);
    }
    input.addEventListener("input", show);
    show();
  }

  /* Quick amounts: one tap fills the field. */
  function quickAmounts(box) {
    var input = document.getElementById(box.dataset.for);
    box.hidden = false;
    box.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-value]");
      if (!button || !input) return;
      input.value = R.format(Number(button.dataset.value)).replace("Rp", "");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  /* Fields that belong to some sources only ("Iuran kelas" has a class, "Perorangan" a name):
     the others are hidden and disabled, so they are not sent. One with something typed or
     chosen in it stays in sight and is sent (the server refuses a name with "Tanpa nama",
     rather than it being dropped unseen), and so does one the server refused. */
  function sourceAware(form) {
    function update(first) {
      var checked = form.querySelector("input[name=source]:checked");
      var source = checked ? checked.value : "";
      each("[data-show-for]", function (box) {
        var typed = [].some.call(box.querySelectorAll("input, select, textarea"),
          function (control) { return control.value.trim() !== ""; });
        var shown = box.dataset.showFor.split(" ").indexOf(source) >= 0 || typed
          || (first === true && box.classList.contains("has-error"));
        box.hidden = !shown;
        each("input, select, textarea", function (control) { control.disabled = !shown; }, box);
      }, form);
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "source") update();
    });
    update(true);
  }

  /* A long list of recipients: type part of a name to narrow it; one match is chosen. */
  function searchable(select) {
    var search = document.createElement("input");
    search.type = "search";
    search.id = select.id + "-search";
    search.autocomplete = "off";
    search.placeholder = select.dataset.filter;
    search.setAttribute("aria-label", select.dataset.filter);
    search.setAttribute("aria-controls", select.id);
    select.insertAdjacentElement("beforebegin", search);
    search.addEventListener("input", function () {
      var words = search.value.trim().toLowerCase();
      var matches = [];
      each("option", function (option) {
        if (!option.value) return;  // the "choose" line stays
        option.hidden = words !== "" && option.text.toLowerCase().indexOf(words) < 0;
        if (!option.hidden) matches.push(option);
      }, select);
      if (matches.length === 1) select.value = matches[0].value;
      else if (select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = "";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  /* The balance after this disbursement, before it is saved. */
  function balanceAfter(out) {
    var input = document.getElementById(out.dataset.for);
    var available = Number(out.dataset.available);
    function show() {
      var amount = R.parse(input.value.trim(), Number(input.dataset.max || 100000000));
      out.hidden = amount === null;
      if (amount === null) return;
      var after = available - amount;
      out.textContent = after >= 0 ? fill(out.dataset.after, R.format(after))
        : fill(out.dataset.short, R.format(available));
      out.classList.toggle("short", after < 0);
    }
    input.addEventListener("input", show);
    show();
  }

  /* The sum of the filled rows of a class-collection form. */
  function total(out) {
    var form = out.closest("form");
    function show() {
      var sum = 0, rows = 0, unread = 0;
      each("input[data-row]", function (input) {
        var text = input.value.trim();
        if (!text) return;
        var amount = R.parse(text, Number(input.dataset.max || 100000000));
        if (amount === null) unread += 1; else { sum += amount; rows += 1; }
      }, form);
      out.textContent = fill(out.dataset.total, R.format(sum)).replace("{rows}", rows)
        + (unread ? " · " + out.dataset.unread.replace("{rows}", unread) : "");
    }
    form.addEventListener("input", show);
    show();
  }

  /* Share a public link (a kuitansi check): the phone's own share sheet where there is one,
     else the link itself, which opens WhatsApp. */
  function share(link) {
    link.addEventListener("click", function (event) {
      if (!navigator.share) return;
      event.preventDefault();
      navigator.share({ title: link.dataset.title, text: link.dataset.text, url: link.dataset.url })
        .catch(function () {});  // the user closed the sheet
    });
  }

  function print(button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }

  /* What is typed into the class-collection form survives leaving the page (the other tab,
     the language switch, the bar, a lost connection): kept in this browser tab only
     (sessionStorage), amounts and date only, never a name, with the form's one-time key, so
     that sending it again records once even if the first send did arrive. Forgotten when
     that form's confirmation shows. */
  function keepDraft(form) {
    var key = "sas-draft:" + form.getAttribute("action");
    var fields = "input[data-row], input[name=occurred_on], input[name=form_key]";
    var rows = form.querySelectorAll("input[data-row]");
    var draft = null;
    try {
      // kept in the outbox just now (offline.js): no longer a draft
      if (/[?&]disimpan=/.test(location.search)) sessionStorage.removeItem(key);
      draft = JSON.parse(sessionStorage.getItem(key) || "null");
    } catch (e) { return; }
    var untouched = !form.querySelector(".has-error")
      && ![].some.call(rows, function (input) { return input.value; });
    if (draft && untouched) {
      each(fields, function (input) {
        if (typeof draft[input.name] === "string") input.value = draft[input.name];
      }, form);
      each("[data-restored]", function (note) { note.hidden = false; }, form);
      each("input[data-row]", function (input) {
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }, form);
    }
    form.addEventListener("input", function () {
      var kept = {};
      each(fields, function (input) { kept[input.name] = input.value; }, form);
      var typed = [].some.call(rows, function (input) { return input.value.trim(); });
      try {
        if (typed) sessionStorage.setItem(key, JSON.stringify(kept));
        else sessionStorage.removeItem(key);
      } catch (e) { /* storage full or off: the form still works */ }
    });
  }

  /* An entry form may open from the copy the phone keeps for a weak signal (sw.js). Each
     opening gets its own one-time key (entries made from one kept copy must not share one),
     the date and source "Catat lagi" asked for, and today's date when the copy was drawn on
     an earlier day; an old copy says how old it is. A form the server refused keeps its key,
     so that sending it again still records once. */
  function wibDay(when) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Jakarta", year: "numeric",
      month: "2-digit", day: "2-digit" }).format(when);
  }
  function newKey(form) {
    var key = form.querySelector("input[name=form_key]");
    if (key && window.crypto && crypto.getRandomValues) {
      key.value = [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
        return (b + 256).toString(16).slice(1);
      }).join("");
    }
  }
  function offlineForm(form) {
    if (form.querySelector(".has-error, .error-summary")) return;
    newKey(form);
    var drawn = new Date(Number(form.dataset.drawn) * 1000);
    var asked = new URLSearchParams(location.search);
    var date = form.querySelector("input[name=occurred_on]");
    var before = date && date.value;
    if (date && /^\d{4}-\d{2}-\d{2}$/.test(asked.get("occurred_on") || "")) {
      date.value = asked.get("occurred_on");
    } else if (date && date.value === wibDay(drawn)) {
      date.value = wibDay(new Date());
    }
    if (date && date.value !== before) {  // "Sudah tercatat" was about the other day
      each("input[data-row]", function (input) {
        var hint = document.getElementById(input.id + "-hint");
        if (hint) hint.remove();
      }, form);
    }
    each("input[name=source]", function (radio) {
      if (radio.value === asked.get("source")) radio.checked = true;
    }, form);
    if (Date.now() - drawn > 5 * 60 * 1000) {
      var note = document.createElement("p");
      note.className = "hint kept";
      note.textContent = form.dataset.kept.replace("{time}", drawn.toLocaleTimeString(
        document.documentElement.lang, { hour: "2-digit", minute: "2-digit" }));
      form.insertAdjacentElement("afterbegin", note);
    }
  }

  each("[data-forget-draft]", function (saved) {
    try { sessionStorage.removeItem("sas-draft:" + saved.dataset.forgetDraft); } catch (e) {}
  });
  each("form[data-offline]", offlineForm);  // first: a restored draft brings its own key
  if (R) {
    each("input[data-amount]", readBack);
    each(".quick[data-for]", quickAmounts);
    each("[data-balance-after]", balanceAfter);
    each("[data-total]", total);
  }
  each("form[data-keep-draft]", keepDraft);  // after the read-back, which it feeds
  each("form[data-source-aware]", sourceAware);
  each("select[data-filter]", searchable);
  each("a[data-share]", share);
  each("button[data-print]", print);
})();
