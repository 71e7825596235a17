/* SAS Ledger's service worker, served at /sw.js by sas/offline/routes.py, which puts before
   this file: ASSETS (the static files' current URLs), OUTBOX (outbox.js's URL), SEND_TOKEN
   (where a send asks for the signed-in user and a CSRF token) and VERSION.

   What it keeps on the phone:
   - the static files (cache "sas-static-<VERSION>"), served from the phone;
   - the committee's three entry forms and the "no signal" page (cache "sas-pages"). Of
     children's names they hold only the disbursement form's list of the school's own
     recipients; the cash book, recipients and entries are never kept. A form opens from the
     network when it answers within half a second, else from the phone, with a fresh one-time
     key; the network's answer then refreshes the copy and the page's hints (offline.js). The
     kept pages go at logout, on the login page and when a form is answered with a redirect
     (the session ended);
   - the outbox (outbox.js): a form sent without an answer is kept with its one-time key and
     the fields typed, and sent again, in the order recorded, when the signal is back
     (Background Sync, a page loading, or "Kirim sekarang"), with a fresh CSRF token. The key
     makes a resend record once, also when the first send did arrive and only its answer was
     lost. A refusal stays with the server's messages (text only, no page), to be opened in
     the kept form, corrected and sent, or discarded. */
/* global ASSETS, OUTBOX, SEND_TOKEN, VERSION, SASOutbox */
importScripts(OUTBOX);

const STATIC = "sas-static-" + VERSION;
const PAGES = "sas-pages";
const OFFLINE_PAGE = "/offline";
const FORM = /^\/sekolah\/[^/]+\/(sumbangan\/baru|sumbangan\/kelas|penyaluran\/baru)$/;
// the same forms' English paths of before, which a page drawn then may still send to (the
// server records them in place: sas/oldpaths.py)
const OLD_FORM = /^\/schools\/[^/]+\/(contributions\/new|contributions\/classes|disbursements\/new)$/;
const LOGOUT = /^\/(keluar|logout)$/;
const FROM_PHONE_WITHIN = 500;  // ms a form may take from the network before the phone's copy shows
const ANSWER_WITHIN = 20000;  // ms a sent form may wait for its answer before it is kept
const REFUSED = new Set([403, 404, 409, 413, 422]);  // the form itself is refused: to correct
const NOT_KEPT = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
  + "<h1>Belum tersimpan</h1><p>Ruang penyimpanan ponsel penuh. Kembali, lalu coba lagi saat ada sinyal.</p>"
  + "<h1 lang=en>Not saved</h1><p lang=en>The phone's storage is full. Go back and try again with a signal.</p>";

let generation = 0;  // moves at logout and sign-in: a page fetched before is not kept after
const inFlight = new Set();  // form keys whose first send is still on the wire

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("sas-static-") && name !== STATIC) {
        await caches.delete(name);
        await caches.delete(PAGES);  // drawn with the old files: kept again at the next page
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "GET" && url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  } else if (request.mode !== "navigate") {
    return;  // the API, downloads, the worker's own sends: the network, as without a worker
  } else if (request.method === "POST" && (FORM.test(url.pathname) || OLD_FORM.test(url.pathname))) {
    event.respondWith(submit(event));
  } else if (request.method === "POST" && LOGOUT.test(url.pathname)) {
    event.respondWith(logout(request));
  } else if (request.method === "GET" && FORM.test(url.pathname)) {
    event.respondWith(form(event));
  } else if (request.method === "GET") {
    event.respondWith(fetch(request).catch(noSignal));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  // still waiting after this round: reject, so that the browser tries again later
  event.waitUntil(sendAll().then((left) => { if (left) throw new Error("no signal yet"); }));
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "send") event.waitUntil(sendAll());
  if (data.type === "keep") event.waitUntil(keepPages(data.pages || []));
  if (data.type === "forget") event.waitUntil(forgetPages());  // the login page
});

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const NO_SIGNAL = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
  + "<h1>Tidak ada sinyal</h1><p>Tekan tombol Kembali di ponsel, lalu coba lagi saat ada sinyal.</p>"
  + "<h1 lang=en>No signal</h1><p lang=en>Press the phone's Back button and try again with a signal.</p>";

