"""What the API and the web pages share on the wire: problem details, rate limits, the edge.

A package of its own, below both adapters, so that neither imports the other:
the web pages answer an unknown ``/api/`` path with the API's problem details
and share its rate limit, and the edge (body limit, no-store) wraps both.
"""
