"""wafproxy's own HTTP/1.1 server for the reverse-proxy path (issue 11).

Between the socket and the engine there is no ASGI and no uvicorn: an asyncio ``Protocol`` per
connection (``connection``) feeds httptools, checks framing strictly (``framing``) and the Shield
limits (``limits``), and hands each request, in order, to the ``ProxyHandler`` (``handler``), which
runs the WAF (``wafproxy.asgi.inspector``, shared with ``WafMiddleware``) and forwards through the
upstream pool, streaming both ways (``exchange``, ``writer``). ``runner`` serves a listening socket
with graceful drain; ``workers`` supervises ``--workers N`` processes sharing it; ``tls`` builds the
server's ``SSLContext``.
"""
