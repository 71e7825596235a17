/* Rupiah in the browser: a mirror of parse_rupiah and format_rupiah (sas/money.py) and of
   terbilang (sas/receipts/words.py), to show a typed amount back in words as the user types.
   The server still parses every amount; change this file with those two (the browser test
   tests/browser/test_rupiah_js.py compares them row by row). Plain ES2017, no eval. */
(function () {
  "use strict";

  // The same patterns as sas/money.py: _PREFIX, _NUMBER, _DIGITS, _WHOLE, _SUFFIXED, _ZEROS.
  const MAX_LENGTH = 40;
  const PREFIX = "(?:rp\\.?[ \\t]*)?";
  const NUMBER = "([0-9]{1,3}(?:\\.[0-9]{3})+|[0-9]+)";
  const WHOLE = new RegExp("^" + PREFIX + NUMBER + "(?:,-|,0{1,2})?$", "i");
  const SUFFIXED = new RegExp(  // plain digits only before a suffix, as _DIGITS
    "^" + PREFIX + "([0-9]+)(?:,([0-9]{1,2}))?[ \\t]*(rb|ribu|k|jt|juta)$", "i");
  const ZEROS = { rb: 3, ribu: 3, k: 3, jt: 6, juta: 6 };

  /* The amount in whole Rupiah, or null wherever the Python parser raises AmountError. */
  function parse(text, maximum) {
    const raw = typeof text === "string" ? text : "";
    if (/[^\x00-\x7f]/.test(raw)) return null; // non-ASCII anywhere, as str.isascii()
    const value = raw.trim(); // on ASCII text, the same as strip(_SPACE)
    if (!value || value.length > MAX_LENGTH) return null;
    let digits;
    let match = WHOLE.exec(value);
    if (match) {
      digits = match[1].replace(/\./g, "");
    } else if ((match = SUFFIXED.exec(value))) {
      // "1,5 jt" -> "1" + "500000": the fraction's digits padded to the suffix's zeros.
      const zeros = ZEROS[match[3].toLowerCase()];
      digits = match[1].replace(/\./g, "") + (match[2] || "").padEnd(zeros, "0");
    } else {
      return null;
    }
    // Compare as digit strings, so a huge typed number is never rounded by a float.
    digits = digits.replace(/^0+/, "");
    const limit = String(maximum);
    if (!digits || digits.length > limit.length) return null;
    if (digits.length === limit.length && digits > limit) return null;
    return Number(digits);
  }

  /* 12800000 -> "Rp12.800.000", -5000 -> "-Rp5.000", as format_rupiah. */
  function format(n) {
    const figures = String(Math.abs(n));
    const groups = [];
    for (let end = figures.length; end > 0; end -= 3) {
      groups.unshift(figures.slice(Math.max(0, end - 3), end));
    }
    return (n < 0 ? "-" : "") + "Rp" + groups.join(".");
  }

  // As words.py: "sepuluh", "sebelas", "seratus", and "seribu" for the thousands only.
  const DIGITS = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
    "sembilan"];
  const GROUPS = [[1e9, "miliar"], [1e6, "juta"], [1e3, "ribu"], [1, ""]];
  const MAX_WORDS = 999999999999;

  function belowHundred(n) {
    if (n < 10) return n ? [DIGITS[n]] : [];
    if (n === 10) return ["sepuluh"];
    if (n === 11) return ["sebelas"];
    if (n < 20) return [DIGITS[n - 10], "belas"];
    return [DIGITS[Math.floor(n / 10)], "puluh"].concat(belowHundred(n % 10));
  }

  function belowThousand(n) {
    const hundreds = Math.floor(n / 100);
    const head = hundreds === 0 ? [] : hundreds === 1 ? ["seratus"] : [DIGITS[hundreds], "ratus"];
    return head.concat(belowHundred(n % 100));
  }

  /* 25000 -> "dua puluh lima ribu rupiah", the text of terbilang(25000); null outside
     1..999.999.999.999 or for a non-integer, where terbilang raises. */
  function words(n) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_WORDS) return null;
    let result = [];
    let rest = n;
    GROUPS.forEach(function (pair) {
      const group = Math.floor(rest / pair[0]);
      rest %= pair[0];
      if (group === 0) return;
      if (group === 1 && pair[1] === "ribu") {
        result.push("seribu");
      } else {
        result = result.concat(belowThousand(group));
        if (pair[1]) result.push(pair[1]);
      }
    });
    return result.concat(["rupiah"]).join(" ");
  }

  window.SASRupiah = { parse: parse, format: format, words: words };
})();
