/* SAS Ledger's service worker, served at /sw.js by sas/offline/routes.py, which puts before
   this file: ASSETS (the static files' current URLs), OUTBOX (outbox.js's URL), SEND_TOKEN
   (where a send asks for the signed-in user and a CSRF token) and VERSION.

   What it keeps on the phone:
   - the static files (cache "sas-static-<VERSION>"), served from the phone;
   - the committee's three entry forms and the "no signal" page (cache "sas-pages"), which hold
     no child's name but the recipient list of the disbursement form. A form opens from the
     network when it answers within half a second, else from the phone; either way the
     network's answer refreshes the copy. The cash book, recipients and entries are never kept.
     The page cache is emptied when the session ends (a page answers with the login page) and
     at logout, with the outbox of the user logging out;
   - the outbox (outbox.js): a form sent without an answer is kept with its one-time key and
     sent again, in the order recorded, when the signal is back (Background Sync, a page
     loading, or "Kirim sekarang"). The key makes a resend record once, also when the first
     send did arrive and only its answer was lost. A refusal stays, with the server's page. */
/* global ASSETS, OUTBOX, SEND_TOKEN, VERSION, SASOutbox */
importScripts(OUTBOX);

const STATIC = "sas-static-" + VERSION;
const PAGES = "sas-pages";
const OFFLINE_PAGE = "/offline";
const FORM = /^\/schools\/[^/]+\/(contributions\/new|contributions\/classes|disbursements\/new)$/;
const FROM_PHONE_WITHIN = 500;  // ms a form may take from the network before the phone's copy shows
const ANSWER_WITHIN = 20000;  // ms a sent form may wait for its answer before it is kept

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
  } else if (request.method === "POST" && FORM.test(url.pathname)) {
    event.respondWith(submit(event));
  } else if (request.method === "POST" && url.pathname === "/logout") {
    event.respondWith(logout(request));
  } else if (request.method === "GET" && FORM.test(url.pathname)) {
    event.respondWith(url.searchParams.has("ponsel") ? refused(url) : form(event));
  } else if (request.method === "GET") {
    event.respondWith(page(request));
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
});

/* The pages a signed-in page asks to keep (its data-offline-pages), those not kept yet. */
async function keepPages(paths) {
  const cache = await caches.open(PAGES);
  for (const path of paths) {
    if (!(await cache.match(path))) await refresh(path).catch(() => {});
  }
}

/* A fresh copy of a kept page from the network, if the session still gives one. */
async function refresh(path) {
  const response = await checked(await fetch(path, { cache: "no-store" }));
  if (response.ok && !response.redirected) await (await caches.open(PAGES)).put(path, response);
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* The network's answer; when it is the login page, the session has ended and what this phone
   kept of that user's pages goes. (A page that is sent to the login page clears them too:
   offline.js on the login page.) */
async function checked(response) {
  if (response.url && new URL(response.url).pathname === "/login") await caches.delete(PAGES);
  return response;
}

/* Any other page: the network; without a signal, the "no signal" page. */
async function page(request) {
  try {
    return await checked(await fetch(request));
  } catch (error) {
    return (await caches.match(OFFLINE_PAGE)) || new Response("Offline", { status: 503 });
  }
}

/* An entry form: the network if it answers quickly, else the copy kept on the phone. The
   network's answer (a plain form, not one filled by "Catat lagi") refreshes the copy. */
async function form(event) {
  const url = new URL(event.request.url);
  const network = fetch(event.request).then(checked);
  const refresh = network.then(async (response) => {
    if (response.ok && !response.redirected && !url.search) {
      const copy = response.clone();  // now: the page will read the answer itself
      await (await caches.open(PAGES)).put(url.pathname, copy);
    }
  }).catch(() => {});
  event.waitUntil(refresh);
  const kept = caches.match(url.pathname, { cacheName: PAGES });
  const quick = await Promise.race([network.catch(() => null), wait(FROM_PHONE_WITHIN)]);
  if (quick) return quick;
  return (await kept) || network.catch(async () => (await caches.match(OFFLINE_PAGE))
    || new Response("Offline", { status: 503 }));
}

/* The server's refusal of an outbox item, to correct it and send it again (?ponsel=<id>). */
async function refused(url) {
  const item = await SASOutbox.get(Number(url.searchParams.get("ponsel")));
  if (!item || !item.page) return Response.redirect(url.pathname, 303);
  const headers = { "Content-Type": "text/html; charset=utf-8" };
  if (item.csp) headers["Content-Security-Policy"] = item.csp;
  return new Response(item.page, { headers });
}

