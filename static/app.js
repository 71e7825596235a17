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
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (button && button.dataset.sending) button.textContent = button.dataset.sending;
    setTimeout(function () { if (button) button.disabled = true; }, 0);  // after its value is sent
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
     the others are hidden and disabled, so what is hidden is not sent. A field the server
     refused stays in sight until the source changes: its message is about it. */
  function sourceAware(form) {
    function update(first) {
      var checked = form.querySelector("input[name=source]:checked");
      var source = checked ? checked.value : "";
      each("[data-show-for]", function (box) {
        var shown = box.dataset.showFor.split(" ").indexOf(source) >= 0
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

  if (R) {
    each("input[data-amount]", readBack);
    each(".quick[data-for]", quickAmounts);
    each("[data-balance-after]", balanceAfter);
    each("[data-total]", total);
  }
  each("form[data-source-aware]", sourceAware);
  each("select[data-filter]", searchable);
  each("a[data-share]", share);
  each("button[data-print]", print);
})();
