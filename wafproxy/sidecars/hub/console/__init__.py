"""The web console at ``/console`` on the admin listener: server-rendered pages, a little JS."""
