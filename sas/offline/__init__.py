"""The app on a phone with a weak signal: installable (web app manifest, icons), and the
service worker that keeps the entry forms and an outbox of forms sent without a signal."""
