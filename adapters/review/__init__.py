"""The local review page: a small HTTP server on loopback, its JSON API and one self-contained page."""