/* Logging out: the pages kept for this user and their outbox go (the page has asked first
   when the outbox was not empty). Without a signal nobody is logged out, and nothing goes. */
async function logout(request) {
  const user = await SASOutbox.user();
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    return (await caches.match(OFFLINE_PAGE)) || new Response("Offline", { status: 503 });
  }
  await caches.delete(PAGES);
  if (user) await SASOutbox.forget(user);
  return response;
}

/* A form sent: the server's answer if it comes; without one, the form is kept in the outbox
   and the phone shows the form again, empty, with a note that it was kept. Sent to the login
   page instead (the session ended), it is kept too, and sent once the user is back. */
async function submit(event) {
  const request = event.request;
  const fields = [];
  for (const [name, value] of await request.clone().formData()) fields.push([name, value]);
  const formKey = value(fields, "form_key");
  const sending = fetch(request);
  const answer = await Promise.race([
    sending.then((response) => response, () => null),
    wait(ANSWER_WITHIN).then(() => "late"),
  ]);
  if (answer && answer !== "late" && answer.type !== "opaqueredirect") {
    await settle(formKey, answer.clone());
    // the kept copy of the form now lacks this entry ("Sudah tercatat", the balance)
    if (answer.ok) event.waitUntil(refresh(new URL(request.url).pathname).catch(() => {}));
    return answer;
  }
  const id = await keep(request.url, fields, formKey, answer ? "session" : null);
  if (answer && answer !== "late") return answer;  // to the login page; sent after it
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

/* Into the outbox; a form already there (the same key, corrected) keeps its place. */
async function keep(url, fields, formKey, problem) {
  const user = await SASOutbox.user();
  const earlier = (await SASOutbox.all()).find((item) => item.formKey === formKey);
  const item = Object.assign(earlier || { at: Date.now() }, {
    user, url, fields, formKey, state: "waiting", problem, page: null,
  });
  return earlier ? (await SASOutbox.put(item), earlier.id) : SASOutbox.add(item);
}

/* The server answered a form that may be in the outbox: recorded, it leaves; refused, it stays
   with the server's page. */
async function settle(formKey, response) {
  const item = (await SASOutbox.all()).find((kept) => kept.formKey === formKey);
  if (!item) return;
  if (response.ok && !response.redirected) {
    await SASOutbox.remove(item.id);
  } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    await SASOutbox.put(Object.assign(item, {
      state: "refused", problem: null, page: await response.text(),
      csp: response.headers.get("Content-Security-Policy"),
    }));
  } else {
    return;
  }
  await tell({ type: "outbox" });
}

let sending = null;

/* One round of sending at a time; resolves with how many items still wait. */
function sendAll() {
  if (!sending) sending = send().finally(() => { sending = null; });
  return sending;
}

async function send() {
  const waiting = (await SASOutbox.all()).filter((item) => item.state === "waiting");
  if (!waiting.length) return 0;
  let who;
  try {
    const response = await fetch(SEND_TOKEN, { cache: "no-store" });
    who = response.ok && !response.redirected ? await response.json() : null;
    if (!who) await checked(response);
  } catch (error) {
    await tell({ type: "outbox", sent: 0 });  // still no signal
    return waiting.length;
  }
  let sent = 0;
  let left = 0;
  for (const item of waiting) {
    if (!who || item.user !== who.user) {  // the session ended, or another user signed in
      if (item.user === (await SASOutbox.user())) await mark(item, "session");
      left += 1;
      continue;
    }
    const body = new FormData();
    for (const [name, data] of item.fields) body.append(name, name === "csrf_token" ? who.csrf_token : data);
    let response;
    try {
      response = await fetch(item.url, { method: "POST", body });
    } catch (error) {
      left += waiting.length - waiting.indexOf(item);  // the signal went again: next round
      break;
    }
    if (response.ok && !response.redirected) {
      await SASOutbox.remove(item.id);
      sent += 1;
    } else if (response.redirected) {
      await mark(item, "session");
      left += 1;
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      await settle(item.formKey, response);
    } else {  // busy or broken: this one and the rest wait for the next round
      await mark(item, "busy");
      left += waiting.length - waiting.indexOf(item);
      break;
    }
  }
  await tell({ type: "outbox", sent });
  return left;
}

async function mark(item, problem) {
  if (item.problem !== problem) await SASOutbox.put(Object.assign(item, { problem }));
}

async function tell(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}
