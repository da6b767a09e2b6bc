// Small progressive enhancements. No inline scripts anywhere (CSP: script-src 'self').
// htmx is configured through <meta name="htmx-config">; the CSRF header comes from
// hx-headers:inherited on <body>.
