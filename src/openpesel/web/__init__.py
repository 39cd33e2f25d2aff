"""The web interface: server-rendered pages over the same gate as the API.

Clerks, examiners, residents and supervisors use the register through a
browser. Every page goes through :class:`openpesel.access.gate.Gate` exactly
as the API does, so a page shows only what the role may see and every view
of personal data leaves an audit entry.
"""
