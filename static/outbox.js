/* The outbox: forms sent without a signal, kept on this phone (IndexedDB) until the server has
   them. One store for the service worker (sw.js, which fills and sends it) and the pages
   (offline.js, which show it). An item is
     {id, user, url, fields: [[name, value]], formKey, at, state: "waiting" | "refused",
      problem: null | "session" | "busy", page: the server's refusal (HTML), csp}
   Ids grow, so the items in id order are the order they were recorded. */
(function (scope) {
  "use strict";
  var NAME = "sas", ITEMS = "outbox", META = "meta";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(ITEMS, { keyPath: "id", autoIncrement: true });
        request.result.createObjectStore(META);
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  /* One transaction on one store; resolves with the last request's result once committed. */
  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var request = work(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  scope.SASOutbox = {
    all: function () { return run(ITEMS, "readonly", function (s) { return s.getAll(); }); },
    get: function (id) { return run(ITEMS, "readonly", function (s) { return s.get(id); }); },
    add: function (item) { return run(ITEMS, "readwrite", function (s) { return s.add(item); }); },
    put: function (item) { return run(ITEMS, "readwrite", function (s) { return s.put(item); }); },
    remove: function (id) { return run(ITEMS, "readwrite", function (s) { return s.delete(id); }); },
    /* The user whose pages this phone showed last (their id, from the page). */
    user: function () { return run(META, "readonly", function (s) { return s.get("user"); }); },
    setUser: function (id) {
      return run(META, "readwrite", function (s) { return s.put(id, "user"); });
    },
    /* A user's items, in the order recorded. */
    of: function (user) {
      return scope.SASOutbox.all().then(function (items) {
        return items.filter(function (item) { return item.user === user; });
      });
    },
    /* Logging out: that user's items go. */
    forget: function (user) {
      return scope.SASOutbox.of(user).then(function (items) {
        return Promise.all(items.map(function (item) { return scope.SASOutbox.remove(item.id); }));
      });
    },
  };
})(self);