async function noSignal() {
  return (await caches.match(OFFLINE_PAGE))
    || new Response(NO_SIGNAL, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function forgetPages() {
  generation += 1;
  await caches.delete(PAGES);
}

/* Keep a page's answer, unless the user changed since it was asked for. */
async function put(path, response, asked) {
  if (asked === generation) await (await caches.open(PAGES)).put(path, response);
}

/* The pages a signed-in page asks to keep (its data-offline-pages), those not kept yet. */
async function keepPages(paths) {
  const cache = await caches.open(PAGES);
  await Promise.all(paths.map(async (path) => {
    if (!(await cache.match(path))) await refresh(path).catch(() => {});
  }));
}

/* A fresh copy of a kept page from the network, if the session still gives one. */
async function refresh(path) {
  const asked = generation;
  const response = await fetch(path, { cache: "no-store", redirect: "manual" });
  if (response.ok) await put(path, response, asked);
  if (response.type === "opaqueredirect") await forgetPages();  // to the login page
}

/* An entry form: the network if it answers quickly, else the copy kept on the phone (with a
   key of its own: each entry made from one copy needs one). The network's answer to a plain
   form (not one filled by "Catat lagi") refreshes the copy, and a page showing the copy hears
   of it (its hints and balance are drawn again, offline.js). */
async function form(event) {
  const url = new URL(event.request.url);
  const asked = generation;
  const network = fetch(event.request);
  event.waitUntil(network.then(async (response) => {
    if (response.type === "opaqueredirect") return forgetPages();  // to the login page
    if (!response.ok || url.search) return null;
    const copy = response.clone();  // now: the page reads the answer itself
    await put(url.pathname, copy, asked);
    return tell({ type: "fresh", path: url.pathname });
  }).catch(() => {}));
  const quick = await Promise.race([network.catch(() => null), wait(FROM_PHONE_WITHIN)]);
  if (quick) return quick;
  const kept = await caches.match(url.pathname, { cacheName: PAGES });
  if (!kept) return network.catch(noSignal);
  const page = (await kept.text()).replace(/(name="form_key" type="hidden" value=")[0-9a-f]{32}/,
    (all, start) => start + newKey());
  return new Response(page, { headers: kept.headers });
}

function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
}

/* Logging out: once the server has ended the session, the pages kept for this user and their
   outbox go (the page asked first when the outbox was not empty). Without a signal, or when
   the server refused, nobody is logged out and nothing goes. */
async function logout(request) {
  const user = await SASOutbox.user();
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    return noSignal();
  }
  if (response.type === "opaqueredirect") {  // the logout's 303
    await forgetPages();
    if (user) await SASOutbox.forget(user).catch(() => {});
  }
  return response;
}

/* Who is signed in, and a CSRF token of that session; null when nobody is. A redirect is
   never followed to the login page: drawing it would give the browser a new session under a
   login form that is open on the phone, which would then be refused. */
async function whoIsIn() {
  const response = await fetch(SEND_TOKEN, { cache: "no-store", redirect: "manual" });
  return response.ok ? response.json() : null;
}

/* A form answered with a redirect: to the login page when the session ended, else to the
   app's own next page (a disbursement that waits for a second approver): recorded. */
async function signedIn() {
  try {
    return (await whoIsIn()) !== null;
  } catch (error) {
    return false;
  }
}

/* A form sent: the server's answer if it comes, and the outbox told (an item sent again from
   the kept form leaves it, or is refused again). Without an answer the form is kept in the
   outbox and the phone shows the form again, empty, with a note that it was kept; sent to
   the login page instead (the session ended), it is kept too, and sent once the user is back. */
async function submit(event) {
  const request = event.request;
  let fields;
  try {
    fields = Array.from(await request.clone().formData());
  } catch (error) {
    return fetch(request);  // not a form this worker can keep: as without a worker
  }
  const formKey = value(fields, "form_key");
  inFlight.add(formKey);
  const sending = fetch(request).finally(() => inFlight.delete(formKey));
  const answer = await Promise.race([
    sending.then((response) => response, () => null),
    wait(ANSWER_WITHIN).then(() => "late"),
  ]);
  if (answer instanceof Response && (answer.type !== "opaqueredirect" || await signedIn())) {
    event.waitUntil(settle(formKey, answer.clone()).catch(() => {}));
    // the kept copy of the form now lacks this entry ("Sudah tercatat", the balance)
    if (answer.ok) event.waitUntil(refresh(new URL(request.url).pathname).catch(() => {}));
    return answer;
  }
  let id;
  try {
    id = await keep(request.url, fields, formKey, answer instanceof Response ? "session" : null);
  } catch (error) {
    return new Response(NOT_KEPT, { status: 507, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
  if (answer instanceof Response) return answer;  // to the login page; sent after it
  if (answer === "late") event.waitUntil(sending.then((response) => settle(formKey, response), () => {}));
  if (self.registration.sync) self.registration.sync.register("outbox").catch(() => {});
  await tell({ type: "outbox" });
  const again = new URL(request.url);
  again.searchParams.set("disimpan", id);
  for (const name of ["occurred_on", "source"]) {
    if (value(fields, name)) again.searchParams.set(name, value(fields, name));
  }
  return Response.redirect(again.href, 303);
}

function value(fields, name) {
  const found = fields.find((field) => field[0] === name);
  return found && typeof found[1] === "string" ? found[1] : "";
}

/* Into the outbox; a form already there (the same key: opened, corrected and sent again)
   keeps its place. A photo chosen the first time stays when the correction chose none. */
async function keep(url, fields, formKey, problem) {
  const user = await SASOutbox.user();
  const earlier = (await SASOutbox.all()).find((item) => item.formKey === formKey);
  if (earlier) {
    for (const [name, data] of earlier.fields) {
      const now = fields.find((field) => field[0] === name);
      if (data instanceof Blob && data.size && now && now[1] instanceof Blob && !now[1].size) now[1] = data;
    }
  }
  const item = Object.assign(earlier || { at: Date.now() }, {
    user, url, fields, formKey, state: "waiting", problem, problems: null,
  });
  return earlier ? (await SASOutbox.put(item), earlier.id) : SASOutbox.add(item);
}

/* The server answered a form that may be in the outbox: recorded (a page, or the app's own
   redirect), it leaves; refused, it stays with the server's messages. */
async function settle(formKey, response) {
  const item = (await SASOutbox.all()).find((kept) => kept.formKey === formKey);
  if (!item) return;
  if (response.ok || response.type === "opaqueredirect") {  // (a redirect to the login page is not settled)
    await SASOutbox.remove(item.id);
  } else if (REFUSED.has(response.status)) {
    await SASOutbox.put(Object.assign(item, {
      state: "refused", problem: null, problems: problems(await response.text()),
    }));
  } else {
    return;
  }
  await tell({ type: "outbox" });
}

/* The server's own words from a refused page: its error summary (sas: templates/_forms.html),
   else its heading. Text only: the page itself (the disbursement form lists children's names)
   is not kept. */
function problems(html) {
  const summary = html.match(/<div class="error-summary"[\s\S]*?<\/ul>/);
  const lines = summary ? Array.from(summary[0].matchAll(/<li>([\s\S]*?)<\/li>/g), (m) => text(m[1])) : [];
  const heading = html.match(/<main>[\s\S]*?<h1[^>]*>([\s\S]*?)<\/h1>/);
  return lines.length ? lines : heading ? [text(heading[1])] : [];
}

function text(html) {
  const named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return html.replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, name) => name[0] !== "#" ? named[name] || all
      : String.fromCodePoint(name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1))))
    .replace(/\s+/g, " ").trim();
}

