"""The site as a whole, above lobbies and voting: the root URLconf, the site-wide views
(readiness, error pages), the admin's lobby pages, and what acts on a whole lobby with its
places (deleting, exporting and importing, the demo)."""
