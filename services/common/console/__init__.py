"""The work consoles' shared part: OpenID Connect sign-in, server-side sessions, CSRF, page rendering."""