let sending = null;

/* One round of sending at a time; resolves with how many items still wait. The pages are
   told when it ends, whatever happened. */
function sendAll() {
  if (!sending) {
    sending = send().catch(() => 1).finally(() => { sending = null; });
  }
  return sending;
}

async function send() {
  let sent = 0;
  let left = 0;
  try {
    const waiting = (await SASOutbox.all())
      .filter((item) => item.state === "waiting" && !inFlight.has(item.formKey));
    if (!waiting.length) return 0;
    let who;
    try {
      who = await whoIsIn();
    } catch (error) {
      return waiting.length;  // still no signal
    }
    const phoneUser = await SASOutbox.user();
    for (const [index, item] of waiting.entries()) {
      if (!who || item.user !== who.user) {  // the session ended, or another user signed in
        if (item.user === phoneUser) await mark(item, "session");
        left += 1;
        continue;
      }
      const body = new FormData();
      for (const [name, data] of item.fields) body.append(name, name === "csrf_token" ? who.csrf_token : data);
      let response, login;
      try {
        response = await fetch(item.url, { method: "POST", body, redirect: "manual" });
        login = response.type === "opaqueredirect" && !(await signedIn());
      } catch (error) {
        left += waiting.length - index;  // the signal went again: next round
        break;
      }
      if (login || response.status === 400) {  // the session ended meanwhile
        await mark(item, "session");
        left += waiting.length - index;
        break;
      } else if (response.ok || response.type === "opaqueredirect") {
        await SASOutbox.remove(item.id);
        sent += 1;
      } else if (REFUSED.has(response.status)) {
        await settle(item.formKey, response);
      } else {  // busy or broken: this one and the rest wait for the next round
        await mark(item, "busy");
        left += waiting.length - index;
        break;
      }
    }
    return left;
  } finally {
    await tell({ type: "outbox", sent });
  }
}

async function mark(item, problem) {
  if (item.problem !== problem) await SASOutbox.put(Object.assign(item, { problem }));
}

async function tell(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}
